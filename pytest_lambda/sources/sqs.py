"""Amazon SQS messages delivered in batches by a Lambda event source mapping."""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ..errors import EventBuildError
from ._aws import epoch_millis_str, json_text, md5_hex
from ._core import BuildContext, Event, event_source
from ._records import batch

__all__ = ["build", "encode_message_attributes", "md5_of_message_attributes"]

# Up to 10,000 records per batch with a batching window (standard queues); FIFO: 10.
# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
_MAX_STANDARD = 10_000
_MAX_FIFO = 10
_RECEIPT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def encode_message_attributes(attributes: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """SQS message attributes as a Lambda event carries them.

    Plain values are typed from Python: ``str`` -> String, ``int``/``float`` -> Number,
    ``bytes`` -> Binary (base64). A dict already in ``{"dataType": ..., "stringValue": ...}``
    form is kept (with the two empty list fields Lambda adds).
    """
    out: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        if isinstance(value, Mapping):
            if "dataType" not in value:
                raise EventBuildError(
                    f"SQS message attribute {name!r}: {value!r} has no 'dataType'. Fix: pass a "
                    "plain str/int/float/bytes, or {'dataType': 'String', 'stringValue': '...'}."
                )
            attr = {"stringListValues": [], "binaryListValues": [], **value}
        elif isinstance(value, bool):
            raise EventBuildError(
                f"SQS message attribute {name!r}: {value!r} is a bool; SQS has no boolean type. "
                "Fix: pass 'true'/'false' as a string."
            )
        elif isinstance(value, (int, float)):
            attr = {
                "stringValue": str(value),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "Number",
            }
        elif isinstance(value, bytes):
            attr = {
                "binaryValue": base64.b64encode(value).decode(),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "Binary",
            }
        elif isinstance(value, str):
            attr = {
                "stringValue": value,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        else:
            raise EventBuildError(
                f"SQS message attribute {name!r}: {value!r} ({type(value).__name__}) is not "
                "str, int, float or bytes."
            )
        out[name] = attr
    return out


def md5_of_message_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """The MD5 SQS computes over message attributes: for each attribute in name order, the
    length-prefixed name, data type, a transport byte (1 string, 2 binary) and the value.

    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
    """

    def field(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    digest = hashlib.md5()
    for name in sorted(attributes):
        attr = attributes[name]
        digest.update(field(name.encode()) + field(attr["dataType"].encode()))
        if attr.get("binaryValue") is not None:
            digest.update(b"\x02" + field(base64.b64decode(attr["binaryValue"])))
        else:
            digest.update(b"\x01" + field(str(attr.get("stringValue", "")).encode()))
    return digest.hexdigest()


def _receipt_handle(ctx: BuildContext) -> str:
    return "AQEB" + ctx.chars(168, _RECEIPT_ALPHABET) + "=="


@event_source(
    "sqs",
    doc="https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html",
    variants={"default": {}, "fifo": {"fifo": True}},
)
def build(
    ctx: BuildContext,
    *,
    body: str | dict[str, Any] | list[Any] = "Hello from SQS!",
    queue_name: str = "my-queue",
    records: int = 1,
    fifo: bool = False,
    message_group_id: str = "group-1",
    message_attributes: dict[str, Any] | None = None,
    receive_count: int = 1,
    sender_id: str | None = None,
    trace_header: str | None = None,
) -> Event:
    """SQS -> Lambda: ``records`` messages from one queue.

    ``body`` is sent as it is when a string, or as JSON text when a dict/list; ``md5OfBody`` is
    always the MD5 of the body text. ``fifo`` adds ``MessageGroupId``,
    ``MessageDeduplicationId`` and increasing ``SequenceNumber`` values, and appends ``.fifo`` to
    the queue name. ``receive_count`` sets ``ApproximateReceiveCount`` (>1 means a redelivery).
    """
    if receive_count < 1:
        raise EventBuildError(f"sqs: receive_count must be >= 1, got {receive_count!r}.")
    if fifo and not queue_name.endswith(".fifo"):
        queue_name += ".fifo"
    elif not fifo and queue_name.endswith(".fifo"):
        fifo = True
    text = json_text(body)
    md5_of_body = md5_hex(text)
    attrs = encode_message_attributes(message_attributes or {})
    attrs_md5 = md5_of_message_attributes(attrs) if attrs else None
    queue_arn = ctx.arn("sqs", queue_name)
    sender = sender_id or "AIDA" + ctx.upper_alnum(17)
    first_sequence = ctx.rng.randrange(10**19, 9 * 10**19)
    sent = ctx.now - timedelta(milliseconds=ctx.rng.randint(20, 900))

    def record(index: int) -> dict[str, Any]:
        sent_at = sent + timedelta(milliseconds=index)
        attributes: dict[str, str] = {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": epoch_millis_str(sent_at),
            "SenderId": sender,
            "ApproximateFirstReceiveTimestamp": epoch_millis_str(
                sent_at + timedelta(milliseconds=ctx.rng.randint(1, 20))
            ),
        }
        if fifo:
            attributes["SequenceNumber"] = str(first_sequence + index * 10**6)
            attributes["MessageGroupId"] = message_group_id
            attributes["MessageDeduplicationId"] = ctx.hex(64)
        if trace_header is not None:
            attributes["AWSTraceHeader"] = trace_header
        rec: dict[str, Any] = {
            "messageId": ctx.uuid(),
            "receiptHandle": _receipt_handle(ctx),
            "body": text,
            "attributes": attributes,
            "messageAttributes": attrs,
            "md5OfBody": md5_of_body,
        }
        if attrs_md5 is not None:
            rec["md5OfMessageAttributes"] = attrs_md5
        rec.update(eventSource="aws:sqs", eventSourceARN=queue_arn, awsRegion=ctx.region)
        return rec

    return {"Records": batch("sqs", records, record, maximum=_MAX_FIFO if fifo else _MAX_STANDARD)}
