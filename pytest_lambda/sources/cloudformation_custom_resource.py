"""AWS CloudFormation custom resource requests sent to a Lambda function (ServiceToken)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from ..errors import EventBuildError
from ._core import BuildContext, Event, event_source

__all__ = ["build", "stringify_properties"]

RequestType = Literal["Create", "Update", "Delete"]

# Stack names: a letter, then letters, digits and hyphens, at most 128 characters.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-using-console-create-stack-parameters.html
_STACK_RE = re.compile(r"^[A-Za-z][-A-Za-z0-9]{0,127}$")
# Logical IDs: alphanumeric (A-Za-z0-9), at most 255 characters.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html
_LOGICAL_ID_RE = re.compile(r"^[A-Za-z0-9]{1,255}$")
# "Custom resource type names can be up to 60 characters long and can include alphanumeric and
# the following characters: _@-" https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
_CUSTOM_TYPE_RE = re.compile(r"^Custom::[A-Za-z0-9_@-]+$")
_GENERIC_TYPE = "AWS::CloudFormation::CustomResource"
_TYPE_MAX = 60
# ServiceTimeout: "an integer from 1 to 3600" seconds (default 3600).
_TIMEOUT_RANGE = (1, 3600)
# CloudFormation pre-signs the ResponseURL for two hours.
_URL_EXPIRES_S = 7200
_UUID_EPOCH_100NS = 0x01B21DD213814000  # 1582-10-15 to 1970-01-01 in 100 ns ticks (RFC 4122)
_DEFAULT_PROPERTIES: dict[str, Any] = {"Name": "my-resource", "Size": 10}
_DEFAULT_OLD_PROPERTIES: dict[str, Any] = {"Name": "my-resource", "Size": 5}


def stringify_properties(value: Any) -> Any:
    """``value`` as CloudFormation hands template properties to a custom resource: numbers and
    booleans become strings (``10`` -> ``"10"``, ``true`` -> ``"true"``), recursively.

    https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1037
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, Mapping):
        return {k: stringify_properties(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [stringify_properties(v) for v in value]
    return value


def _time_uuid(ctx: BuildContext, when: datetime) -> str:
    """A version-1 (time-based) UUID for ``when``, the kind CloudFormation puts in stack ARNs."""
    ticks = _UUID_EPOCH_100NS + int(when.timestamp() * 10_000_000)
    clock_seq = ctx.rng.getrandbits(14) | 0x8000
    return (
        f"{ticks & 0xFFFFFFFF:08x}-{(ticks >> 32) & 0xFFFF:04x}-"
        f"{((ticks >> 48) & 0x0FFF) | 0x1000:04x}-{clock_seq:04x}-{ctx.hex(12)}"
    )


def _response_url(ctx: BuildContext, stack_id: str, logical_id: str, request_id: str) -> str:
    """The S3 URL CloudFormation pre-signs (SigV4) for the provider's response."""
    bucket = f"cloudformation-custom-resource-response-{ctx.region.replace('-', '')}"
    host = (
        f"{bucket}.s3.amazonaws.com"
        if ctx.region == "us-east-1"
        else f"{bucket}.s3.{ctx.region}.{ctx.dns_suffix}"
    )
    key = quote(f"{stack_id}|{logical_id}|{request_id}", safe="/")
    day = ctx.now.strftime("%Y%m%d")
    credential = f"AKIA{ctx.upper_alnum(16)}%2F{day}%2F{ctx.region}%2Fs3%2Faws4_request"
    return (
        f"https://{host}/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Date={ctx.now:%Y%m%dT%H%M%SZ}&X-Amz-SignedHeaders=host"
        f"&X-Amz-Expires={_URL_EXPIRES_S}&X-Amz-Credential={credential}"
        f"&X-Amz-Signature={ctx.hex(64)}"
    )


def _check(
    ctx: BuildContext,
    *,
    stack: str,
    request_type: str,
    resource_type: str,
    logical_resource_id: str,
    resource_properties: Mapping[str, Any],
    old_resource_properties: Mapping[str, Any] | None,
    physical_resource_id: str | None,
    response_url: str | None,
    service_token: str | None,
    service_timeout: int | None,
) -> None:
    if not _STACK_RE.match(stack):
        raise EventBuildError(
            f"cloudformation_custom_resource: stack {stack!r} is not a stack name. Fix: a letter, "
            "then letters, digits and hyphens, at most 128 characters (the name, not the ARN)."
        )
    if len(resource_type) > _TYPE_MAX or not (
        resource_type == _GENERIC_TYPE or _CUSTOM_TYPE_RE.match(resource_type)
    ):
        raise EventBuildError(
            f"cloudformation_custom_resource: resource_type {resource_type!r} is not a custom "
            f"resource type. Fix: 'Custom::' followed by letters, digits, '_', '@' or '-' (at most "
            f"{_TYPE_MAX} characters in all), or {_GENERIC_TYPE!r}."
        )
    if not _LOGICAL_ID_RE.match(logical_resource_id):
        raise EventBuildError(
            f"cloudformation_custom_resource: logical_resource_id {logical_resource_id!r} is not "
            "a logical ID. Fix: 1-255 letters and digits only, like 'MyResource'."
        )
    reserved_keys = (("ServiceToken", "service_token"), ("ServiceTimeout", "service_timeout"))
    for reserved, param in reserved_keys:
        if reserved in resource_properties or reserved in (old_resource_properties or {}):
            raise EventBuildError(
                f"cloudformation_custom_resource: pass {reserved} as {param}=..., not inside the "
                "resource properties; the builder adds it to ResourceProperties (and "
                "OldResourceProperties) as CloudFormation does."
            )
    if old_resource_properties is not None and request_type != "Update":
        raise EventBuildError(
            f"cloudformation_custom_resource: old_resource_properties given for a "
            f"{request_type!r} request, but CloudFormation sends OldResourceProperties with "
            "Update requests only. Fix: request_type='Update' (variant 'update'), or drop it."
        )
    if physical_resource_id is not None and (request_type == "Create" or not physical_resource_id):
        raise EventBuildError(
            f"cloudformation_custom_resource: physical_resource_id={physical_resource_id!r} with "
            f"a {request_type!r} request. CloudFormation sends a (non-empty) PhysicalResourceId "
            "with Update and Delete only; on Create the provider chooses it. Fix: drop it, or "
            "use request_type='Update'/'Delete'."
        )
    if response_url is not None and not response_url.startswith(("https://", "http://")):
        raise EventBuildError(
            f"cloudformation_custom_resource: response_url {response_url!r} is not an http(s) "
            "URL. Fix: a URL the handler can PUT its response to (e.g. a local test server), "
            "or None for a pre-signed S3 URL like CloudFormation's."
        )
    lambda_prefix = f"arn:{ctx.partition}:lambda:{ctx.region}:"
    if service_token is not None and not service_token.startswith(lambda_prefix):
        raise EventBuildError(
            f"cloudformation_custom_resource: service_token {service_token!r} is not a Lambda "
            f"function ARN in the stack's region ({ctx.region}); CloudFormation requires the "
            f"ServiceToken in the stack's region. Fix: '{lambda_prefix}{ctx.account_id}:"
            "function:my-function', or None for a generated one."
        )
    low, high = _TIMEOUT_RANGE
    if service_timeout is not None and not low <= service_timeout <= high:
        raise EventBuildError(
            f"cloudformation_custom_resource: service_timeout={service_timeout!r} is out of "
            f"range. Fix: {low} to {high:,} seconds, or None for "
            "CloudFormation's default (3,600 s, not sent)."
        )


@event_source(
    "cloudformation_custom_resource",
    doc="https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html",
    variants={
        "create": {"request_type": "Create"},
        "update": {"request_type": "Update"},
        "delete": {"request_type": "Delete"},
    },
)
def build(
    ctx: BuildContext,
    *,
    stack: str = "MyStack",
    request_type: RequestType = "Create",
    resource_type: str = "Custom::MyResource",
    logical_resource_id: str = "MyResource",
    resource_properties: dict[str, Any] | None = None,
    old_resource_properties: dict[str, Any] | None = None,
    physical_resource_id: str | None = None,
    response_url: str | None = None,
    service_token: str | None = None,
    service_timeout: int | None = None,
) -> Event:
    """CloudFormation custom resource -> Lambda: a Create, Update or Delete request.

    ``stack`` is the stack name (SAM's ``--stack``); ``StackId`` is its ARN with a time-based
    UUID. ``ResourceProperties`` (and, for Update, ``OldResourceProperties``) carry
    ``ServiceToken`` (and ``ServiceTimeout`` when given) as CloudFormation sends them, with
    numbers and booleans turned into strings as CloudFormation does. ``OldResourceProperties``
    defaults to a variation of the default properties, or to ``resource_properties`` when those
    are given. ``PhysicalResourceId`` is
    sent with Update/Delete only (a cfn-response style log stream name by default);
    ``OldResourceProperties`` with Update only. ``response_url`` defaults to a pre-signed S3 URL
    of CloudFormation's shape; pass your own to capture the handler's response.
    """
    props = _DEFAULT_PROPERTIES if resource_properties is None else resource_properties
    _check(
        ctx,
        stack=stack,
        request_type=request_type,
        resource_type=resource_type,
        logical_resource_id=logical_resource_id,
        resource_properties=props,
        old_resource_properties=old_resource_properties,
        physical_resource_id=physical_resource_id,
        response_url=response_url,
        service_token=service_token,
        service_timeout=service_timeout,
    )
    # A Create arrives seconds after the stack was created; Update/Delete come later in its life.
    if request_type == "Create":
        created = ctx.now - timedelta(seconds=ctx.rng.randint(5, 120))
    else:
        created = ctx.now - timedelta(minutes=ctx.rng.randint(60, 90 * 24 * 60))
    stack_id = ctx.arn("cloudformation", f"stack/{stack}/{_time_uuid(ctx, created)}")
    request_id = ctx.uuid()
    if service_token is None:
        # CloudFormation names a template's function <stack>-<logical id>-<12 random>, max 64.
        service_token = ctx.arn(
            "lambda", f"function:{stack[:30]}-{logical_resource_id[:20]}-{ctx.upper_alnum(12)}"
        )
    template_keys: dict[str, Any] = {"ServiceToken": service_token}
    if service_timeout is not None:
        template_keys["ServiceTimeout"] = str(service_timeout)

    if response_url is None:
        response_url = _response_url(ctx, stack_id, logical_resource_id, request_id)
    event: Event = {
        "RequestType": request_type,
        "ServiceToken": service_token,
        "ResponseURL": response_url,
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_resource_id,
    }
    if request_type != "Create":
        # cfn-response's default PhysicalResourceId is the function's log stream name.
        event["PhysicalResourceId"] = physical_resource_id or (
            f"{created:%Y/%m/%d}/[$LATEST]{ctx.hex(32)}"
        )
    event["ResourceType"] = resource_type
    event["ResourceProperties"] = {**template_keys, **stringify_properties(props)}
    if request_type == "Update":
        if old_resource_properties is not None:
            old = old_resource_properties
        else:
            old = _DEFAULT_OLD_PROPERTIES if resource_properties is None else props
        event["OldResourceProperties"] = {**template_keys, **stringify_properties(old)}
    return event
