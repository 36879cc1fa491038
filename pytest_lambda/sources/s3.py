"""Amazon S3 event notifications delivered to Lambda."""

from __future__ import annotations

import posixpath
from typing import Any, Literal
from urllib.parse import quote_plus

from ..errors import EventBuildError
from ._aws import iso8601_millis_z, md5_hex
from ._core import BuildContext, Event, event_source
from ._records import batch

__all__ = ["build", "encode_key"]

Operation = Literal[
    "Put", "Post", "Copy", "CompleteMultipartUpload", "Delete", "DeleteMarkerCreated"
]
_REMOVED = ("Delete", "DeleteMarkerCreated")
_EMPTY_MD5 = md5_hex(b"")
_VERSION_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"
_ID2_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# S3 bucket naming rules: 3-63 chars, lower-case letters, digits, dots and hyphens.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-")


def encode_key(key: str) -> str:
    """An object key as S3 writes it into a notification: URL-encoded with ``+`` for spaces and
    ``/`` kept ("red flower.jpg" becomes "red+flower.jpg").

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
    """
    return quote_plus(key, safe="/")


def _check(bucket: str, keys: list[str], size: int, parts: int) -> None:
    if (
        not 3 <= len(bucket) <= 63
        or not set(bucket) <= _BUCKET_CHARS
        or not (bucket[0].isalnum() and bucket[-1].isalnum())
    ):
        raise EventBuildError(
            f"s3: bucket {bucket!r} is not a valid bucket name. Fix: 3-63 lower-case letters, "
            "digits, dots and hyphens, starting and ending with a letter or digit."
        )
    for key in keys:
        if not key or len(key.encode()) > 1024:
            raise EventBuildError(
                f"s3: key {key!r} must be 1 to 1,024 bytes of UTF-8 (S3's object key limit)."
            )
    if size < 0:
        raise EventBuildError(f"s3: size must be >= 0 bytes, got {size!r}.")
    if not 1 <= parts <= 10_000:
        raise EventBuildError(
            f"s3: parts must be 1 to 10,000 (S3's multipart limit), got {parts!r}."
        )


def _numbered(key: str, count: int) -> list[str]:
    stem, ext = posixpath.splitext(key)
    return [f"{stem}-{i + 1}{ext}" for i in range(count)]


@event_source(
    "s3",
    doc="https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html",
    variants={
        "put": {},
        "copy": {"operation": "Copy"},
        "post": {"operation": "Post"},
        "multipart": {"operation": "CompleteMultipartUpload", "size": 52_428_800, "parts": 5},
        "delete": {"operation": "Delete"},
        "delete_marker": {"operation": "DeleteMarkerCreated", "versioned": True},
    },
)
def build(
    ctx: BuildContext,
    *,
    bucket: str = "example-bucket",
    key: str | list[str] = "test/key",
    size: int = 1024,
    operation: Operation = "Put",
    records: int | None = None,
    versioned: bool = False,
    version_id: str | None = None,
    parts: int = 1,
    source_ip: str | None = None,
    principal_id: str | None = None,
    configuration_id: str = "lambda-trigger",
    event_version: str = "2.1",
) -> Event:
    """S3 -> Lambda: ``ObjectCreated:*`` or ``ObjectRemoved:*`` notifications.

    ``key`` is given decoded and written URL-encoded as S3 does. ``key`` may be a list (one
    record per key), or ``records=N`` numbers the key (``photo-1.jpg``, ``photo-2.jpg``, ...).
    ``versioned`` adds ``versionId`` (``version_id`` sets it). ``eTag`` is an MD5-shaped
    digest, with the ``-<parts>`` suffix of multipart uploads. ``sequencer`` increases across
    records.
    """
    keys = [key] if isinstance(key, str) else list(key)
    if not keys:
        raise EventBuildError("s3: key must be a non-empty string or list of strings.")
    if records is not None and len(keys) == 1 and records > 1:
        keys = _numbered(keys[0], records)
    elif records is not None and records != len(keys):
        raise EventBuildError(
            f"s3: records={records!r} does not match the {len(keys)} keys given. "
            "Fix: pass one of them."
        )
    _check(bucket, keys, size, parts)
    if operation != "CompleteMultipartUpload" and parts != 1:
        raise EventBuildError(
            f"s3: parts={parts!r} only applies to operation='CompleteMultipartUpload' "
            "(the 'multipart' variant)."
        )
    versioned = versioned or version_id is not None
    removed = operation in _REMOVED
    category = "ObjectRemoved" if removed else "ObjectCreated"
    principal = principal_id or "AWS:AIDA" + ctx.upper_alnum(17)
    owner = ctx.upper_alnum(13)
    ip = source_ip or ctx.ipv4()
    first_sequence = ctx.rng.getrandbits(60) | (1 << 59)

    def record(index: int) -> dict[str, Any]:
        obj: dict[str, Any] = {"key": encode_key(keys[index])}
        if not removed:
            digest = ctx.hex(32)
            obj["size"] = size
            obj["eTag"] = f"{digest}-{parts}" if operation == "CompleteMultipartUpload" else digest
        elif operation == "DeleteMarkerCreated":
            obj["eTag"] = _EMPTY_MD5  # a delete marker has no content
        if versioned or operation == "DeleteMarkerCreated":
            obj["versionId"] = version_id or ctx.chars(32, _VERSION_ALPHABET)
        obj["sequencer"] = f"{first_sequence + index:016X}00"
        return {
            "eventVersion": event_version,
            "eventSource": "aws:s3",
            "awsRegion": ctx.region,
            "eventTime": iso8601_millis_z(ctx.now),
            "eventName": f"{category}:{operation}",
            "userIdentity": {"principalId": principal},
            "requestParameters": {"sourceIPAddress": ip},
            "responseElements": {
                "x-amz-request-id": ctx.hex(16, upper=True),
                "x-amz-id-2": ctx.chars(76, _ID2_ALPHABET),
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": configuration_id,
                "bucket": {
                    "name": bucket,
                    "ownerIdentity": {"principalId": owner},
                    "arn": f"arn:{ctx.partition}:s3:::{bucket}",
                },
                "object": obj,
            },
        }

    # One record per notification in practice; batches up to 100 are allowed here so a test
    # can feed a handler several objects at once.
    return {"Records": batch("s3", len(keys), record, maximum=100)}
