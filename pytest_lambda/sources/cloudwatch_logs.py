"""Amazon CloudWatch Logs events delivered to Lambda by a subscription filter."""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from ..errors import EventBuildError
from ._aws import b64, epoch_millis
from ._core import BuildContext, Event, event_source

__all__ = ["build", "decode_data", "encode_data"]

# PutLogEvents accepts at most 10,000 events per batch, so no delivery holds more.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
_MAX_EVENTS = 10_000
# Log event ids are the event's timestamp (ms) shifted left by 144 bits, plus 144 bits that
# order events within a millisecond: both ids in the AWS Lambda and CloudWatch Logs docs decode
# this way (e.g. 34622316099697884706540976068822859012661220141643892546 >> 144 ==
# 1552518348220, its timestamp).
_ID_SHIFT = 144
# The health check CloudWatch Logs sends to a new destination, as observed in real deliveries
# (AWS documents the CONTROL_MESSAGE type but not its content): fixed owner, empty names.
_CONTROL_OWNER = "CloudwatchLogs"
_CONTROL_TEXT = "CWL CONTROL MESSAGE: Checking health of destination Firehose."
# Log group names: 1-512 of [.-_/#A-Za-z0-9] (API_CreateLogGroup).
_LOG_GROUP_RE = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")


def encode_data(payload: Mapping[str, Any]) -> str:
    """``awslogs.data``: the payload as compact JSON, gzipped (mtime 0, so the same payload
    always gives the same text), then base64."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return b64(gzip.compress(text.encode(), mtime=0))


def decode_data(data: str) -> dict[str, Any]:
    """The JSON document inside ``awslogs.data`` (the inverse of :func:`encode_data`)."""
    result: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(data)))
    return result


def _lambda_invocation_lines(ctx: BuildContext) -> list[str]:
    """START/END/REPORT lines of one invocation, as a Lambda function's log group holds them.

    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-view.html
    """
    request_id = ctx.uuid()
    duration = ctx.rng.randint(100, 99_999) / 100
    return [
        f"START RequestId: {request_id} Version: $LATEST\n",
        f"END RequestId: {request_id}\n",
        f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
        f"Billed Duration: {math.ceil(duration)} ms\tMemory Size: 128 MB\t"
        f"Max Memory Used: {ctx.rng.randint(40, 90)} MB\t\n",
    ]


@event_source(
    "cloudwatch_logs",
    doc="https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatchlogs.html",
)
def build(
    ctx: BuildContext,
    *,
    log_events: list[str] | None = None,
    log_group: str = "/aws/lambda/my-function",
    log_stream: str | None = None,
    subscription_filters: list[str] | None = None,
    message_type: Literal["DATA_MESSAGE", "CONTROL_MESSAGE"] = "DATA_MESSAGE",
) -> Event:
    """CloudWatch Logs subscription filter -> Lambda: one batch of log events from one stream.

    ``awslogs.data`` is the base64 of the gzipped JSON document (use :func:`decode_data` to read
    it). ``log_events`` are the messages, in order; by default the START/END/REPORT lines of one
    Lambda invocation. Timestamps increase by a few ms per event, ending just before ``now``;
    ids are derived from them as CloudWatch Logs does. ``log_stream`` defaults to a Lambda
    stream name (``2024/01/01/[$LATEST]<32 hex>``) for ``now``. ``CONTROL_MESSAGE`` builds the
    destination health check instead: owner ``CloudwatchLogs``, empty group, stream and
    filters, one event (``log_events`` replace its text when given).
    """
    if not _LOG_GROUP_RE.match(log_group):
        raise EventBuildError(
            f"cloudwatch_logs: log_group {log_group!r} is not a log group name. Fix: use 1-512 "
            "letters, digits, '.', '-', '_', '/' or '#', e.g. '/aws/lambda/my-function'."
        )
    if log_events is not None and not log_events:
        raise EventBuildError(
            "cloudwatch_logs: log_events=[] is empty; CloudWatch Logs only delivers batches "
            "with at least one event. Fix: pass at least one message, or None for the default."
        )
    if log_events is not None and len(log_events) > _MAX_EVENTS:
        raise EventBuildError(
            f"cloudwatch_logs: log_events has {len(log_events):,} messages; a batch holds at "
            f"most {_MAX_EVENTS:,}. Fix: pass fewer messages."
        )
    rng = ctx.rng
    control = message_type == "CONTROL_MESSAGE"
    if log_events is not None:
        messages = log_events
    elif control:
        messages = [_CONTROL_TEXT]
    else:
        messages = _lambda_invocation_lines(ctx)
    if log_stream is None:
        log_stream = f"{ctx.now:%Y/%m/%d}/[$LATEST]{ctx.hex(32)}"
    if subscription_filters is None:
        subscription_filters = ["my-subscription-filter"]
    steps = [rng.randint(1, 20) for _ in messages]
    stamp = epoch_millis(ctx.now - timedelta(milliseconds=rng.randint(200, 2000))) - sum(steps)
    low = rng.getrandbits(_ID_SHIFT - 8)  # headroom so the per-event +1 never carries over
    events = []
    for index, (message, step) in enumerate(zip(messages, steps, strict=True)):
        stamp += step
        event_id = "" if control else str((stamp << _ID_SHIFT) + low + index)
        events.append({"id": event_id, "timestamp": stamp, "message": message})
    payload = {
        "messageType": message_type,
        "owner": _CONTROL_OWNER if control else ctx.account_id,
        "logGroup": "" if control else log_group,
        "logStream": "" if control else log_stream,
        "subscriptionFilters": [] if control else list(subscription_filters),
        "logEvents": events,
    }
    return {"awslogs": {"data": encode_data(payload)}}
