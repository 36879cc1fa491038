"""Amazon EventBridge scheduled rules (cron/rate) invoking Lambda with a "Scheduled Event"."""

from __future__ import annotations

import re

from ..errors import EventBuildError
from ._aws import iso8601_seconds_z
from ._core import BuildContext, Event, event_source

__all__ = ["build"]

# Rule names: 1-64 letters, digits, ".", "-" and "_".
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
_RULE_RE = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")


@event_source(
    "scheduled",
    doc="https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html",
)
def build(ctx: BuildContext, *, rule: str = "my-schedule") -> Event:
    """EventBridge scheduled rule -> Lambda: the ``Scheduled Event`` a cron/rate rule sends.

    ``rule`` is the rule name (SAM's ``--rule``); the event's only resource is its ARN. Schedules
    have one-minute precision, so ``time`` is the minute the rule fired for (the build instant
    truncated to the minute), while the invocation itself lands some seconds into that minute.
    EventBridge *Scheduler* (``aws.scheduler``) is a different service: it sends the target's
    own input, not this envelope.
    """
    if not _RULE_RE.match(rule):
        raise EventBuildError(
            f"scheduled: rule {rule!r} is not a rule name. Fix: 1-64 letters, digits, '.', '-' "
            "or '_' (the name, not the ARN; the ARN is built from region and account)."
        )
    # "All scheduled events use UTC+0 time zone, and the minimum precision for a schedule is one
    # minute. Your scheduled rule runs within that minute, but not on the precise 0th second."
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
    fired_for = ctx.now.replace(second=0, microsecond=0)
    return {
        "version": "0",
        "id": ctx.uuid(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ctx.account_id,
        "time": iso8601_seconds_z(fired_for),
        "region": ctx.region,
        "resources": [ctx.arn("events", f"rule/{rule}")],
        "detail": {},
    }
