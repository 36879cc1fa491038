"""Amazon API Gateway REST API requests delivered by a Lambda proxy integration (payload 1.0)."""

from __future__ import annotations

from typing import Any, Literal

from ..errors import EventBuildError
from ._aws import apigw_request_time, epoch_millis
from ._core import BuildContext, Event, event_source
from ._http import (
    check_method,
    check_path,
    check_stage,
    cognito_claims,
    default_headers,
    encode_body,
    execute_api_host,
    iam_caller,
    implied_authorizer,
    last_header,
    last_values,
    merge_headers,
    multi_values,
    path_parameters_for,
    pick_source_ip,
    pick_user_agent,
    short_request_id,
    str_map,
)

__all__ = ["build"]

_COUNTRIES = ("US", "GB", "DE", "FR", "JP", "BR", "IN", "CA", "AU", "NL")
_CF_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _cloudfront_headers(ctx: BuildContext, agent: str) -> dict[str, str]:
    """What the CloudFront distribution in front of an edge-optimized API adds (the device
    headers follow the User-Agent)."""
    mobile = "Mobile" in agent
    return {
        "CloudFront-Forwarded-Proto": "https",
        "CloudFront-Is-Desktop-Viewer": "false" if mobile else "true",
        "CloudFront-Is-Mobile-Viewer": "true" if mobile else "false",
        "CloudFront-Is-SmartTV-Viewer": "false",
        "CloudFront-Is-Tablet-Viewer": "false",
        "CloudFront-Viewer-Country": _COUNTRIES[ctx.rng.randrange(len(_COUNTRIES))],
        "Via": f"2.0 {ctx.hex(32)}.cloudfront.net (CloudFront)",
        "X-Amz-Cf-Id": ctx.chars(54, _CF_ID_ALPHABET) + "==",
    }


def _authorizer(
    ctx: BuildContext,
    kind: str,
    claims: dict[str, Any] | None,
    context: dict[str, Any] | None,
    principal_id: str | None,
) -> dict[str, Any] | None:
    if kind == "cognito":
        # COGNITO_USER_POOLS authorizer: the ID token's claims, as strings.
        return {"claims": {**cognito_claims(ctx, token_use="id"), **(claims or {})}}
    if kind == "lambda":
        # Lambda (TOKEN/REQUEST) authorizer: principalId, the context it returned, and how
        # long it took. https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
        return {
            "principalId": principal_id or "user|" + ctx.hex(12),
            "integrationLatency": ctx.rng.randint(5, 400),
            **(context or {}),
        }
    return None


def _identity(
    ctx: BuildContext, kind: str, source_ip: str, agent: str, api_key: str | None
) -> dict[str, Any]:
    """requestContext.identity: null for every key API Gateway has no value for."""
    identity: dict[str, Any] = {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": source_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": agent,
        "user": None,
    }
    if api_key is not None:
        # Present only on methods that require an API key.
        identity["apiKey"] = api_key
        identity["apiKeyId"] = ctx.lower_alnum(10)
    if kind == "iam":
        # AWS_IAM authorization fills in the signing principal.
        caller = iam_caller(ctx, account_id=None, user_name="example-user")
        identity.update(
            accessKey=caller["accessKey"],
            accountId=caller["accountId"],
            caller=caller["userId"],
            user=caller["userId"],
            userArn=caller["userArn"],
        )
    return identity


@event_source(
    "apigw_rest",
    doc="https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format",
    variants={
        "default": {},
        "post_json": {"method": "POST", "body": {"name": "Widget", "quantity": 1}},
        "binary": {
            "method": "POST",
            "path": "/upload",
            "body": "\x00\x01\x02\x03 binary upload \xff",
            "is_base64_encoded": True,
            "content_type": "application/octet-stream",
        },
    },
)
def build(
    ctx: BuildContext,
    *,
    method: str = "GET",
    path: str = "/items",
    resource: str | None = None,
    stage: str = "prod",
    body: str | dict[str, Any] | list[Any] | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
    cookies: list[str] | None = None,
    path_parameters: dict[str, Any] | None = None,
    stage_variables: dict[str, Any] | None = None,
    content_type: str | None = None,
    is_base64_encoded: bool = False,
    authorizer: Literal["none", "cognito", "lambda", "iam"] = "none",
    claims: dict[str, Any] | None = None,
    authorizer_context: dict[str, Any] | None = None,
    principal_id: str | None = None,
    api_key: str | None = None,
    endpoint_type: Literal["edge", "regional"] = "edge",
    source_ip: str | None = None,
    user_agent: str | None = None,
    api_id: str | None = None,
) -> Event:
    """API Gateway REST API -> Lambda proxy integration: one HTTP request (payload 1.0).

    ``path`` is the request path without the stage; ``resource`` the resource template it
    matched (``/items/{id}``, ``/{proxy+}``; the path itself when omitted), from which
    ``pathParameters`` are derived unless ``path_parameters`` is given. ``query`` and
    ``headers`` map names to a value or a list of values (a repeated name); ``headers`` and
    ``queryStringParameters`` carry the last value and the ``multiValue*`` fields all of them.
    ``body`` is sent as it is when a string, as JSON when a dict/list, base64-encoded with
    ``is_base64_encoded`` (a binary media type). ``authorizer`` adds Cognito ``claims``, a Lambda
    authorizer's ``authorizer_context``/``principal_id``, or an IAM caller identity.
    ``endpoint_type="edge"`` adds the CloudFront headers of an edge-optimized API.
    """
    slug = "apigw_rest"
    method = check_method(slug, method)
    path = check_path(slug, path)
    resource = check_path(slug, resource, name="resource") if resource is not None else path
    stage = check_stage(slug, stage)
    if stage == "$default":
        raise EventBuildError(
            f"Event source {slug!r}: stage='$default' exists only in HTTP APIs. "
            "Fix: use a REST stage name such as 'prod', or the apigw_http source."
        )
    authorizer = implied_authorizer(slug, authorizer, "cognito", claims=claims)
    authorizer = implied_authorizer(
        slug, authorizer, "lambda", authorizer_context=authorizer_context, principal_id=principal_id
    )
    ip = pick_source_ip(ctx, slug, source_ip)
    api, domain = execute_api_host(ctx, api_id)
    agent = pick_user_agent(ctx, user_agent)
    payload = encode_body(body, is_base64_encoded=is_base64_encoded, content_type=content_type)
    query_multi = multi_values(slug, "query", query)
    params = path_parameters_for(slug, resource, path, path_parameters, template_name="resource")

    edge = _cloudfront_headers(ctx, agent.name) if endpoint_type == "edge" else None
    defaults = default_headers(
        ctx, ip, agent, host=domain, body=payload, cookies=cookies, extra=edge, content_length=False
    )
    if endpoint_type == "edge":
        # Behind CloudFront the edge location's address is appended to the client's.
        defaults["X-Forwarded-For"] += f", {ctx.ipv4()}"
    header_multi = merge_headers(defaults, multi_values(slug, "headers", headers))
    sent_agent = last_header(header_multi, "user-agent")

    context: dict[str, Any] = {
        "accountId": ctx.account_id,
        "apiId": api,
    }
    auth = _authorizer(ctx, authorizer, claims, authorizer_context, principal_id)
    if auth is not None:
        context["authorizer"] = auth
    context.update(
        {
            "domainName": domain,
            "domainPrefix": api,
            "extendedRequestId": short_request_id(ctx),
            "httpMethod": method,
            "identity": _identity(ctx, authorizer, ip, sent_agent or "", api_key),
            "path": f"/{stage}{path}",  # the path as requested, stage included
            "protocol": "HTTP/1.1",
            "requestId": ctx.uuid(),
            "requestTime": apigw_request_time(ctx.now),
            "requestTimeEpoch": epoch_millis(ctx.now),
            "resourceId": ctx.lower_alnum(6),
            "resourcePath": resource,
            "stage": stage,
        }
    )
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": last_values(header_multi),
        "multiValueHeaders": header_multi,
        # API Gateway sends null, not {}, when the request has no query string.
        "queryStringParameters": last_values(query_multi) if query_multi else None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": params,
        "stageVariables": str_map(slug, "stage_variables", stage_variables),
        "requestContext": context,
        "body": payload.text,
        "isBase64Encoded": payload.is_base64,
    }
