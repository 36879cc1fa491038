"""AWS wire formats shared by the sources: timestamps, digests, encodings.

Each AWS time format has its own function named after the format, so a builder can be checked
against the AWS documentation field by field.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "apigw_request_time",
    "b64",
    "epoch_millis",
    "epoch_millis_str",
    "epoch_seconds",
    "epoch_seconds_float",
    "http_date",
    "iso8601_millis_z",
    "iso8601_seconds_z",
    "json_text",
    "md5_hex",
    "rfc2822",
    "to_bytes",
]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso8601_millis_z(dt: datetime) -> str:
    """``2024-01-01T00:00:00.000Z``: S3 ``eventTime``, SNS ``Timestamp``, SES ``timestamp``."""
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso8601_seconds_z(dt: datetime) -> str:
    """``2024-01-01T00:00:00Z``: EventBridge ``time``."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_millis(dt: datetime) -> int:
    """Milliseconds since the epoch as a number: API Gateway ``requestTimeEpoch``,
    CloudWatch Logs ``timestamp``."""
    return int(dt.timestamp() * 1000)


def epoch_millis_str(dt: datetime) -> str:
    """Milliseconds since the epoch as a string: SQS ``SentTimestamp``."""
    return str(epoch_millis(dt))


def epoch_seconds(dt: datetime) -> int:
    """Whole seconds since the epoch: DynamoDB Streams ``ApproximateCreationDateTime``."""
    return int(dt.timestamp())


def epoch_seconds_float(dt: datetime) -> float:
    """Seconds since the epoch with millisecond precision: Kinesis
    ``approximateArrivalTimestamp``."""
    return round(epoch_millis(dt) / 1000, 3)


def apigw_request_time(dt: datetime) -> str:
    """``09/Apr/2015:12:34:56 +0000``: API Gateway ``requestContext.requestTime``/``time``."""
    dt = dt.astimezone(timezone.utc)
    return f"{dt.day:02d}/{_MONTHS[dt.month - 1]}/{dt.year}:{dt:%H:%M:%S} +0000"


def rfc2822(dt: datetime) -> str:
    """``Mon, 1 Jan 2024 00:00:00 +0000``: e-mail ``Date`` headers (SES ``commonHeaders.date``)."""
    dt = dt.astimezone(timezone.utc)
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[dt.weekday()]
    return f"{day}, {dt.day} {_MONTHS[dt.month - 1]} {dt.year} {dt:%H:%M:%S} +0000"


def http_date(dt: datetime) -> str:
    """``Mon, 01 Jan 2024 00:00:00 GMT``: HTTP ``Date``/``Last-Modified`` headers (RFC 9110)."""
    dt = dt.astimezone(timezone.utc)
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[dt.weekday()]
    return f"{day}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year} {dt:%H:%M:%S} GMT"


def to_bytes(value: str | bytes) -> bytes:
    """UTF-8 bytes of ``value``."""
    return value.encode() if isinstance(value, str) else value


def md5_hex(value: str | bytes) -> str:
    """Hex MD5 of the UTF-8 bytes (SQS ``md5OfBody``)."""
    return hashlib.md5(to_bytes(value)).hexdigest()


def b64(value: str | bytes) -> str:
    """Standard base64 of the UTF-8 bytes, as text."""
    return base64.b64encode(to_bytes(value)).decode("ascii")


def json_text(value: Any) -> str:
    """A string as it is; anything else as compact JSON text (how AWS services carry a
    JSON message in a string field)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
