"""The scheduled-rule source: invariants, Powertools validation, bad input."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from hypothesis import given
from hypothesis import strategies as st

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, get

FIXED_NOW = datetime(2024, 3, 1, 12, 30, 45, 678_000, tzinfo=timezone.utc)
REGION = "eu-west-1"
ACCOUNT = "111122223333"
SEEDS = range(6)
# Any instant from 2000 to 2100 (UTC); the scheduled time is its minute.
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
)


def _event(seed: int = 0, now: datetime = FIXED_NOW, **params: Any) -> dict[str, Any]:
    return build("scheduled", seed=seed, now=now, region=REGION, account_id=ACCOUNT, **params)


@pytest.mark.parametrize("variant", list(get("scheduled").variants))
@pytest.mark.parametrize("seed", SEEDS)
def test_every_variant_validates_with_the_powertools_model(variant: str, seed: int) -> None:
    event = build("scheduled", variant, seed=seed, now=FIXED_NOW, region=REGION, account_id=ACCOUNT)
    model = EventBridgeModel.model_validate(event)
    assert model.detail_type == "Scheduled Event"
    assert model.source == "aws.events"
    assert model.detail == {}


def test_scheduled_event_fields() -> None:
    event = _event(rule="nightly-report")
    assert event == {
        "version": "0",
        "id": event["id"],
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2024-03-01T12:30:00Z",
        "region": REGION,
        "resources": ["arn:aws:events:eu-west-1:111122223333:rule/nightly-report"],
        "detail": {},
    }
    assert uuid.UUID(event["id"]).version == 4


def test_default_rule_name() -> None:
    assert _event()["resources"] == ["arn:aws:events:eu-west-1:111122223333:rule/my-schedule"]


@given(now=INSTANTS)
def test_time_is_the_minute_the_rule_fired_for(now: datetime) -> None:
    stamp = _event(now=now)["time"]
    fired = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert fired.second == 0
    assert now - timedelta(minutes=1) < fired <= now


def test_powertools_data_class_reads_the_event_back() -> None:
    event = EventBridgeEvent(_event(rule="hourly"))
    assert event.detail_type == "Scheduled Event"
    assert event.source == "aws.events"
    assert event.resources == ["arn:aws:events:eu-west-1:111122223333:rule/hourly"]
    assert event.detail == {}


def test_same_seed_same_event_and_other_seeds_change_the_id() -> None:
    assert _event(seed=5) == _event(seed=5)
    assert _event(seed=5)["id"] != _event(seed=6)["id"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"rule": "arn:aws:events:eu-west-1:111122223333:rule/x"}, r"'arn:aws:events.*rule name"),
        ({"rule": "r" * 65}, r"is not a rule name.*1-64"),
        ({"rule": ""}, r"rule '' is not a rule name"),
        ({"rule": 5}, r"parameter 'rule' expects str"),
        ({"rules": "x"}, r"(?s)no parameter 'rules'.*Did you mean: 'rule'"),
    ],
)
def test_bad_input_raises_a_helpful_error(params: dict[str, Any], match: str) -> None:
    with pytest.raises(EventBuildError, match=match):
        _event(**params)
