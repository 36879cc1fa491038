"""Amazon DynamoDB Streams records delivered in batches by a Lambda event source mapping."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from datetime import timedelta
from decimal import Context, Decimal
from typing import Any, Literal

from ..errors import EventBuildError
from ._aws import epoch_seconds, iso8601_millis_z
from ._core import BuildContext, Event, event_source
from ._records import batch

__all__ = ["build", "item_size", "marshall", "marshall_item"]

# BatchSize is 1 to 10,000 for DynamoDB Streams event source mappings.
# https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
_MAX_RECORDS = 10_000
# Table names: 3-255 of [a-zA-Z0-9_.-].
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
_TABLE_RE = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
# Numbers: up to 38 significant digits, magnitude 1E-130 to 9.99...E+125 (same page).
_MAX_DIGITS = 38
_MIN_EXPONENT = -130
_MAX_EXPONENT = 125

EventName = Literal["INSERT", "MODIFY", "REMOVE"]
StreamViewType = Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
_CYCLE: tuple[EventName, ...] = ("INSERT", "MODIFY", "REMOVE")
_Part = tuple[dict[str, Any], int]  # a marshalled image and its item_size
# The item of SAM's `dynamodb update` sample, whose SizeBytes (26, 59, 38) item_size reproduces.
_DEFAULT_KEYS: dict[str, Any] = {"Id": 101}
_DEFAULT_OLD: dict[str, Any] = {"Message": "New item!", "Id": 101}
_DEFAULT_NEW: dict[str, Any] = {"Message": "This item has changed", "Id": 101}


def _normalize(number: Decimal) -> Decimal:
    """``number`` without trailing zeros, never rounded (the default context would round to
    28 digits)."""
    return number.normalize(Context(prec=max(len(number.as_tuple().digits), 1)))


def _number(value: int | float | Decimal, path: str) -> str:
    """A DynamoDB ``N`` string: plain decimal notation, checked against DynamoDB's range."""
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise EventBuildError(
            f"{path} = {value!r} cannot be stored in DynamoDB, which has no NaN or Infinity. "
            "Fix: use a finite number, or None for {'NULL': True}."
        )
    if not number:
        return "0"
    number = _normalize(number)
    digits = len(number.as_tuple().digits)
    if digits > _MAX_DIGITS or not _MIN_EXPONENT <= number.adjusted() <= _MAX_EXPONENT:
        raise EventBuildError(
            f"{path} = {value!r} is outside DynamoDB's number range (up to {_MAX_DIGITS} "
            "significant digits, magnitude 1E-130 to 9.9E+125). "
            "Fix: round it, or store it as a string."
        )
    return format(number, "f")


def _marshall(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": _number(value, path)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventBuildError(
                    f"{path} has the key {key!r} ({type(key).__name__}); DynamoDB map keys "
                    "are strings. Fix: use str keys."
                )
            out[key] = _marshall(item, f"{path}[{key!r}]")
        return {"M": out}
    if isinstance(value, (list, tuple)):
        return {"L": [_marshall(item, f"{path}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, (set, frozenset)):
        return _marshall_set(value, path)
    raise EventBuildError(
        f"{path} = {value!r} ({type(value).__name__}) cannot be marshalled to a DynamoDB "
        "attribute value. Fix: use str, int, float, Decimal, bool, None, bytes, list, dict, "
        "or a set of str, numbers or bytes."
    )


def _marshall_set(value: set[Any] | frozenset[Any], path: str) -> dict[str, Any]:
    if not value:
        raise EventBuildError(
            f"{path} is an empty set; DynamoDB does not store empty sets. "
            "Fix: leave the attribute out, or use an empty list."
        )
    # Sets are sorted so that the same input always gives the same event.
    if all(isinstance(v, str) for v in value):
        return {"SS": sorted(value)}
    if all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in value):
        numbers = sorted(value)
        return {"NS": [_number(v, f"{path} item") for v in numbers]}
    if all(isinstance(v, (bytes, bytearray)) for v in value):
        return {"BS": [base64.b64encode(v).decode("ascii") for v in sorted(value)]}
    kinds = sorted({type(v).__name__ for v in value})
    raise EventBuildError(
        f"{path} = {value!r} mixes {', '.join(kinds)}; a DynamoDB set holds only strings (SS), "
        "only numbers (NS) or only bytes (BS). Fix: use one type, or a list for mixed values."
    )


def marshall(value: Any, *, name: str = "value") -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value (what boto3's ``TypeSerializer`` gives).

    ``None`` -> NULL, ``bool`` -> BOOL, ``str`` -> S, ``int``/``float``/``Decimal`` -> N (a
    decimal string), ``bytes`` -> B (base64, as the JSON wire format carries it), ``dict`` -> M,
    ``list``/``tuple`` -> L, a set of str/numbers/bytes -> SS/NS/BS (sorted). Anything else, NaN,
    infinities, empty or mixed sets raise :class:`EventBuildError` naming ``name``.
    """
    return _marshall(value, name)


def marshall_item(item: Mapping[str, Any], *, name: str = "item") -> dict[str, dict[str, Any]]:
    """A whole item (``{"Id": 1}``) as a map of attribute values (``{"Id": {"N": "1"}}``)."""
    result: dict[str, dict[str, Any]] = _marshall(item, name)["M"]
    return result


def _value_size(attr: Mapping[str, Any]) -> int:
    ((kind, value),) = attr.items()
    if kind == "S":
        return len(value.encode())
    if kind == "N":
        return _number_size(value)
    if kind == "B":
        return len(base64.b64decode(value))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in value)
    if kind == "NS":
        return sum(_number_size(v) for v in value)
    if kind == "BS":
        return sum(len(base64.b64decode(v)) for v in value)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in value)
    # M: each entry is its name plus its value, plus one byte of overhead.
    return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in value.items())


def _number_size(text: str) -> int:
    number = Decimal(text)
    digits = len(_normalize(number).as_tuple().digits) if number else 1
    return math.ceil(digits / 2) + 1


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """The size DynamoDB counts for a marshalled item: each attribute name's UTF-8 bytes plus
    its value (strings: UTF-8 bytes; numbers: one byte per two significant digits plus one;
    binary: raw bytes; BOOL/NULL: 1; lists/maps: 3 plus 1 per element).

    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
    """
    return sum(len(name.encode()) + _value_size(attr) for name, attr in item.items())


def _keys_and_images(
    keys: dict[str, Any] | None,
    new_image: dict[str, Any] | None,
    old_image: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Plain keys, new and old item, completed from each other so the key is typed once."""
    if new_image is None and old_image is None:
        if keys is None:
            return dict(_DEFAULT_KEYS), dict(_DEFAULT_NEW), dict(_DEFAULT_OLD)
        new_image = {**keys, "Message": _DEFAULT_NEW["Message"]}
        old_image = {**keys, "Message": _DEFAULT_OLD["Message"]}
    # One image given: the other is a copy of it.
    new_image, old_image = (
        dict(new_image if new_image is not None else old_image or {}),
        dict(old_image if old_image is not None else new_image or {}),
    )
    origin = "keys"
    if keys is None:
        origin = "new_image" if new_image else "old_image"
        source = new_image or old_image
        if not source:
            raise EventBuildError(
                "dynamodb_stream: new_image and old_image are empty, so there is no key "
                "attribute. Fix: pass keys={'Id': 1}, or an image with at least one attribute "
                "(its first one is taken as the key)."
            )
        name = next(iter(source))
        keys = {name: source[name]}
    if not 1 <= len(keys) <= 2:
        raise EventBuildError(
            f"dynamodb_stream: keys={keys!r} has {len(keys)} attributes; a DynamoDB primary key "
            "is a partition key and an optional sort key. Fix: pass one or two key attributes."
        )
    for name, value in keys.items():
        wire = _marshall(value, f"{origin}[{name!r}]")
        if next(iter(wire)) not in ("S", "N", "B"):
            raise EventBuildError(
                f"dynamodb_stream: key attribute {name!r} = {value!r} is a "
                f"{type(value).__name__}; DynamoDB keys are strings, numbers or binary. "
                "Fix: pass keys= with str/int/bytes values (or put such an attribute first "
                "in the image)."
            )
        for label, image in (("new_image", new_image), ("old_image", old_image)):
            if name not in image:
                image[name] = value  # an item always holds its key attributes
            elif _marshall(image[name], f"{label}[{name!r}]") != wire:
                raise EventBuildError(
                    f"dynamodb_stream: {label}[{name!r}] = {image[name]!r} differs from the key "
                    f"{name!r} = {value!r}; a stream record describes one item, so both images "
                    f"carry the same key. Fix: make {label}[{name!r}] equal to the key, or pass "
                    "keys= to name the key attributes."
                )
    return dict(keys), new_image, old_image


@event_source(
    "dynamodb_stream",
    doc="https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html",
    variants={
        "default": {},
        "insert": {"event_name": "INSERT"},
        "modify": {"event_name": "MODIFY"},
        "remove": {"event_name": "REMOVE"},
    },
)
def build(
    ctx: BuildContext,
    *,
    table: str = "my-table",
    event_name: Literal["INSERT", "MODIFY", "REMOVE"] | None = None,
    keys: dict[str, Any] | None = None,
    new_image: dict[str, Any] | None = None,
    old_image: dict[str, Any] | None = None,
    stream_view_type: StreamViewType = "NEW_AND_OLD_IMAGES",
    records: int | None = None,
    ttl_expired: bool = False,
) -> Event:
    """DynamoDB Streams -> Lambda: INSERT/MODIFY/REMOVE records for one item of one table.

    ``event_name=None`` cycles INSERT, MODIFY, REMOVE (three records by default, like SAM's
    ``dynamodb update``) and tells one item's story: INSERT adds ``old_image``, MODIFY turns it
    into ``new_image``, REMOVE deletes ``new_image``. A single event name uses ``new_image`` as
    the item after the change and ``old_image`` as the item before it. Images are plain Python
    values, marshalled with :func:`marshall`; if only one is given the other is a copy of it.
    ``keys`` defaults to the images' first attribute, and is added to images that lack it.
    ``stream_view_type`` decides which images appear (INSERT never has OldImage, REMOVE never
    has NewImage). ``SizeBytes`` is :func:`item_size` of Keys and the images shown, which
    reproduces AWS's and SAM's samples; real records may differ by a few bytes.
    ``ttl_expired`` marks REMOVE records as deleted by Time to Live.
    """
    if not _TABLE_RE.match(table):
        raise EventBuildError(
            f"dynamodb_stream: table {table!r} is not a DynamoDB table name. "
            "Fix: use 3-255 letters, digits, '_', '.' or '-', e.g. 'my-table'."
        )
    if ttl_expired and event_name not in (None, "REMOVE"):
        raise EventBuildError(
            f"dynamodb_stream: ttl_expired=True with event_name={event_name!r}; only REMOVE "
            "records come from Time to Live. Fix: use event_name='REMOVE' (the 'remove' variant)."
        )
    names: tuple[EventName, ...] = _CYCLE if event_name is None else (event_name,)
    count = len(names) if records is None else records
    plain_keys, plain_new, plain_old = _keys_and_images(keys, new_image, old_image)
    wire_keys = marshall_item(plain_keys, name="keys")
    wire_new = marshall_item(plain_new, name="new_image")
    wire_old = marshall_item(plain_old, name="old_image")
    # The item after (NewImage) and before (OldImage) each kind of change, with its size.
    new_part = (wire_new, item_size(wire_new))
    old_part = (wire_old, item_size(wire_old))
    after: dict[str, _Part | None]
    before: dict[str, _Part | None]
    if event_name is None:
        # The item's story: INSERT writes the first version, REMOVE deletes the last.
        after = {"INSERT": old_part, "MODIFY": new_part, "REMOVE": None}
        before = {"INSERT": None, "MODIFY": old_part, "REMOVE": new_part}
    else:
        after = {"INSERT": new_part, "MODIFY": new_part, "REMOVE": None}
        before = {"INSERT": None, "MODIFY": old_part, "REMOVE": old_part}
    if stream_view_type not in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        after = dict.fromkeys(after)
    if stream_view_type not in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        before = dict.fromkeys(before)
    keys_size = item_size(wire_keys)
    rng = ctx.rng
    # Stream ARNs end with the stream's label: the time it was enabled, without a zone.
    enabled = ctx.now - timedelta(
        days=rng.randint(1, 365), seconds=rng.randint(0, 86399), milliseconds=rng.randint(0, 999)
    )
    stream_arn = ctx.arn("dynamodb", f"table/{table}/stream/{iso8601_millis_z(enabled)[:-1]}")
    # Sequence numbers: 21+ decimal digits that grow within a shard (API minimum length 21).
    sequence = rng.randrange(10**20, 9 * 10**20)
    created = ctx.now - timedelta(milliseconds=rng.randint(100, 2000))
    created_at = epoch_seconds(created)

    def record(index: int) -> dict[str, Any]:
        nonlocal sequence
        name = names[index % len(names)]
        if index:
            sequence += rng.randrange(10**5, 10**7)
        body: dict[str, Any] = {"ApproximateCreationDateTime": created_at, "Keys": wire_keys}
        size = keys_size
        new, old = after[name], before[name]
        if new is not None:
            body["NewImage"] = new[0]
            size += new[1]
        if old is not None:
            body["OldImage"] = old[0]
            size += old[1]
        body.update(SequenceNumber=str(sequence), SizeBytes=size, StreamViewType=stream_view_type)
        rec: dict[str, Any] = {
            "eventID": ctx.hex(32),
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": ctx.region,
            "dynamodb": body,
            "eventSourceARN": stream_arn,
        }
        if ttl_expired and name == "REMOVE":
            # Items deleted by TTL carry this identity (DynamoDB Streams API, Record.userIdentity).
            rec["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        return rec

    return {"Records": batch("dynamodb_stream", count, record, maximum=_MAX_RECORDS)}
