"""Lambda function URL requests: derived fields, Powertools round trips, bad input."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
from aws_lambda_powertools.utilities.data_classes import LambdaFunctionUrlEvent
from aws_lambda_powertools.utilities.parser.models import LambdaFunctionUrlModel

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, event_sources

REGION = "eu-west-1"
ACCOUNT = "111122223333"
NOW = datetime(2024, 2, 29, 12, 0, 0, 999000, tzinfo=timezone.utc)


def make(variant=None, *, seed=21, **params):
    return build(
        "function_url", variant, seed=seed, now=NOW, region=REGION, account_id=ACCOUNT, **params
    )


def test_variants_are_registered_in_order():
    assert event_sources()["function_url"] == ("default", "iam_auth")


@pytest.mark.parametrize("variant", ["default", "iam_auth"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 99])
def test_every_variant_validates_with_the_powertools_model(variant, seed):
    event = make(variant, seed=seed, method="POST", body={"x": 1}, query={"a": "b"})
    model = LambdaFunctionUrlModel.model_validate(event)
    assert model.routeKey == "$default"
    assert model.requestContext.stage == "$default"


def test_url_shape_and_request_context():
    event = make(path="/hook")
    rc = event["requestContext"]
    url_id = rc["apiId"]
    assert re.fullmatch(r"[a-z0-9]{32}", url_id)
    assert rc["domainName"] == f"{url_id}.lambda-url.{REGION}.on.aws"
    assert rc["domainPrefix"] == url_id
    assert event["headers"]["host"] == rc["domainName"]
    assert event["rawPath"] == rc["http"]["path"] == "/hook"
    assert rc["routeKey"] == event["routeKey"] == "$default"
    assert rc["time"] == "29/Feb/2024:12:00:00 +0000"
    assert rc["timeEpoch"] == int(NOW.timestamp() * 1000)
    assert "authorizer" not in rc
    assert rc["accountId"] == "anonymous"  # auth type NONE


def test_iam_auth_adds_the_caller():
    event = make("iam_auth", caller_account_id="444455556666", iam_user="ci-bot")
    iam = event["requestContext"]["authorizer"]["iam"]
    assert iam["accountId"] == "444455556666"
    assert iam["userArn"] == "arn:aws:iam::444455556666:user/ci-bot"
    assert iam["cognitoIdentity"] is None
    assert iam["callerId"] == iam["userId"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", iam["accessKey"])
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", iam["userId"])
    assert event["requestContext"]["accountId"] == ACCOUNT
    data = LambdaFunctionUrlEvent(event).request_context.authorizer.iam
    assert data.user_arn == iam["userArn"]


def test_iam_caller_defaults_to_the_function_account():
    iam = make("iam_auth")["requestContext"]["authorizer"]["iam"]
    assert iam["accountId"] == ACCOUNT
    assert iam["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/example-user"


def test_query_cookies_and_headers_follow_payload_2():
    event = make(
        query={"ids": ["1", "2"], "s": "x y"},
        cookies=["a=1"],
        headers={"COOKIE": "b=2", "X-Custom": ["m", "n"]},
    )
    parsed = parse_qs(event["rawQueryString"], strict_parsing=True)
    assert {k: ",".join(v) for k, v in parsed.items()} == event["queryStringParameters"]
    assert event["queryStringParameters"] == {"ids": "1,2", "s": "x y"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-custom"] == "m,n"
    url_event = LambdaFunctionUrlEvent(event)
    assert url_event.query_string_parameters == {"ids": "1,2", "s": "x y"}
    assert url_event.cookies == ["a=1", "b=2"]


def test_get_without_extras_leaves_optional_keys_out():
    event = make()
    for key in ("body", "cookies", "queryStringParameters", "pathParameters", "stageVariables"):
        assert key not in event
    assert event["rawQueryString"] == ""


def test_bodies():
    json_event = make(method="POST", body={"hello": "world"})
    assert LambdaFunctionUrlEvent(json_event).json_body == {"hello": "world"}
    assert json_event["isBase64Encoded"] is False
    binary = make(method="PUT", body="PK\x03\x04", content_type="application/zip")
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"PK\x03\x04"


def test_same_seed_same_event_and_different_seeds_differ():
    assert make("iam_auth", seed=8) == make("iam_auth", seed=8)
    a, b = make(seed=8), make(seed=9)
    assert a["requestContext"]["requestId"] != b["requestContext"]["requestId"]
    assert a["requestContext"]["apiId"] != b["requestContext"]["apiId"]


def test_fixed_url_id_and_source_ip():
    event = make(url_id="abc123", source_ip="2001:db8::1", user_agent="probe/2")
    assert event["requestContext"]["domainName"] == f"abc123.lambda-url.{REGION}.on.aws"
    assert event["requestContext"]["http"]["sourceIp"] == "2001:db8::1"
    assert event["requestContext"]["http"]["userAgent"] == "probe/2"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"method": "TRACE"}, r"method='TRACE' is not an HTTP method"),
        ({"path": "hook"}, r"path='hook' must start with '/'"),
        ({"url_id": "Has.Dots"}, r"url_id='Has.Dots'.*Fix"),
        ({"caller_account_id": "12345"}, r"caller_account_id='12345' is not a 12-digit"),
        ({"iam_user": "bad user"}, r"iam_user='bad user' is not an IAM user name"),
        ({"source_ip": "::g"}, r"source_ip='::g'"),
    ],
)
def test_bad_values_raise_a_helpful_error(params, fragment):
    with pytest.raises(EventBuildError, match=fragment) as info:
        make(**params)
    assert "function_url" in str(info.value)


def test_unknown_auth_type_is_refused_by_the_annotations():
    expected = re.escape("parameter 'auth_type' expects 'NONE' | 'AWS_IAM'")
    with pytest.raises(EventBuildError, match=expected):
        make(auth_type="IAM")
