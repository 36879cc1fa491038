"""DynamoDB Streams source: marshalling, stream view types, keys, sizes, sequence, shape."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from aws_lambda_powertools.shared.dynamodb_deserializer import TypeDeserializer
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, get
from pytest_lambda.sources.dynamodb_stream import item_size, marshall, marshall_item

FIXED_NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)  # any fixed instant
SEEDS = (0, 1, 2, 12345, 2**40)
VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
VARIANTS = ("default", "insert", "modify", "remove")
# Numbers DynamoDB can hold exactly: at most 38 significant digits (ints up to 10**38 - 1).
NUMBERS = (
    st.integers(-(10**38) + 1, 10**38 - 1)
    | st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**20), max_value=10**20
    )
    | st.floats(allow_nan=False, allow_infinity=False, width=64).filter(
        lambda f: f == 0 or 1e-120 < abs(f) < 1e120
    )
)
SCALARS = st.none() | st.booleans() | st.text(max_size=12) | NUMBERS | st.binary(max_size=12)
SETS = (
    st.frozensets(st.text(max_size=6), min_size=1, max_size=4)
    | st.frozensets(st.integers(-1000, 1000), min_size=1, max_size=4)
    | st.frozensets(st.binary(max_size=6), min_size=1, max_size=4)
)
VALUES = st.recursive(
    SCALARS | SETS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
ITEMS = st.dictionaries(st.text(min_size=1, max_size=8), VALUES, min_size=1, max_size=5)


def _build(variant: str | None = None, **params: Any) -> dict[str, Any]:
    params.setdefault("now", FIXED_NOW)
    params.setdefault("seed", 7)
    return build("dynamodb_stream", variant, **params)


def _expected(value: Any) -> Any:
    """What Powertools' (boto3-style) deserializer gives back for a marshalled ``value``:
    numbers as Decimal, tuples as lists; it leaves B values as their base64 text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _expected(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_expected(v) for v in value]
    return {_expected(v) for v in value}


# -- marshall ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("hi", {"S": "hi"}),
        ("", {"S": ""}),
        (101, {"N": "101"}),
        (-3, {"N": "-3"}),
        (0, {"N": "0"}),
        (1.5, {"N": "1.5"}),
        (0.1, {"N": "0.1"}),
        (1e-7, {"N": "0.0000001"}),
        (12300, {"N": "12300"}),
        (Decimal("12.50"), {"N": "12.5"}),
        (True, {"BOOL": True}),
        (False, {"BOOL": False}),
        (None, {"NULL": True}),
        (b"\x00\xff", {"B": "AP8="}),
        ([1, "a"], {"L": [{"N": "1"}, {"S": "a"}]}),
        ((1,), {"L": [{"N": "1"}]}),
        ({"a": {"b": None}}, {"M": {"a": {"M": {"b": {"NULL": True}}}}}),
        ({"b", "a"}, {"SS": ["a", "b"]}),
        ({3, 1, 2.5}, {"NS": ["1", "2.5", "3"]}),
        (frozenset({b"b", b"a"}), {"BS": ["YQ==", "Yg=="]}),
    ],
)
def test_marshall(value: Any, wire: dict[str, Any]) -> None:
    assert marshall(value) == wire


@given(item=ITEMS)
def test_marshalled_items_round_trip_through_powertools_deserializer(item: dict[str, Any]) -> None:
    deserializer = TypeDeserializer()
    wire = marshall_item(item)
    assert {k: deserializer.deserialize(v) for k, v in wire.items()} == _expected(item)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (float("nan"), r"x = nan cannot be stored in DynamoDB, which has no NaN or Infinity"),
        (float("inf"), r"x = inf cannot be stored"),
        (Decimal("NaN"), r"x = Decimal\('NaN'\) cannot be stored"),
        (10**39 + 1, r"outside DynamoDB's number range \(up to 38 significant digits"),
        (1e-200, r"outside DynamoDB's number range"),
        (set(), r"x is an empty set; DynamoDB does not store empty sets"),
        ({1, "a"}, r"mixes int, str; a DynamoDB set holds only strings"),
        ({1: "a"}, r"x has the key 1 \(int\); DynamoDB map keys are strings"),
        (object(), r"x = <object object at .*> \(object\) cannot be marshalled"),
        ({"a": [1, {"b": float("nan")}]}, r"x\['a'\]\[1\]\['b'\] = nan cannot be stored"),
    ],
)
def test_marshall_refuses_what_dynamodb_cannot_store(value: Any, match: str) -> None:
    with pytest.raises(EventBuildError, match=match):
        marshall(value, name="x")


def test_item_size_uses_dynamodb_rules() -> None:
    # name bytes + value: string UTF-8 bytes, number ceil(digits/2)+1, binary raw, bool 1,
    # list/map 3 + 1 per element.
    assert item_size(marshall_item({"Id": 101})) == 2 + 3
    assert item_size(marshall_item({"s": "é"})) == 1 + 2
    assert item_size(marshall_item({"b": b"abc", "t": True, "n": None})) == 4 + 2 + 2
    assert item_size(marshall_item({"l": [1, "ab"]})) == 1 + 3 + (1 + 2) + (1 + 2)
    assert item_size(marshall_item({"m": {"k": "v"}})) == 1 + 3 + 1 + 1 + 1
    assert item_size(marshall_item({"n": 1234567})) == 1 + 5


# -- the event ---------------------------------------------------------------------------


def test_variants_in_order() -> None:
    assert tuple(get("dynamodb_stream").variants) == VARIANTS


@pytest.mark.parametrize("view", VIEW_TYPES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_variant_validates_with_powertools_model(seed: int, variant: str, view: str) -> None:
    event = _build(variant, seed=seed, stream_view_type=view)
    model = DynamoDBStreamModel.model_validate(event)
    assert all(r.dynamodb.Keys == {"Id": Decimal(101)} for r in model.Records)


def test_default_matches_sams_dynamodb_update_sample() -> None:
    records = _build()["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    # SAM's template: INSERT adds "New item!", MODIFY changes it, REMOVE deletes the change.
    assert records[0]["dynamodb"]["NewImage"]["Message"] == {"S": "New item!"}
    assert records[1]["dynamodb"]["OldImage"]["Message"] == {"S": "New item!"}
    assert records[1]["dynamodb"]["NewImage"]["Message"] == {"S": "This item has changed"}
    assert records[2]["dynamodb"]["OldImage"]["Message"] == {"S": "This item has changed"}
    assert [r["dynamodb"]["SizeBytes"] for r in records] == [26, 59, 38]  # SAM's values
    assert all(r["dynamodb"]["Keys"] == {"Id": {"N": "101"}} for r in records)


def test_record_shape() -> None:
    record = _build("modify", region="eu-west-1", account_id="210987654321", table="Orders")[
        "Records"
    ][0]
    assert set(record) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert re.fullmatch(r"[0-9a-f]{32}", record["eventID"])
    assert record["eventVersion"] == "1.1"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == "eu-west-1"
    arn = re.fullmatch(
        r"arn:aws:dynamodb:eu-west-1:210987654321:table/Orders/stream/"
        r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})",
        record["eventSourceARN"],
    )
    assert arn is not None
    enabled = datetime.fromisoformat(arn.group(1)).replace(tzinfo=timezone.utc)
    assert enabled < FIXED_NOW
    body = record["dynamodb"]
    assert isinstance(body["ApproximateCreationDateTime"], int)
    assert (
        FIXED_NOW.timestamp() - 5 <= body["ApproximateCreationDateTime"] <= (FIXED_NOW.timestamp())
    )
    assert body["StreamViewType"] == "NEW_AND_OLD_IMAGES"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("view", VIEW_TYPES)
def test_stream_view_type_decides_the_images(variant: str, view: str) -> None:
    for record in _build(variant, stream_view_type=view)["Records"]:
        name, body = record["eventName"], record["dynamodb"]
        wants_new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and name != "REMOVE"
        wants_old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and name != "INSERT"
        assert ("NewImage" in body) == wants_new, (name, view)
        assert ("OldImage" in body) == wants_old, (name, view)
        assert body["StreamViewType"] == view
        shown = [body["Keys"], *(body[k] for k in ("NewImage", "OldImage") if k in body)]
        assert body["SizeBytes"] == sum(item_size(part) for part in shown)


@settings(max_examples=40)
@given(new=ITEMS, old=ITEMS)
def test_images_read_back_through_powertools_data_class(
    new: dict[str, Any], old: dict[str, Any]
) -> None:
    name = next(iter(new))
    old = {**old, name: new[name]}  # one item: both images carry the same key
    if isinstance(new[name], (bool, list, dict, frozenset, type(None))):
        new = {"pk": "a", **new}
        old = {"pk": "a", **old}
        name = "pk"
    event = _build("modify", new_image=new, old_image=old)
    record = next(DynamoDBStreamEvent(event).records)
    assert record.dynamodb is not None
    assert record.dynamodb.keys == {name: _expected(new[name])}
    assert record.dynamodb.new_image == _expected(new)
    assert record.dynamodb.old_image == _expected(old)


def test_single_event_names_use_new_and_old_image() -> None:
    new, old = {"pk": "a", "v": 2}, {"pk": "a", "v": 1}
    (insert,) = _build("insert", new_image=new, old_image=old)["Records"]
    (modify,) = _build("modify", new_image=new, old_image=old)["Records"]
    (remove,) = _build("remove", new_image=new, old_image=old)["Records"]
    assert insert["dynamodb"]["NewImage"] == marshall_item(new)
    assert modify["dynamodb"]["NewImage"] == marshall_item(new)
    assert modify["dynamodb"]["OldImage"] == marshall_item(old)
    assert remove["dynamodb"]["OldImage"] == marshall_item(old)


def test_keys_default_to_the_first_attribute_and_are_added_to_images() -> None:
    (record,) = _build("modify", new_image={"sku": "X1", "qty": 2}, old_image={"qty": 1})["Records"]
    body = record["dynamodb"]
    assert body["Keys"] == {"sku": {"S": "X1"}}
    assert body["OldImage"] == {"qty": {"N": "1"}, "sku": {"S": "X1"}}


def test_keys_given_alone_build_images_around_them() -> None:
    keys = {"pk": "user#1", "sk": 7}
    for record in _build(keys=keys)["Records"]:
        body = record["dynamodb"]
        assert body["Keys"] == marshall_item(keys)
        for image in ("NewImage", "OldImage"):
            if image in body:
                assert body[image]["pk"] == {"S": "user#1"}
                assert body[image]["sk"] == {"N": "7"}


def test_one_image_given_copies_it_to_the_other() -> None:
    (record,) = _build("modify", new_image={"Id": 5, "x": "y"})["Records"]
    assert record["dynamodb"]["OldImage"] == record["dynamodb"]["NewImage"]


def test_ttl_expired_marks_remove_records_only() -> None:
    records = _build(ttl_expired=True)["Records"]
    identity = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert [r.get("userIdentity") for r in records] == [None, None, identity]
    (remove,) = _build("remove", ttl_expired=True)["Records"]
    assert remove["userIdentity"] == identity
    assert DynamoDBStreamModel.model_validate({"Records": [remove]}).Records[0].userIdentity
    assert "userIdentity" not in _build("remove")["Records"][0]


@given(records=st.integers(1, 40), seed=st.integers(0, 2**63 - 1))
def test_sequence_numbers_increase_and_ids_are_unique(records: int, seed: int) -> None:
    event = _build(records=records, seed=seed)
    numbers = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
    assert len(numbers) == records
    assert all(21 <= len(n) <= 40 and n.isdigit() for n in numbers)  # API: length 21 to 40
    assert all(int(a) < int(b) for a, b in pairwise(numbers))
    assert len({r["eventID"] for r in event["Records"]}) == records


def test_records_cycle_the_event_names() -> None:
    names = [r["eventName"] for r in _build(records=5)["Records"]]
    assert names == ["INSERT", "MODIFY", "REMOVE", "INSERT", "MODIFY"]
    assert {r["eventName"] for r in _build("remove", records=4)["Records"]} == {"REMOVE"}


def test_deterministic_for_a_seed_and_different_across_seeds() -> None:
    assert _build(seed=3) == _build(seed=3)
    first = _build(seed=3)["Records"]
    other = _build(seed=4)["Records"]
    assert {r["eventID"] for r in first}.isdisjoint(r["eventID"] for r in other)
    assert first[0]["dynamodb"]["SequenceNumber"] != other[0]["dynamodb"]["SequenceNumber"]


@pytest.mark.parametrize(
    ("variant", "params", "match"),
    [
        (None, {"records": 0}, r"records=0 is out of range; it delivers 1 to 10,000"),
        (None, {"table": "a b"}, r"table 'a b' is not a DynamoDB table name"),
        (None, {"stream_view_type": "ALL"}, r"parameter 'stream_view_type' expects 'KEYS_ONLY'"),
        (
            "insert",
            {"ttl_expired": True},
            r"ttl_expired=True with event_name='INSERT'; only "
            r"REMOVE records come from Time to Live",
        ),
        (None, {"new_image": {"Id": float("nan")}}, r"new_image\['Id'\] = nan cannot be stored"),
        (None, {"new_image": {"Id": 1, "tags": set()}}, r"new_image\['tags'\] is an empty set"),
        (
            None,
            {"new_image": {"Id": 1, "when": datetime(2024, 1, 1)}},
            r"new_image\['when'\] = datetime.datetime\(2024, 1, 1, 0, 0\) \(datetime\) cannot be "
            r"marshalled.*Fix: use str, int",
        ),
        (None, {"new_image": {}}, r"new_image and old_image are empty, so there is no key"),
        (
            None,
            {"new_image": {"Id": 1}, "old_image": {"Id": 2}},
            r"old_image\['Id'\] = 2 differs from the key 'Id' = 1",
        ),
        (None, {"keys": {"a": 1, "b": 2, "c": 3}}, r"has 3 attributes; a DynamoDB primary key"),
        (None, {"keys": {"a": [1]}}, r"key attribute 'a' = \[1\] is a list; DynamoDB keys are"),
        (None, {"new_image": {"flag": True}}, r"key attribute 'flag' = True is a bool"),
    ],
)
def test_bad_input_raises_a_helpful_error(
    variant: str | None, params: dict[str, Any], match: str
) -> None:
    with pytest.raises(EventBuildError, match=match):
        _build(variant, **params)
