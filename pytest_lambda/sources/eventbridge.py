"""Custom Amazon EventBridge events delivered to Lambda by a rule on an event bus."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from ..errors import EventBuildError
from ._aws import iso8601_seconds_z
from ._core import BuildContext, Event, event_source

__all__ = ["build"]

# PutEvents entry limits: Source 1-256 characters, DetailType 1-128, Resources up to 100 ARNs
# of up to 2,048 characters each.
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html
_SOURCE_MAX = 256
_DETAIL_TYPE_MAX = 128
_RESOURCES_MAX = 100
_RESOURCE_LEN_MAX = 2048
# Event bus names: 1-256 of letters, digits, ".", "-", "_" and "/" (partner buses use "/").
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html
_BUS_RE = re.compile(r"^[/.\-_A-Za-z0-9]{1,256}$")
_PARTNER_PREFIX = "aws.partner/"


def _check(
    source: str, detail_type: str, event_bus: str, resources: list[str], replay_name: str | None
) -> None:
    if not _BUS_RE.match(event_bus):
        raise EventBuildError(
            f"eventbridge: event_bus {event_bus!r} is not an event bus name. Fix: 1-256 "
            "letters, digits, '.', '-', '_' or '/' (the name, e.g. 'default', not the ARN)."
        )
    if not 1 <= len(source) <= _SOURCE_MAX:
        raise EventBuildError(
            f"eventbridge: source {source!r} must be 1 to {_SOURCE_MAX} characters. Fix: use a "
            "reverse-domain name like 'com.mycompany.orders'."
        )
    if source.startswith(_PARTNER_PREFIX):
        # SaaS partner events arrive on the partner event bus named after their event source.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-saas.html
        if event_bus != source:
            raise EventBuildError(
                f"eventbridge: partner source {source!r} only reaches the partner event bus of "
                f"the same name, not event_bus={event_bus!r}. Fix: pass event_bus={source!r}."
            )
    elif source.startswith("aws."):
        # "Customer-generated events can have any value here, as long as it doesn't begin with
        # 'aws.'" https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
        raise EventBuildError(
            f"eventbridge: source {source!r} starts with 'aws.', which only AWS services may use; "
            "PutEvents refuses it (NotAuthorizedForSourceException). Fix: use a reverse-domain "
            "name like 'com.mycompany.orders', build the service's own source (e.g. 'scheduled' "
            "for aws.events), or use patch={'source': ...} to fake an AWS service event."
        )
    if not 1 <= len(detail_type) <= _DETAIL_TYPE_MAX:
        raise EventBuildError(
            f"eventbridge: detail_type {detail_type!r} must be 1 to {_DETAIL_TYPE_MAX} characters "
            "(PutEvents requires it). Fix: a short event name like 'Order Placed'."
        )
    if len(resources) > _RESOURCES_MAX or any(len(r) > _RESOURCE_LEN_MAX for r in resources):
        raise EventBuildError(
            f"eventbridge: resources has {len(resources)} item(s); PutEvents takes up to "
            f"{_RESOURCES_MAX} ARNs of up to {_RESOURCE_LEN_MAX:,} characters each."
        )
    if replay_name is not None and not replay_name:
        raise EventBuildError(
            "eventbridge: replay_name is empty. Fix: the replay's name, or None for a live event."
        )


@event_source(
    "eventbridge",
    doc="https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html",
)
def build(
    ctx: BuildContext,
    *,
    source: str = "com.mycompany.orders",
    detail_type: str = "Order Placed",
    detail: dict[str, Any] | None = None,
    resources: list[str] | None = None,
    event_bus: str = "default",
    replay_name: str | None = None,
) -> Event:
    """EventBridge -> Lambda: a custom event put on ``event_bus`` and matched by a rule.

    ``detail`` is any JSON object (an order by default). ``source`` may not start with
    ``aws.`` (AWS reserves it), except an ``aws.partner/...`` source on its own partner bus.
    ``replay_name`` adds the ``replay-name`` field that marks an event replayed from an archive.
    The bus name does not appear in the event; it only decides which sources are allowed.
    """
    resources = list(resources or [])
    _check(source, detail_type, event_bus, resources, replay_name)
    event_id = ctx.uuid()
    if detail is None:
        detail = {
            "orderId": ctx.uuid(),
            "customerId": f"C-{ctx.digits(6)}",
            "total": round(ctx.rng.uniform(5, 500), 2),
            "currency": "EUR",
        }
    # The PutEvents call (the event's time) happened shortly before the rule's delivery.
    put_at = ctx.now - timedelta(milliseconds=ctx.rng.randint(20, 900))
    event: Event = {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": source,
        "account": ctx.account_id,
        "time": iso8601_seconds_z(put_at),
        "region": ctx.region,
    }
    if replay_name is not None:
        event["replay-name"] = replay_name
    event["resources"] = resources
    event["detail"] = detail
    return event
