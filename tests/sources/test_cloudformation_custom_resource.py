"""The CloudFormation custom resource source: invariants, Powertools validation, bad input."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from aws_lambda_powertools.utilities.data_classes import CloudFormationCustomResourceEvent
from aws_lambda_powertools.utilities.parser.models import (
    CloudFormationCustomResourceCreateModel,
    CloudFormationCustomResourceDeleteModel,
    CloudFormationCustomResourceUpdateModel,
)
from hypothesis import given
from hypothesis import strategies as st

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, get
from pytest_lambda.sources.cloudformation_custom_resource import stringify_properties

FIXED_NOW = datetime(2024, 3, 1, 12, 30, 45, 678_000, tzinfo=timezone.utc)
REGION = "eu-west-1"
ACCOUNT = "111122223333"
SLUG = "cloudformation_custom_resource"
SEEDS = range(6)
MODELS = {
    "create": CloudFormationCustomResourceCreateModel,
    "update": CloudFormationCustomResourceUpdateModel,
    "delete": CloudFormationCustomResourceDeleteModel,
}
UUID_EPOCH = datetime(1582, 10, 15, tzinfo=timezone.utc)
# Template property values: JSON scalars (bounded ints, finite floats, booleans, text) nested
# in lists and objects, as a template's Properties block holds them.
SCALARS = (
    st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
PROPERTY_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


def _event(variant: str | None = None, seed: int = 0, region: str = REGION, **params: Any) -> Any:
    return build(
        SLUG, variant, seed=seed, now=FIXED_NOW, region=region, account_id=ACCOUNT, **params
    )


def _uuid1_time(value: str) -> datetime:
    parsed = uuid.UUID(value)
    assert parsed.version == 1
    return UUID_EPOCH + timedelta(microseconds=parsed.time // 10)


def _all_strings(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_all_strings(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_strings(v) for v in value)
    return isinstance(value, str)


def test_variants_in_order_and_create_is_the_default() -> None:
    info = get(SLUG)
    assert list(info.variants) == ["create", "update", "delete"]
    assert info.default_variant == "create"
    assert _event()["RequestType"] == "Create"


@pytest.mark.parametrize("variant", list(get(SLUG).variants))
@pytest.mark.parametrize("seed", SEEDS)
def test_every_variant_validates_with_its_powertools_model(variant: str, seed: int) -> None:
    model = MODELS[variant].model_validate(_event(variant, seed))
    assert model.request_type == variant.capitalize()
    for other, other_model in MODELS.items():
        if other != variant:
            with pytest.raises(ValueError, match="validation error"):
                other_model.model_validate(_event(variant, seed))


@pytest.mark.parametrize(
    ("variant", "physical", "old"),
    [("create", False, False), ("update", True, True), ("delete", True, False)],
)
def test_fields_present_per_request_type(variant: str, physical: bool, old: bool) -> None:
    event = _event(variant)
    assert ("PhysicalResourceId" in event) is physical
    assert ("OldResourceProperties" in event) is old
    for field in (
        "RequestType",
        "ServiceToken",
        "ResponseURL",
        "StackId",
        "RequestId",
        "LogicalResourceId",
        "ResourceType",
        "ResourceProperties",
    ):
        assert field in event


def test_stack_id_is_an_arn_with_a_time_based_uuid() -> None:
    event = _event(stack="orders-prod")
    match = re.fullmatch(
        r"arn:aws:cloudformation:eu-west-1:111122223333:stack/orders-prod/([0-9a-f-]{36})",
        event["StackId"],
    )
    assert match
    created = _uuid1_time(match.group(1))
    assert FIXED_NOW - timedelta(minutes=5) < created <= FIXED_NOW  # Create: a fresh stack
    later = _event("delete", stack="orders-prod")["StackId"].rsplit("/", 1)[1]
    assert _uuid1_time(later) < FIXED_NOW - timedelta(minutes=59)  # Delete: an older stack


def test_service_token_is_a_lambda_arn_repeated_in_the_properties() -> None:
    event = _event("update")
    token = event["ServiceToken"]
    assert re.fullmatch(r"arn:aws:lambda:eu-west-1:111122223333:function:[\w-]{1,64}", token)
    assert event["ResourceProperties"]["ServiceToken"] == token
    assert event["OldResourceProperties"]["ServiceToken"] == token
    assert next(iter(event["ResourceProperties"])) == "ServiceToken"


def test_service_timeout_is_sent_as_a_string_property() -> None:
    event = _event("update", service_timeout=300)
    assert event["ResourceProperties"]["ServiceTimeout"] == "300"
    assert event["OldResourceProperties"]["ServiceTimeout"] == "300"
    assert "ServiceTimeout" not in _event()["ResourceProperties"]


def test_properties_are_stringified_as_cloudformation_does() -> None:
    event = _event(
        "update",
        resource_properties={"Count": 3, "Enabled": True, "Ratio": 0.5, "Tags": [1, {"On": False}]},
        old_resource_properties={"Count": 2, "Enabled": False},
    )
    props = {k: v for k, v in event["ResourceProperties"].items() if k != "ServiceToken"}
    assert props == {
        "Count": "3",
        "Enabled": "true",
        "Ratio": "0.5",
        "Tags": ["1", {"On": "false"}],
    }
    old = {k: v for k, v in event["OldResourceProperties"].items() if k != "ServiceToken"}
    assert old == {"Count": "2", "Enabled": "false"}


def test_default_update_changes_the_properties_and_given_ones_are_kept() -> None:
    default = _event("update")
    assert default["ResourceProperties"] != default["OldResourceProperties"]
    given_props = _event("update", resource_properties={"Name": "x"})
    assert given_props["OldResourceProperties"] == given_props["ResourceProperties"]


@given(value=st.dictionaries(st.text(max_size=6), PROPERTY_VALUES, max_size=4))
def test_stringified_properties_keep_their_shape_and_are_all_strings(value: dict[str, Any]) -> None:
    props = _event(resource_properties=value)["ResourceProperties"]
    assert _all_strings(props)
    assert set(props) == {"ServiceToken", *value}
    assert stringify_properties(value) == {k: v for k, v in props.items() if k != "ServiceToken"}


def test_response_url_is_a_presigned_s3_url_for_this_request() -> None:
    event = _event("delete", logical_resource_id="Database")
    url = urlsplit(event["ResponseURL"])
    assert url.scheme == "https"
    bucket = "cloudformation-custom-resource-response-euwest1"
    assert url.netloc == f"{bucket}.s3.eu-west-1.amazonaws.com"
    assert "%3A" in url.path
    assert "%7C" in url.path
    assert unquote(url.path[1:]) == f"{event['StackId']}|Database|{event['RequestId']}"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Date"] == "20240301T123045Z"
    assert query["X-Amz-Expires"] == "7200"
    assert query["X-Amz-SignedHeaders"] == "host"
    assert re.fullmatch(
        r"AKIA[A-Z2-7]{16}/20240301/eu-west-1/s3/aws4_request", query["X-Amz-Credential"]
    )
    assert re.fullmatch(r"[0-9a-f]{64}", query["X-Amz-Signature"])


def test_response_url_in_us_east_1_uses_the_global_s3_host() -> None:
    url = urlsplit(_event(region="us-east-1")["ResponseURL"])
    assert url.netloc == "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"


def test_given_values_are_used_as_they_are() -> None:
    token = "arn:aws:lambda:eu-west-1:111122223333:function:provider"
    event = _event(
        "delete",
        stack="Other",
        resource_type="AWS::CloudFormation::CustomResource",
        logical_resource_id="Thing1",
        physical_resource_id="thing-1",
        response_url="http://127.0.0.1:9000/cfn-response",
        service_token=token,
    )
    assert event["ResponseURL"] == "http://127.0.0.1:9000/cfn-response"
    assert event["ServiceToken"] == event["ResourceProperties"]["ServiceToken"] == token
    assert event["PhysicalResourceId"] == "thing-1"
    assert event["ResourceType"] == "AWS::CloudFormation::CustomResource"
    assert event["LogicalResourceId"] == "Thing1"
    assert ":stack/Other/" in event["StackId"]


def test_default_physical_resource_id_is_a_log_stream_name() -> None:
    physical = _event("update")["PhysicalResourceId"]
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", physical)


def test_powertools_data_class_reads_the_event_back() -> None:
    event = CloudFormationCustomResourceEvent(_event("update", resource_properties={"A": 1}))
    assert event.request_type == "Update"
    assert event.resource_properties["A"] == "1"
    assert event.old_resource_properties["A"] == "1"
    assert event.physical_resource_id
    assert event.stack_id.startswith("arn:aws:cloudformation:eu-west-1:111122223333:stack/")
    assert event.service_token == event.resource_properties["ServiceToken"]


def test_same_seed_same_event_and_other_seeds_change_the_ids() -> None:
    assert _event("update", seed=4) == _event("update", seed=4)
    first, other = _event("update", seed=4), _event("update", seed=5)
    for field in ("RequestId", "StackId", "ResponseURL", "PhysicalResourceId", "ServiceToken"):
        assert first[field] != other[field]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"resource_type": "MyResource"}, r"'MyResource' is not a custom resource type"),
        ({"resource_type": "Custom::" + "x" * 53}, r"at most 60 characters"),
        ({"resource_type": "Custom::bad type"}, r"not a custom resource type"),
        ({"stack": "1stack"}, r"stack '1stack' is not a stack name"),
        ({"stack": "arn:aws:cloudformation:x"}, r"is not a stack name"),
        ({"logical_resource_id": "My-Resource"}, r"'My-Resource' is not a logical ID"),
        ({"resource_properties": {"ServiceToken": "x"}}, r"pass ServiceToken as service_token="),
        ({"resource_properties": {"ServiceTimeout": 5}}, r"pass ServiceTimeout as service_timeout"),
        ({"old_resource_properties": {"A": 1}}, r"'Create' request.*Update requests only"),
        ({"physical_resource_id": "p-1"}, r"physical_resource_id='p-1' with a 'Create' request"),
        ({"response_url": "ftp://x/y"}, r"response_url 'ftp://x/y' is not an http\(s\) URL"),
        ({"service_token": "arn:aws:sns:eu-west-1:111122223333:t"}, r"not a Lambda function ARN"),
        (
            {"service_token": "arn:aws:lambda:us-west-2:111122223333:function:f"},
            r"stack's region \(eu-west-1\)",
        ),
        ({"service_timeout": 0}, r"service_timeout=0 is out of range.*1 to 3,600"),
        ({"service_timeout": 3601}, r"service_timeout=3601 is out of range"),
        ({"request_type": "Replace"}, r"parameter 'request_type' expects 'Create' \| 'Update'"),
        ({"resource_properties": ["a"]}, r"parameter 'resource_properties' expects"),
    ],
)
def test_bad_input_raises_a_helpful_error(params: dict[str, Any], match: str) -> None:
    with pytest.raises(EventBuildError, match=match):
        _event(**params)


def test_update_only_fields_are_refused_on_delete_too() -> None:
    with pytest.raises(EventBuildError, match=r"'Delete' request.*Update requests only"):
        _event("delete", old_resource_properties={"A": 1})
    with pytest.raises(EventBuildError, match=r"physical_resource_id='' with a 'Update'"):
        _event("update", physical_resource_id="")
