"""The EventBridge custom-event source: invariants, Powertools validation, bad input."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from hypothesis import given
from hypothesis import strategies as st

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import BuildContext, build, get
from pytest_lambda.sources._core import check_params, finalize

FIXED_NOW = datetime(2024, 3, 1, 12, 30, 45, 678_000, tzinfo=timezone.utc)
REGION = "eu-west-1"
ACCOUNT = "111122223333"
SEEDS = range(6)
# JSON leaves for generated details: bounded ints (JSON-exact), booleans, null, short text.
JSON_LEAVES = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _event(variant: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    if "source" not in params:
        return build(
            "eventbridge",
            variant,
            seed=seed,
            now=FIXED_NOW,
            region=REGION,
            account_id=ACCOUNT,
            **params,
        )
    # build()'s own first parameter is called ``source`` (the slug), so a ``source=`` keyword
    # cannot pass through it; take the same steps build() takes instead.
    info = get("eventbridge")
    check_params(info, params)
    merged = {**info.variants[variant or info.default_variant], **params}
    ctx = BuildContext(seed=seed, now=FIXED_NOW, region=REGION, account_id=ACCOUNT)
    return finalize(info.builder(ctx, **merged), slug=info.slug)


@pytest.mark.parametrize("variant", list(get("eventbridge").variants))
@pytest.mark.parametrize("seed", SEEDS)
def test_every_variant_validates_with_the_powertools_model(variant: str, seed: int) -> None:
    model = EventBridgeModel.model_validate(_event(variant, seed))
    assert model.detail_type == "Order Placed"
    assert model.source == "com.mycompany.orders"
    assert model.replay_name is None


def test_envelope_fields_in_aws_order() -> None:
    event = _event()
    assert list(event) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert event["version"] == "0"
    assert uuid.UUID(event["id"]).version == 4
    assert event["account"] == ACCOUNT
    assert event["region"] == REGION
    assert event["resources"] == []
    assert isinstance(event["detail"], dict)


def test_time_is_iso_seconds_z_at_or_just_before_now() -> None:
    stamp = _event()["time"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    sent = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert FIXED_NOW - timedelta(seconds=2) <= sent <= FIXED_NOW


def test_parameters_land_in_their_fields() -> None:
    arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"
    event = _event(
        source="com.example.billing",
        detail_type="Invoice Paid",
        detail={"invoiceId": "inv-1", "amount": 12},
        resources=[arn],
    )
    assert event["source"] == "com.example.billing"
    assert event["detail-type"] == "Invoice Paid"
    assert event["detail"] == {"invoiceId": "inv-1", "amount": 12}
    assert event["resources"] == [arn]


def test_replay_name_adds_the_replay_name_field() -> None:
    assert "replay-name" not in _event()
    event = _event(replay_name="orders-replay")
    assert event["replay-name"] == "orders-replay"
    assert EventBridgeModel.model_validate(event).replay_name == "orders-replay"


def test_partner_source_is_allowed_on_its_own_partner_bus() -> None:
    source = "aws.partner/example.com/123/orders"
    event = _event(source=source, event_bus=source)
    assert event["source"] == source


@given(detail=st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5))
def test_detail_round_trips(detail: dict[str, Any]) -> None:
    assert _event(detail=detail)["detail"] == detail


def test_powertools_data_class_reads_the_event_back() -> None:
    event = EventBridgeEvent(_event(detail={"k": "v"}, replay_name="r1"))
    assert event.detail_type == "Order Placed"
    assert event.source == "com.mycompany.orders"
    assert event.detail == {"k": "v"}
    assert event.account == ACCOUNT
    assert event.region == REGION
    assert event.replay_name == "r1"


def test_same_seed_same_event_and_other_seeds_change_the_ids() -> None:
    assert _event(seed=3) == _event(seed=3)
    assert _event(seed=3)["id"] != _event(seed=4)["id"]
    assert _event(seed=3)["detail"]["orderId"] != _event(seed=4)["detail"]["orderId"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"source": "aws.ec2"}, r"'aws.ec2' starts with 'aws.'.*NotAuthorizedForSourceException"),
        ({"source": "aws.partner/x/y", "event_bus": "default"}, r"partner source.*event_bus="),
        ({"source": ""}, r"source '' must be 1 to 256 characters"),
        ({"source": "s" * 257}, r"must be 1 to 256 characters"),
        ({"detail_type": ""}, r"detail_type '' must be 1 to 128"),
        ({"detail_type": "d" * 129}, r"must be 1 to 128"),
        ({"event_bus": "arn:aws:events:eu-west-1:111122223333:event-bus/x"}, r"event bus name"),
        ({"resources": ["arn"] * 101}, r"101 item\(s\).*up to 100"),
        ({"replay_name": ""}, r"replay_name is empty"),
        ({"detail": ["not", "an", "object"]}, r"parameter 'detail' expects"),
        ({"resources": "arn:aws:s3:::b"}, r"parameter 'resources' expects"),
    ],
)
def test_bad_input_raises_a_helpful_error(params: dict[str, Any], match: str) -> None:
    with pytest.raises(EventBuildError, match=match):
        _event(**params)
