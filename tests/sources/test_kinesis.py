"""Kinesis Data Streams source: data encoding, sequence numbers, arrival times, shape."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from itertools import pairwise
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import KinesisStreamEvent
from aws_lambda_powertools.utilities.parser.models import KinesisDataStreamModel
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, get

FIXED_NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)  # any fixed instant
SEEDS = (0, 1, 2, 12345, 2**40)
# JSON-able values for `data` as a dict: nested a little, small enough to keep examples quick.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
MAX_RECORDS_IN_PROPERTIES = 40  # enough to see ordering; the 10,000 limit is tested once below


def _build(**params: Any) -> dict[str, Any]:
    params.setdefault("now", FIXED_NOW)
    params.setdefault("seed", 7)
    return build("kinesis", **params)


def test_variants() -> None:
    assert tuple(get("kinesis").variants) == ("default",)


@pytest.mark.parametrize("seed", SEEDS)
def test_validates_with_powertools_model(seed: int) -> None:
    event = _build(seed=seed, records=3)
    model = KinesisDataStreamModel.model_validate(event)
    assert len(model.Records) == 3
    assert model.Records[0].kinesis.data == b"Hello, this is a test 123."


def test_matches_documented_shape() -> None:
    (record,) = _build(region="eu-west-1", account_id="210987654321")["Records"]
    assert set(record) == {
        "kinesis",
        "eventSource",
        "eventVersion",
        "eventID",
        "eventName",
        "invokeIdentityArn",
        "awsRegion",
        "eventSourceARN",
    }
    assert set(record["kinesis"]) == {
        "kinesisSchemaVersion",
        "partitionKey",
        "sequenceNumber",
        "data",
        "approximateArrivalTimestamp",
    }
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["eventVersion"] == record["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSourceARN"] == "arn:aws:kinesis:eu-west-1:210987654321:stream/my-stream"
    assert record["invokeIdentityArn"].startswith("arn:aws:iam::210987654321:role/")
    assert record["eventID"] == f"shardId-000000000000:{record['kinesis']['sequenceNumber']}"
    assert re.fullmatch(r"49\d{54}", record["kinesis"]["sequenceNumber"])


def test_arns_follow_the_partition() -> None:
    (record,) = _build(region="cn-north-1", stream="orders", shard_id="shardId-000000000003")[
        "Records"
    ]
    assert record["eventSourceARN"] == "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/orders"
    assert record["invokeIdentityArn"].startswith("arn:aws-cn:iam::123456789012:role/")
    assert record["eventID"].startswith("shardId-000000000003:")


@given(text=st.text(max_size=200))
def test_text_data_decodes_back(text: str) -> None:
    event = _build(data=text)
    record = next(KinesisStreamEvent(event).records)
    assert record.kinesis.data_as_text() == text


@given(raw=st.binary(max_size=200))
def test_bytes_data_decodes_back(raw: bytes) -> None:
    (record,) = _build(data=raw)["Records"]
    assert base64.b64decode(record["kinesis"]["data"], validate=True) == raw


@given(
    value=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5)
    | st.lists(JSON_VALUES, max_size=5)
)
def test_json_data_decodes_back(value: Any) -> None:
    event = _build(data=value)
    record = next(KinesisStreamEvent(event).records)
    assert json.loads(record.kinesis.data_as_bytes()) == value


@given(records=st.integers(1, MAX_RECORDS_IN_PROPERTIES), seed=st.integers(0, 2**63 - 1))
def test_sequence_numbers_and_arrival_times_strictly_increase(records: int, seed: int) -> None:
    event = _build(records=records, seed=seed)
    kinesis = [r["kinesis"] for r in event["Records"]]
    assert len(kinesis) == records
    numbers = [int(k["sequenceNumber"]) for k in kinesis]
    assert all(a < b for a, b in pairwise(numbers))
    assert all(len(k["sequenceNumber"]) == 56 for k in kinesis)
    times = [k["approximateArrivalTimestamp"] for k in kinesis]
    assert all(a < b for a, b in pairwise(times))
    assert times[-1] < FIXED_NOW.timestamp()
    assert all(round(t, 3) == t for t in times)  # millisecond precision
    ids = [r["eventID"] for r in event["Records"]]
    assert len(set(ids)) == records


def test_first_sequence_number_is_the_one_given() -> None:
    first = "49545115243490985018280067714973144582180062593244200961"
    event = _build(sequence_number=first, records=3)
    numbers = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    assert numbers[0] == first
    assert int(numbers[0]) < int(numbers[1]) < int(numbers[2])
    assert event["Records"][0]["eventID"].endswith(":" + first)


def test_partition_key_is_carried() -> None:
    (record,) = _build(partition_key="user-42")["Records"]
    assert record["kinesis"]["partitionKey"] == "user-42"


def test_deterministic_for_a_seed_and_different_across_seeds() -> None:
    assert _build(seed=3, records=4) == _build(seed=3, records=4)
    first = {r["eventID"] for r in _build(seed=3, records=4)["Records"]}
    other = {r["eventID"] for r in _build(seed=4, records=4)["Records"]}
    assert first.isdisjoint(other)


def test_full_batch_builds() -> None:
    assert len(_build(records=10_000)["Records"]) == 10_000


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"records": 0}, r"records=0 is out of range; it delivers 1 to 10,000"),
        ({"records": 10_001}, r"records=10001 is out of range"),
        ({"records": "3"}, r"parameter 'records' expects int, got '3'"),
        ({"sequence_number": "abc"}, r"sequence_number 'abc' is not a Kinesis sequence number"),
        ({"sequence_number": "0123"}, r"without leading zeros"),
        ({"partition_key": ""}, r"partition_key '' has 0 characters; Kinesis accepts 1 to 256"),
        ({"partition_key": "k" * 257}, r"has 257 characters"),
        ({"shard_id": "shard-1"}, r"shard_id 'shard-1' is not a Kinesis shard id.*shardId-"),
        ({"stream": "my stream"}, r"stream 'my stream' is not a Kinesis stream name"),
        ({"data": b"x" * (1_048_577)}, r"data is 1,048,577 bytes; a Kinesis record holds at most"),
        ({"data": 5}, r"parameter 'data' expects str \| bytes \| dict"),
        ({"aggregated": True}, r"has no parameter 'aggregated'"),
    ],
)
def test_bad_input_raises_a_helpful_error(params: dict[str, Any], match: str) -> None:
    with pytest.raises(EventBuildError, match=match):
        _build(**params)


@settings(max_examples=25)
@given(seed=st.integers(0, 2**63 - 1))
def test_any_seed_validates(seed: int) -> None:
    KinesisDataStreamModel.model_validate(_build(seed=seed, records=2))
