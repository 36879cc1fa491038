"""API Gateway HTTP API (payload 2.0): derived fields, Powertools round trips, bad input."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, event_sources

REGION = "eu-west-1"
ACCOUNT = "111122223333"
NOW = datetime(2024, 11, 30, 23, 59, 58, 5000, tzinfo=timezone.utc)
VARIANTS = ["default", "post_json", "jwt_authorizer", "lambda_authorizer"]


def make(variant=None, *, seed=11, **params):
    return build(
        "apigw_http", variant, seed=seed, now=NOW, region=REGION, account_id=ACCOUNT, **params
    )


def test_variants_are_registered_in_order():
    assert event_sources()["apigw_http"] == tuple(VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 99])
def test_every_variant_validates_with_the_powertools_model(variant, seed):
    event = make(variant, seed=seed, query={"a": ["1", "2"]}, cookies=["s=1"])
    model = APIGatewayProxyEventV2Model.model_validate(event)
    assert model.requestContext.accountId == ACCOUNT
    assert model.version == "2.0"


def test_raw_query_string_parses_back_to_query_string_parameters():
    query = {"tag": ["red", "blue"], "q": "a b&c=d", "ünï": "cödé", "page": 3}
    event = make(query=query)
    parsed = parse_qs(event["rawQueryString"], keep_blank_values=True, strict_parsing=True)
    assert {k: ",".join(v) for k, v in parsed.items()} == event["queryStringParameters"]
    assert event["queryStringParameters"]["tag"] == "red,blue"  # repeats joined with commas
    assert event["queryStringParameters"]["q"] == "a b&c=d"
    assert APIGatewayProxyEventV2(event).get_query_string_value("page") == "3"


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_TEXT, st.lists(_TEXT, min_size=1, max_size=3), min_size=1, max_size=4))
def test_raw_query_string_round_trips_for_any_text(query):
    event = make(query=query)
    parsed = parse_qs(event["rawQueryString"], keep_blank_values=True, strict_parsing=True)
    assert parsed == query
    assert event["queryStringParameters"] == {k: ",".join(v) for k, v in query.items()}


def test_no_query_no_cookies_no_body():
    event = make()
    assert event["rawQueryString"] == ""
    for key in ("queryStringParameters", "cookies", "body", "pathParameters", "stageVariables"):
        assert key not in event
    assert event["isBase64Encoded"] is False


def test_cookies_are_a_list_and_never_a_header():
    event = make(cookies=["a=1"], headers={"Cookie": "b=2; c=3", "X-Trace": "t"})
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert "cookie" not in event["headers"]
    assert APIGatewayProxyEventV2(event).resolved_cookies_field == {"a": "1", "b": "2", "c": "3"}


def test_header_names_are_lower_case_and_repeats_comma_joined():
    event = make(headers={"X-Multi": ["x", "y"], "Accept": "text/csv"})
    headers = event["headers"]
    assert all(name == name.lower() for name in headers)
    assert headers["x-multi"] == "x,y"
    assert headers["accept"] == "text/csv"
    assert headers["host"] == event["requestContext"]["domainName"]
    assert headers["x-forwarded-for"] == event["requestContext"]["http"]["sourceIp"]
    assert headers["user-agent"] == event["requestContext"]["http"]["userAgent"]


@pytest.mark.parametrize(("stage", "raw"), [("$default", "/items/9"), ("dev", "/dev/items/9")])
def test_raw_path_has_the_stage_prefix_only_for_named_stages(stage, raw):
    event = make(path="/items/9", stage=stage)
    assert event["rawPath"] == raw
    assert event["requestContext"]["http"]["path"] == raw
    assert event["requestContext"]["stage"] == stage
    assert APIGatewayProxyEventV2(event).path == "/items/9"


def test_request_context_is_consistent():
    event = make("post_json")
    rc = event["requestContext"]
    assert rc["accountId"] == ACCOUNT
    assert rc["domainName"] == f"{rc['apiId']}.execute-api.{REGION}.amazonaws.com"
    assert rc["domainPrefix"] == rc["apiId"]
    assert rc["http"]["method"] == "POST"
    assert rc["http"]["protocol"] == "HTTP/1.1"
    assert rc["routeKey"] == event["routeKey"] == "$default"
    assert rc["time"] == "30/Nov/2024:23:59:58 +0000"
    assert rc["timeEpoch"] == int(NOW.timestamp() * 1000)
    assert len(rc["requestId"]) == 16


def test_post_json_body():
    event = make("post_json")
    proxy = APIGatewayProxyEventV2(event)
    assert proxy.json_body == {"name": "Widget", "quantity": 1}
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["content-length"] == str(len(event["body"].encode()))


def test_non_text_bodies_are_base64_encoded_as_http_apis_do():
    form = make(method="POST", body="a=1&b=2", content_type="application/x-www-form-urlencoded")
    assert form["isBase64Encoded"] is True
    assert base64.b64decode(form["body"]) == b"a=1&b=2"
    assert APIGatewayProxyEventV2(form).decoded_body == "a=1&b=2"
    text = make(method="POST", body="hello", content_type="text/plain")
    assert text["isBase64Encoded"] is False
    assert text["body"] == "hello"
    forced = make(method="POST", body="hello", is_base64_encoded=True)
    assert base64.b64decode(forced["body"]) == b"hello"


def test_route_key_templates_give_path_parameters():
    event = make(route_key="GET /orders/{orderId}", path="/orders/o-77")
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /orders/{orderId}"
    assert event["pathParameters"] == {"orderId": "o-77"}
    greedy = make(route_key="ANY /{proxy+}", method="DELETE", path="/x/y")
    assert APIGatewayProxyEventV2(greedy).path_parameters == {"proxy": "x/y"}


def test_jwt_authorizer_claims_and_scopes():
    event = make("jwt_authorizer", claims={"sub": "user-1", "groups": ["admin", "ops"], "n": 5})
    authorizer = APIGatewayProxyEventV2(event).request_context.authorizer
    claims = authorizer.jwt_claim
    assert claims["sub"] == "user-1"
    assert claims["groups"] == "[admin ops]"  # HTTP APIs pass claims on as strings
    assert claims["n"] == "5"
    assert claims["iss"].startswith(f"https://cognito-idp.{REGION}.amazonaws.com/")
    assert authorizer.jwt_scopes == claims["scope"].split()
    assert int(claims["exp"]) - int(claims["iat"]) == 3600
    assert int(claims["iat"]) <= NOW.timestamp()


def test_scopes_set_the_scope_claim_and_imply_the_jwt_authorizer():
    event = make(scopes=["orders/read", "orders/write"])
    jwt = event["requestContext"]["authorizer"]["jwt"]
    assert jwt["scopes"] == ["orders/read", "orders/write"]
    assert jwt["claims"]["scope"] == "orders/read orders/write"


def test_lambda_authorizer_context():
    event = make(authorizer_context={"tenant": "t-3", "admin": True})
    assert APIGatewayProxyEventV2(event).request_context.authorizer.get_lambda == {
        "tenant": "t-3",
        "admin": True,
    }
    default = make("lambda_authorizer")["requestContext"]["authorizer"]
    assert set(default) == {"lambda"}


def test_iam_authorizer():
    iam = APIGatewayProxyEventV2(make(authorizer="iam")).request_context.authorizer.iam
    assert iam.user_arn == f"arn:aws:iam::{ACCOUNT}:user/example-user"
    assert iam.caller_id == iam.user_id


def test_same_seed_same_event_and_different_seeds_differ():
    assert make(seed=1) == make(seed=1)
    a, b = make(seed=1), make(seed=2)
    assert a["requestContext"]["requestId"] != b["requestContext"]["requestId"]
    assert a["headers"]["x-amzn-trace-id"] != b["headers"]["x-amzn-trace-id"]


def test_body_list_is_json():
    event = make(method="POST", body=[1, "two"])
    assert json.loads(event["body"]) == [1, "two"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"method": "BREW"}, r"method='BREW' is not an HTTP method"),
        ({"path": "no-slash"}, r"path='no-slash' must start with '/'"),
        ({"stage": "my stage"}, r"stage='my stage' is not a stage name"),
        ({"route_key": "items"}, r"route_key='items' is not a route key.*Fix"),
        ({"route_key": "POST /items"}, r"cannot match a GET request.*Fix: route_key='GET /items'"),
        ({"route_key": "GET /orders/{id}", "path": "/items"}, r"does not match route_key="),
        ({"authorizer": "lambda", "claims": {"a": 1}}, r"authorizer='jwt'"),
        ({"authorizer": "iam", "authorizer_context": {}}, r"authorizer='lambda'"),
        ({"cookies": ["a=1"], "query": {"x": None}}, r"query\['x'\]"),
        ({"source_ip": "999.1.1.1"}, r"source_ip='999.1.1.1'"),
    ],
)
def test_bad_values_raise_a_helpful_error(params, fragment):
    with pytest.raises(EventBuildError, match=fragment) as info:
        make(**params)
    assert "apigw_http" in str(info.value)
