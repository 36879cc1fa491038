"""CloudWatch Logs subscription source: the gzipped payload, ids, timestamps, control message."""

from __future__ import annotations

import base64
import gzip
import json
import re
from datetime import datetime, timezone
from itertools import pairwise
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent
from aws_lambda_powertools.utilities.parser.models import CloudWatchLogsModel
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, get
from pytest_lambda.sources.cloudwatch_logs import decode_data, encode_data

FIXED_NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)  # any fixed instant
NOW_MS = int(FIXED_NOW.timestamp() * 1000)
SEEDS = (0, 1, 2, 12345, 2**40)
MESSAGES = st.lists(st.text(max_size=80), min_size=1, max_size=30)  # any text, short batches


def _build(**params: Any) -> dict[str, Any]:
    params.setdefault("now", FIXED_NOW)
    params.setdefault("seed", 7)
    return build("cloudwatch_logs", **params)


def _decoded(event: dict[str, Any]) -> dict[str, Any]:
    """Decode ``awslogs.data`` independently of the module under test."""
    assert set(event) == {"awslogs"}
    assert set(event["awslogs"]) == {"data"}
    raw = base64.b64decode(event["awslogs"]["data"], validate=True)
    result: dict[str, Any] = json.loads(gzip.decompress(raw))
    return result


def test_variants() -> None:
    assert tuple(get("cloudwatch_logs").variants) == ("default",)


@pytest.mark.parametrize("message_type", ["DATA_MESSAGE", "CONTROL_MESSAGE"])
@pytest.mark.parametrize("seed", SEEDS)
def test_validates_with_powertools_model(seed: int, message_type: str) -> None:
    event = _build(seed=seed, message_type=message_type)
    model = CloudWatchLogsModel.model_validate(event)
    assert model.awslogs.decoded_data.messageType == message_type


def test_payload_has_the_documented_fields() -> None:
    payload = _decoded(_build(account_id="210987654321"))
    assert list(payload) == [
        "messageType",
        "owner",
        "logGroup",
        "logStream",
        "subscriptionFilters",
        "logEvents",
    ]
    assert payload["messageType"] == "DATA_MESSAGE"
    assert payload["owner"] == "210987654321"
    assert payload["logGroup"] == "/aws/lambda/my-function"
    # Lambda's stream names: YYYY/MM/DD/[version]<32 hex>, dated from `now`.
    assert re.fullmatch(r"2024/01/01/\[\$LATEST\][0-9a-f]{32}", payload["logStream"])
    assert payload["subscriptionFilters"] == ["my-subscription-filter"]
    for event in payload["logEvents"]:
        assert set(event) == {"id", "timestamp", "message"}


def test_default_messages_are_one_lambda_invocation() -> None:
    messages = [e["message"] for e in _decoded(_build())["logEvents"]]
    assert len(messages) == 3
    request_id = re.fullmatch(r"START RequestId: ([0-9a-f-]{36}) Version: \$LATEST\n", messages[0])
    assert request_id is not None
    assert messages[1] == f"END RequestId: {request_id.group(1)}\n"
    assert re.fullmatch(
        rf"REPORT RequestId: {request_id.group(1)}\tDuration: \d+\.\d\d ms\t"
        r"Billed Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t\n",
        messages[2],
    )


@given(messages=MESSAGES)
def test_given_messages_come_back_in_order(messages: list[str]) -> None:
    event = _build(
        log_events=messages,
        log_group="/app/orders",
        log_stream="web-1",
        subscription_filters=["a", "b"],
    )
    payload = _decoded(event)
    assert [e["message"] for e in payload["logEvents"]] == messages
    assert (payload["logGroup"], payload["logStream"]) == ("/app/orders", "web-1")
    assert payload["subscriptionFilters"] == ["a", "b"]
    decoded = CloudWatchLogsEvent(event).parse_logs_data()
    assert [e.message for e in decoded.log_events] == messages


@given(messages=MESSAGES, seed=st.integers(0, 2**63 - 1))
def test_ids_and_timestamps_increase_and_agree(messages: list[str], seed: int) -> None:
    events = _decoded(_build(log_events=messages, seed=seed))["logEvents"]
    stamps = [e["timestamp"] for e in events]
    ids = [int(e["id"]) for e in events]
    assert all(isinstance(t, int) for t in stamps)
    assert all(a < b for a, b in pairwise(stamps))
    assert stamps[-1] < NOW_MS
    assert NOW_MS - stamps[0] < 5 * 60 * 1000  # delivered within minutes
    assert all(a < b for a, b in pairwise(ids))
    assert all(len(e["id"]) == 56 for e in events)  # as the AWS samples show
    # CloudWatch Logs ids carry the event's timestamp in their high bits.
    assert [i >> 144 for i in ids] == stamps


def test_id_structure_matches_the_aws_doc_sample() -> None:
    # From https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatchlogs.html
    assert 34622316099697884706540976068822859012661220141643892546 >> 144 == 1552518348220


def test_data_is_deterministic_gzip() -> None:
    first, second = _build(seed=3), _build(seed=3)
    assert first == second
    raw = base64.b64decode(first["awslogs"]["data"])
    assert raw[:2] == b"\x1f\x8b"  # gzip magic
    assert raw[4:8] == b"\x00\x00\x00\x00"  # mtime 0, so equal payloads give equal text


def test_different_seeds_give_different_ids() -> None:
    first = {e["id"] for e in _decoded(_build(seed=3))["logEvents"]}
    other = {e["id"] for e in _decoded(_build(seed=4))["logEvents"]}
    assert first.isdisjoint(other)


def test_control_message() -> None:
    event = _build(message_type="CONTROL_MESSAGE")
    payload = _decoded(event)
    assert payload["messageType"] == "CONTROL_MESSAGE"
    assert payload["owner"] == "CloudwatchLogs"
    assert payload["logGroup"] == payload["logStream"] == ""
    assert payload["subscriptionFilters"] == []
    (only,) = payload["logEvents"]
    assert only["id"] == ""
    assert only["message"].startswith("CWL CONTROL MESSAGE: Checking health of destination")
    assert CloudWatchLogsEvent(event).parse_logs_data().message_type == "CONTROL_MESSAGE"


def test_encode_and_decode_data_are_inverse() -> None:
    payload = {"messageType": "DATA_MESSAGE", "logEvents": [{"message": "é ✓"}]}
    text = encode_data(payload)
    assert decode_data(text) == payload
    assert encode_data(payload) == text


@settings(max_examples=25)
@given(seed=st.integers(0, 2**63 - 1))
def test_any_seed_validates(seed: int) -> None:
    CloudWatchLogsModel.model_validate(_build(seed=seed))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"log_events": []}, r"log_events=\[\] is empty; CloudWatch Logs only delivers batches"),
        ({"log_events": ["x"] * 10_001}, r"log_events has 10,001 messages; a batch holds at most"),
        ({"log_events": "one line"}, r"parameter 'log_events' expects list\[str\] \| None"),
        ({"log_events": [1]}, r"parameter 'log_events' expects"),
        ({"log_group": "bad group!"}, r"log_group 'bad group!' is not a log group name"),
        ({"message_type": "DATA"}, r"parameter 'message_type' expects 'DATA_MESSAGE'"),
    ],
)
def test_bad_input_raises_a_helpful_error(params: dict[str, Any], match: str) -> None:
    with pytest.raises(EventBuildError, match=match):
        _build(**params)
