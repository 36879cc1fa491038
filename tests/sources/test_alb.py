"""Application Load Balancer target group requests: derived fields, Powertools, bad input."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest
from aws_lambda_powertools.utilities.data_classes import ALBEvent
from aws_lambda_powertools.utilities.parser.models import AlbModel

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, event_sources

REGION = "eu-west-1"
ACCOUNT = "111122223333"
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def make(variant=None, *, seed=3, **params):
    return build("alb", variant, seed=seed, now=NOW, region=REGION, account_id=ACCOUNT, **params)


def test_variants_are_registered_in_order():
    assert event_sources()["alb"] == ("default", "multi_value")


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 99])
def test_default_validates_with_the_powertools_model(seed):
    event = make(seed=seed, query={"a": "1"})
    model = AlbModel.model_validate(event)
    assert (
        model.requestContext.elb.targetGroupArn == event["requestContext"]["elb"]["targetGroupArn"]
    )
    assert model.body == ""


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 99])
def test_multi_value_variant_reads_back_through_the_data_class(seed):
    # Powertools' AlbModel requires the single-value keys, which ALB leaves out when multi-value
    # headers are on, so this variant is checked with the ALBEvent data class instead.
    event = make("multi_value", seed=seed, query={"id": ["1", "2"]}, headers={"X-A": ["p", "q"]})
    assert "headers" not in event
    assert "queryStringParameters" not in event
    alb = ALBEvent(event)
    assert alb.multi_value_query_string_parameters == {"id": ["1", "2"]}
    assert alb.multi_value_headers["x-a"] == ["p", "q"]
    assert alb.request_context.elb_target_group_arn.startswith(
        f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/"
    )


def test_target_group_arn_is_built_from_region_account_and_name():
    arn = make(target_group="api-targets")["requestContext"]["elb"]["targetGroupArn"]
    assert re.fullmatch(
        rf"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/api-targets/[0-9a-f]{{16}}",
        arn,
    )


def test_single_value_mode_keeps_the_last_value():
    event = make(query={"id": ["1", "2"]}, headers={"X-A": ["p", "q"]})
    assert "multiValueHeaders" not in event
    assert "multiValueQueryStringParameters" not in event
    assert event["queryStringParameters"] == {"id": "2"}
    assert event["headers"]["x-a"] == "q"


def test_both_modes_describe_the_same_request():
    params = {"query": {"id": ["1", "2"], "k": "v"}, "headers": {"X-A": ["p", "q"]}}
    single, multi = make(**params), make("multi_value", **params)
    assert set(single["headers"]) == set(multi["multiValueHeaders"])
    for name, values in multi["multiValueHeaders"].items():
        assert single["headers"][name] == values[-1]
    for name, values in multi["multiValueQueryStringParameters"].items():
        assert single["queryStringParameters"][name] == values[-1]


def test_query_stays_url_encoded_as_alb_passes_it_on():
    event = make(query={"q": "a b&c", "näme": "x/y"})
    qs = event["queryStringParameters"]
    assert qs == {"q": "a%20b%26c", "n%C3%A4me": "x%2Fy"}
    assert {unquote(k): unquote(v) for k, v in qs.items()} == {"q": "a b&c", "näme": "x/y"}


def test_no_query_is_an_empty_object_and_no_body_is_an_empty_string():
    event = make()
    assert event["queryStringParameters"] == {}
    assert event["body"] == ""
    assert event["isBase64Encoded"] is False
    assert make("multi_value")["multiValueQueryStringParameters"] == {}


def test_headers_are_lower_case_and_realistic():
    event = make(protocol="http", source_ip="198.51.100.20")
    headers = event["headers"]
    assert all(name == name.lower() for name in headers)
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-port"] == "80"
    assert headers["x-forwarded-for"] == "198.51.100.20"
    assert re.fullmatch(rf"my-alb-\d{{10}}\.{REGION}\.elb\.amazonaws\.com", headers["host"])
    assert int(headers["x-amzn-trace-id"].split("-")[1], 16) == int(NOW.timestamp())


def test_json_body_is_text_and_binary_body_is_base64():
    event = make(method="POST", body={"k": [1, 2]})
    assert event["isBase64Encoded"] is False
    assert ALBEvent(event).json_body == {"k": [1, 2]}
    assert event["headers"]["content-length"] == str(len(event["body"].encode()))
    image = make(method="POST", body="GIF89a", content_type="image/gif")
    assert image["isBase64Encoded"] is True
    assert base64.b64decode(image["body"]) == b"GIF89a"
    forced_text = make(
        method="POST", body="GIF89a", content_type="image/gif", is_base64_encoded=False
    )
    assert forced_text["body"] == "GIF89a"


def test_cookies_and_method_path():
    event = make(method="delete", path="/v1/things/3", cookies=["sid=1"])
    alb = ALBEvent(event)
    assert alb.http_method == "DELETE"
    assert alb.path == "/v1/things/3"
    assert alb.resolved_cookies_field == {"sid": "1"}


def test_same_seed_same_event_and_different_seeds_differ():
    assert make(seed=4) == make(seed=4)
    a, b = make(seed=4), make(seed=5)
    assert a["requestContext"] != b["requestContext"]
    assert json.dumps(a) != json.dumps(b)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"method": "GETT"}, r"method='GETT' is not an HTTP method"),
        ({"path": ""}, r"path='' must start with '/'"),
        ({"path": "/a b"}, r"whitespace.*%20"),
        ({"target_group": "-bad-"}, r"target_group='-bad-' is not a load balancing name"),
        ({"load_balancer": "x" * 33}, r"load_balancer='x+' is not"),
        ({"headers": {"X": [1, {}]}}, r"headers\['X'\]"),
    ],
)
def test_bad_values_raise_a_helpful_error(params, fragment):
    with pytest.raises(EventBuildError, match=fragment) as info:
        make(**params)
    assert "'alb'" in str(info.value)
