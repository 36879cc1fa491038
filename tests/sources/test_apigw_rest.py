"""API Gateway REST API (payload 1.0): derived fields, Powertools round trips, bad input."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, event_sources

REGION = "eu-west-1"
ACCOUNT = "111122223333"
NOW = datetime(2024, 3, 9, 7, 5, 3, 250000, tzinfo=timezone.utc)


def make(variant=None, *, seed=7, **params):
    return build(
        "apigw_rest", variant, seed=seed, now=NOW, region=REGION, account_id=ACCOUNT, **params
    )


def test_variants_are_registered_in_order():
    assert event_sources()["apigw_rest"] == ("default", "post_json", "binary")


@pytest.mark.parametrize("variant", ["default", "post_json", "binary"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 99])
def test_every_variant_validates_with_the_powertools_model(variant, seed):
    event = make(variant, seed=seed)
    model = APIGatewayProxyEventModel.model_validate(event)
    assert model.requestContext.accountId == ACCOUNT
    assert model.httpMethod == event["requestContext"]["httpMethod"]


def test_multi_value_headers_agree_with_headers():
    event = make(headers={"X-Custom": ["one", "two"], "accept": "text/csv"})
    headers, multi = event["headers"], event["multiValueHeaders"]
    assert set(headers) == set(multi)
    for name, values in multi.items():
        assert headers[name] == values[-1]
    assert multi["X-Custom"] == ["one", "two"]
    assert headers["X-Custom"] == "two"
    # A given header replaces the generated one whatever its case: one Accept, the given value.
    accepts = [name for name in headers if name.lower() == "accept"]
    assert accepts == ["accept"]
    assert headers["accept"] == "text/csv"


def test_query_is_null_without_a_query_string():
    event = make()
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None


def test_query_keeps_the_last_value_and_every_value():
    event = make(query={"tag": ["red", "blue"], "page": 2})
    assert event["multiValueQueryStringParameters"] == {"tag": ["red", "blue"], "page": ["2"]}
    assert event["queryStringParameters"] == {"tag": "blue", "page": "2"}
    proxy = APIGatewayProxyEvent(event)
    assert proxy.query_string_parameters == {"tag": "blue", "page": "2"}
    assert proxy.get_multi_value_query_string_values("tag") == ["red", "blue"]


def test_post_json_body_is_json_text_with_its_content_type():
    event = make("post_json")
    proxy = APIGatewayProxyEvent(event)
    assert proxy.http_method == "POST"
    assert proxy.json_body == {"name": "Widget", "quantity": 1}
    assert proxy.headers.get("content-type") == "application/json"
    assert event["isBase64Encoded"] is False


def test_dict_body_is_serialised():
    payload = {"order": [1, 2, 3], "note": "ünïcode"}
    event = make(method="put", body=payload)
    assert event["httpMethod"] == "PUT"
    assert json.loads(event["body"]) == payload


def test_binary_body_decodes_to_the_input():
    text = "\x00\x01 raw bytes \xff"
    event = make("binary", body=text)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == text.encode()
    assert event["headers"]["Content-Type"] == "application/octet-stream"
    assert APIGatewayProxyEvent(event).decoded_body == text


def test_path_parameters_are_derived_from_the_resource():
    event = make(resource="/orders/{orderId}/items/{itemId}", path="/orders/o-1/items/42")
    assert event["pathParameters"] == {"orderId": "o-1", "itemId": "42"}
    assert event["requestContext"]["resourcePath"] == "/orders/{orderId}/items/{itemId}"
    greedy = make(resource="/{proxy+}", path="/a/b/c")
    assert greedy["pathParameters"] == {"proxy": "a/b/c"}
    assert APIGatewayProxyEvent(greedy).path_parameters == {"proxy": "a/b/c"}


def test_explicit_path_parameters_win():
    event = make(resource="/items/{id}", path="/items/1", path_parameters={"id": "override"})
    assert event["pathParameters"] == {"id": "override"}


def test_request_context_is_consistent():
    event = make(path="/users/me", stage="dev", stage_variables={"table": "users-dev"})
    rc = event["requestContext"]
    api = rc["apiId"]
    assert rc["accountId"] == ACCOUNT
    assert rc["domainName"] == f"{api}.execute-api.{REGION}.amazonaws.com"
    assert rc["domainPrefix"] == api
    assert event["headers"]["Host"] == rc["domainName"]
    assert rc["path"] == "/dev/users/me"
    assert event["path"] == "/users/me"
    assert rc["stage"] == "dev"
    assert rc["requestTime"] == "09/Mar/2024:07:05:03 +0000"
    assert rc["requestTimeEpoch"] == int(NOW.timestamp() * 1000)
    assert rc["identity"]["userAgent"] == event["headers"]["User-Agent"]
    assert event["headers"]["X-Forwarded-For"].split(", ")[0] == rc["identity"]["sourceIp"]
    trace_seconds = int(event["headers"]["X-Amzn-Trace-Id"].split("-")[1], 16)
    assert trace_seconds == int(NOW.timestamp())
    assert event["stageVariables"] == {"table": "users-dev"}
    assert APIGatewayProxyEvent(event).stage_variables == {"table": "users-dev"}


def test_identity_has_every_key_with_nulls():
    identity = make()["requestContext"]["identity"]
    nullable = {
        "cognitoIdentityPoolId",
        "accountId",
        "cognitoIdentityId",
        "caller",
        "principalOrgId",
        "accessKey",
        "cognitoAuthenticationType",
        "cognitoAuthenticationProvider",
        "userArn",
        "user",
    }
    assert nullable <= set(identity)
    assert all(identity[key] is None for key in nullable)


def test_regional_endpoint_has_no_cloudfront_headers():
    edge = make()["headers"]
    regional = make(endpoint_type="regional")["headers"]
    assert any(name.startswith("CloudFront-") for name in edge)
    assert "Via" in edge
    assert not any(name.startswith("CloudFront-") or name == "Via" for name in regional)
    assert "," not in regional["X-Forwarded-For"]


def test_source_ip_and_user_agent():
    event = make(source_ip="203.0.113.9", user_agent="my-client/1.0")
    identity = APIGatewayProxyEvent(event).request_context.identity
    assert identity.source_ip == "203.0.113.9"
    assert identity.user_agent == "my-client/1.0"


def test_cookies_become_a_cookie_header():
    event = make(cookies=["session=abc", "theme=dark"])
    assert event["headers"]["Cookie"] == "session=abc; theme=dark"
    assert APIGatewayProxyEvent(event).resolved_cookies_field == {"session": "abc", "theme": "dark"}


def test_cognito_claims_merge_over_generated_ones():
    event = make(claims={"email": "jane@example.org", "custom:tenant": "t-1"})
    claims = APIGatewayProxyEvent(event).request_context.authorizer.claims
    assert claims["email"] == "jane@example.org"
    assert claims["custom:tenant"] == "t-1"
    assert claims["token_use"] == "id"
    assert claims["iss"].startswith(f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_")
    issued = datetime.strptime(claims["iat"], "%a %b %d %H:%M:%S UTC %Y")
    expires = datetime.strptime(claims["exp"], "%a %b %d %H:%M:%S UTC %Y")
    assert expires - issued == timedelta(hours=1)
    assert issued.replace(tzinfo=timezone.utc) <= NOW


def test_lambda_authorizer_context():
    event = make(authorizer_context={"tenant": "t-9", "plan": "gold"}, principal_id="user-1")
    authorizer = APIGatewayProxyEvent(event).request_context.authorizer
    assert authorizer.principal_id == "user-1"
    assert authorizer.get_context()["tenant"] == "t-9"
    assert isinstance(authorizer.integration_latency, int)


def test_iam_authorizer_fills_the_identity():
    identity = make(authorizer="iam")["requestContext"]["identity"]
    assert identity["accessKey"].startswith("AKIA")
    assert identity["accountId"] == ACCOUNT
    assert identity["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/example-user"
    assert identity["caller"] == identity["user"]


def test_same_seed_same_event_and_different_seeds_differ():
    assert make(seed=5) == make(seed=5)
    a, b = make(seed=5), make(seed=6)
    assert a["requestContext"]["requestId"] != b["requestContext"]["requestId"]
    assert a["requestContext"]["apiId"] != b["requestContext"]["apiId"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"method": "FETCH"}, r"method='FETCH' is not an HTTP method\. Fix:"),
        ({"path": "items"}, r"path='items' must start with '/'\. Fix: path='/items'"),
        ({"path": "/items?x=1"}, r"query string.*query=\{"),
        ({"resource": "/orders/{id}", "path": "/items/1"}, r"does not match resource="),
        ({"stage": "$default"}, r"stage='\$default'.*HTTP APIs"),
        ({"stage": "a/b"}, r"stage='a/b' is not a stage name"),
        ({"query": {"page": {"n": 1}}}, r"query\['page'\].*Fix"),
        ({"query": {"tag": []}}, r"query\['tag'\] is an empty list"),
        ({"headers": {"X-Flag": True}}, r"headers\['X-Flag'\]"),
        ({"source_ip": "localhost"}, r"source_ip='localhost' is not an IP address"),
        ({"authorizer": "lambda", "claims": {"a": "b"}}, r"claims.*authorizer='cognito'"),
        ({"authorizer": "cognito", "principal_id": "x"}, r"authorizer='lambda'"),
    ],
)
def test_bad_values_raise_a_helpful_error(params, fragment):
    with pytest.raises(EventBuildError, match=fragment) as info:
        make(**params)
    assert "apigw_rest" in str(info.value)


def test_wrong_parameter_type_is_refused_by_the_annotations():
    with pytest.raises(EventBuildError, match="parameter 'query' expects"):
        make(query="a=1")
