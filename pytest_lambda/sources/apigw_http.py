"""Amazon API Gateway HTTP API requests delivered by a Lambda proxy integration (payload 2.0)."""

from __future__ import annotations

import re
from typing import Any, Literal

from ..errors import EventBuildError
from ._aws import json_text
from ._core import BuildContext, Event, event_source
from ._http import (
    HTTP_METHODS,
    check_method,
    check_path,
    check_stage,
    cognito_claims,
    default_headers,
    encode_body_by_type,
    execute_api_host,
    iam_caller,
    implied_authorizer,
    merge_headers,
    multi_values,
    path_parameters_for,
    payload_v2,
    pick_source_ip,
    pick_user_agent,
    short_request_id,
    str_map,
)

__all__ = ["build"]

_ROUTE_KEY = re.compile(r"(?P<method>[A-Z]+) (?P<path>/\S*)")
_DEFAULT_SCOPES = ("openid", "email")


def _claim_text(value: Any) -> str:
    # HTTP API JWT authorizers pass every claim on as a string; arrays become "[a b]".
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_claim_text(v) for v in value) + "]"
    return json_text(value)


def _route(slug: str, route_key: str, method: str, path: str) -> str | None:
    """The path template of ``route_key`` (``None`` for ``$default``), checked against the
    request it is said to have matched."""
    if route_key == "$default":
        return None
    found = _ROUTE_KEY.fullmatch(route_key)
    if found is None or found["method"] not in (*HTTP_METHODS, "ANY"):
        raise EventBuildError(
            f"Event source {slug!r}: route_key={route_key!r} is not a route key. "
            "Fix: use '$default' or 'METHOD /path' such as 'GET /items/{id}' or 'ANY /{proxy+}'."
        )
    if found["method"] not in ("ANY", method):
        raise EventBuildError(
            f"Event source {slug!r}: route_key={route_key!r} cannot match a {method} request. "
            f"Fix: route_key='{method} {found['path']}' (or 'ANY {found['path']}'), "
            f"or method={found['method']!r}."
        )
    return found["path"]


def _authorizer(
    ctx: BuildContext,
    kind: str,
    claims: dict[str, Any] | None,
    scopes: list[str] | None,
    context: dict[str, Any] | None,
) -> dict[str, Any] | None:
    if kind == "jwt":
        given = {k: _claim_text(v) for k, v in (claims or {}).items()}
        if scopes is None:
            scopes = given["scope"].split() if "scope" in given else list(_DEFAULT_SCOPES)
        merged = {**cognito_claims(ctx, token_use="access", scopes=scopes), **given}
        # The scopes list is the token's space-separated "scope" claim (null without one).
        return {"jwt": {"claims": merged, "scopes": scopes or None}}
    if kind == "lambda":
        if context is None:
            context = {"userId": "user-" + ctx.hex(8), "role": "member"}
        return {"lambda": context}
    if kind == "iam":
        return {"iam": iam_caller(ctx, account_id=None, user_name="example-user")}
    return None


@event_source(
    "apigw_http",
    doc="https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html",
    variants={
        "default": {},
        "post_json": {"method": "POST", "body": {"name": "Widget", "quantity": 1}},
        "jwt_authorizer": {"authorizer": "jwt"},
        "lambda_authorizer": {"authorizer": "lambda"},
    },
)
def build(
    ctx: BuildContext,
    *,
    method: str = "GET",
    path: str = "/items",
    stage: str = "$default",
    route_key: str = "$default",
    body: str | dict[str, Any] | list[Any] | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
    cookies: list[str] | None = None,
    path_parameters: dict[str, Any] | None = None,
    stage_variables: dict[str, Any] | None = None,
    content_type: str | None = None,
    is_base64_encoded: bool | None = None,
    authorizer: Literal["none", "jwt", "lambda", "iam"] = "none",
    claims: dict[str, Any] | None = None,
    scopes: list[str] | None = None,
    authorizer_context: dict[str, Any] | None = None,
    source_ip: str | None = None,
    user_agent: str | None = None,
    api_id: str | None = None,
) -> Event:
    """API Gateway HTTP API -> Lambda proxy integration: one HTTP request (payload 2.0).

    ``path`` is the request path without the stage; ``rawPath`` gets the ``/stage`` prefix when
    ``stage`` is not ``$default``. ``route_key`` is the route matched (``GET /items/{id}``);
    ``pathParameters`` are derived from its template unless ``path_parameters`` is given.
    ``query`` and ``headers`` map names to a value or a list of values: ``rawQueryString`` holds
    every value and ``queryStringParameters``/``headers`` join repeats with commas. A body
    whose content type is not text/*, JSON, JavaScript or XML arrives base64-encoded (override
    with ``is_base64_encoded``). ``cookies``
    (and any ``Cookie`` header) go to the ``cookies`` list. ``authorizer="jwt"`` adds Cognito
    access-token ``claims`` (given ones override, all as strings) and ``scopes``;
    ``"lambda"`` adds ``authorizer_context``; ``"iam"`` an IAM caller.
    """
    slug = "apigw_http"
    method = check_method(slug, method)
    path = check_path(slug, path)
    stage = check_stage(slug, stage)
    template = _route(slug, route_key, method, path)
    authorizer = implied_authorizer(slug, authorizer, "jwt", claims=claims, scopes=scopes)
    authorizer = implied_authorizer(
        slug, authorizer, "lambda", authorizer_context=authorizer_context
    )
    ip = pick_source_ip(ctx, slug, source_ip)
    api, domain = execute_api_host(ctx, api_id)
    agent = pick_user_agent(ctx, user_agent)
    given_headers = multi_values(slug, "headers", headers)
    # HTTP APIs pass text/*, JSON, JavaScript and XML bodies as text and base64-encode the
    # rest, form posts included (verified against AWS in ministackorg/ministack#766).
    payload = encode_body_by_type(
        body, content_type=content_type, is_base64_encoded=is_base64_encoded, headers=given_headers
    )
    defaults = default_headers(ctx, ip, agent, host=domain, body=payload)
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    return payload_v2(
        ctx,
        method=method,
        raw_path=raw_path,
        route_key=route_key,
        stage=stage,
        api_id=api,
        account_id=ctx.account_id,
        domain_name=domain,
        request_id=short_request_id(ctx),
        headers=merge_headers(defaults, given_headers, lower=True),
        cookies=cookies,
        query=multi_values(slug, "query", query),
        body=payload,
        source_ip=ip,
        authorizer=_authorizer(ctx, authorizer, claims, scopes, authorizer_context),
        path_parameters=path_parameters_for(
            slug, template or "", path, path_parameters, template_name="route_key"
        ),
        stage_variables=str_map(slug, "stage_variables", stage_variables),
    )
