"""The event core: parameters, variants, overrides, the final round trip, the context."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from pytest_lambda import EventBuildError, UnknownSourceError, build_event
from pytest_lambda.sources._core import BuildContext, apply_patch, parse_path, set_path

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_unknown_source_lists_close_matches():
    with pytest.raises(UnknownSourceError, match=r"(?s)Unknown event source 'sqss'.*'sqs'"):
        build_event("sqss")


def test_unknown_variant_lists_the_variants():
    with pytest.raises(UnknownSourceError, match=r"(?s)no variant 'fifoo'.*'fifo'.*default, fifo"):
        build_event("sqs", "fifoo")


def test_unknown_parameter_names_the_parameters():
    with pytest.raises(EventBuildError, match=r"(?s)no parameter 'bodyy'.*'body'.*queue_name"):
        build_event("sqs", bodyy="x")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"records": "3"}, r"'records' expects int \| None|'records' expects int"),
        ({"records": True}, r"'records' expects int"),
        ({"fifo": "yes"}, r"'fifo' expects bool"),
        ({"body": 3}, r"'body' expects str \| dict"),
    ],
)
def test_wrong_types_are_refused_with_the_expected_type(params, expected):
    with pytest.raises(EventBuildError, match=expected):
        build_event("sqs", **params)


def test_sam_service_event_names_are_aliases():
    event = build_event("sqs", "receive-message", seed=1, now=NOW)
    assert event == build_event("sqs", seed=1, now=NOW)
    rest = build_event("apigateway", "aws-proxy", seed=1, now=NOW)
    assert rest["httpMethod"] == "POST"
    with pytest.raises(UnknownSourceError, match=r"(?s)SAM service 'apigateway'.*aws-proxy"):
        build_event("apigateway", "aws-prox")


def test_same_seed_same_event_and_now_defaults_to_the_current_time():
    assert build_event("s3", seed=4, now=NOW) == build_event("s3", seed=4, now=NOW)
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    event = build_event("s3")
    stamp = datetime.fromisoformat(event["Records"][0]["eventTime"].replace("Z", "+00:00"))
    assert before <= stamp <= datetime.now(timezone.utc) + timedelta(seconds=1)


def test_now_follows_freezegun_and_time_machine():
    freezegun = pytest.importorskip("freezegun")
    with freezegun.freeze_time("2021-02-03 04:05:06.789"):
        event = build_event("s3")
    assert event["Records"][0]["eventTime"] == "2021-02-03T04:05:06.789Z"
    time_machine = pytest.importorskip("time_machine")
    with time_machine.travel(datetime(2022, 3, 4, 5, 6, 7, tzinfo=timezone.utc), tick=False):
        event = build_event("sqs")
    assert event["Records"][0]["attributes"]["SentTimestamp"] <= "1646370367000"
    assert event["Records"][0]["attributes"]["SentTimestamp"] > "1646370366000"


def test_build_context_refuses_bad_values():
    with pytest.raises(EventBuildError, match="not an AWS region"):
        BuildContext(region="mars-1")
    with pytest.raises(EventBuildError, match="12-digit"):
        BuildContext(account_id="12345")
    with pytest.raises(EventBuildError, match="timezone-aware"):
        BuildContext(now=datetime(2024, 1, 1))
    with pytest.raises(EventBuildError, match="seed must be an int"):
        BuildContext(seed="1")  # type: ignore[arg-type]


def test_random_values_have_their_shapes():
    ctx = BuildContext(seed=1, now=NOW)
    assert len(ctx.hex(16)) == 16 and int(ctx.hex(16), 16) >= 0
    assert ctx.uuid()[14] == "4"
    assert len(ctx.digits(12)) == 12 and ctx.digits(12)[0] != "0"
    for _ in range(200):
        first = int(ctx.ipv4().split(".")[0])
        assert first not in (10, 127, 172, 192) and 1 <= first <= 223
    assert ctx.arn("sqs", "q") == "arn:aws:sqs:us-east-1:123456789012:q"
    assert BuildContext(region="us-gov-west-1").partition == "aws-us-gov"


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("Records[0].body", ["Records", 0, "body"]),
        ("Records.0.body", ["Records", 0, "body"]),
        ("a", ["a"]),
        ("a[-1]", ["a", -1]),
    ],
)
def test_parse_path(path, parts):
    assert parse_path(path) == parts


@pytest.mark.parametrize("path", ["", ".a", "a.", "a..b", "a[x]", "a[0", "a]"])
def test_parse_path_refuses_malformed_paths(path):
    with pytest.raises(EventBuildError, match="not a dotted path"):
        parse_path(path)


def test_set_path_adds_a_leaf_but_never_invents_a_branch():
    event = {"Records": [{"body": "x"}]}
    set_path(event, "Records[0].body", "y")
    set_path(event, "Records[0].new", 1)
    assert event == {"Records": [{"body": "y", "new": 1}]}
    with pytest.raises(
        EventBuildError, match=r"Records is a list of 1 item\(s\), which has no index 2"
    ):
        set_path(event, "Records[2].body", "z")
    with pytest.raises(EventBuildError, match=r"has no 'missing' \(keys: body, new\)"):
        set_path(event, "Records[0].missing.deeper", 1)
    with pytest.raises(EventBuildError, match="a str value"):
        set_path(event, "Records[0].body.x", 1)


def test_patch_deep_merges_and_accepts_paths():
    event = {"a": {"b": 1, "c": {"d": 2}}, "l": [1, 2]}
    apply_patch(event, {"a": {"c": {"e": 3}}, "l": [9], "a.b": 5})
    assert event == {"a": {"b": 5, "c": {"d": 2, "e": 3}}, "l": [9]}


def test_patch_through_build_event_wins_over_derived_fields():
    event = build_event("sqs", seed=1, patch={"Records[0].md5OfBody": "0" * 32})
    assert event["Records"][0]["md5OfBody"] == "0" * 32


def test_non_json_values_are_refused_with_their_path():
    with pytest.raises(EventBuildError, match=r"Records\[0\]\.when is a datetime"):
        build_event("sqs", patch={"Records[0].when": NOW})


def test_events_over_the_payload_limit_are_refused_unless_asked_for():
    body = "x" * 6_300_000
    with pytest.raises(EventBuildError, match=r"6,291,456-byte .*check_size=False"):
        build_event("sqs", body=body)
    event = build_event("sqs", body=body, check_size=False)
    assert len(json.dumps(event)) > 6_291_456


def test_event_is_a_fresh_copy_each_time():
    ctx_args = {"seed": 1, "now": NOW}
    first = build_event("sqs", message_attributes={"a": "1"}, **ctx_args)
    first["Records"][0]["messageAttributes"]["a"]["stringValue"] = "changed"
    assert build_event("sqs", message_attributes={"a": "1"}, **ctx_args) != first
