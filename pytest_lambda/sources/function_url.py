"""Lambda function URL requests (HTTP API payload format 2.0)."""

from __future__ import annotations

import re
from typing import Any, Literal

from ..errors import EventBuildError
from ._core import BuildContext, Event, event_source
from ._http import (
    check_method,
    check_path,
    default_headers,
    encode_body_by_type,
    iam_caller,
    merge_headers,
    multi_values,
    payload_v2,
    pick_source_ip,
    pick_user_agent,
)

__all__ = ["build"]

_URL_ID = re.compile(r"[a-z0-9]{1,63}")
_ACCOUNT = re.compile(r"\d{12}")
# IAM user names: letters, digits and +=,.@_- (up to 64).
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
_IAM_USER = re.compile(r"[\w+=,.@-]{1,64}")
# TLS details function URLs add (as in Powertools' captured lambdaFunctionUrlEvent).
_TLS_HEADERS = {
    "X-Amzn-TLS-Cipher-Suite": "ECDHE-RSA-AES128-GCM-SHA256",
    "X-Amzn-TLS-Version": "TLSv1.2",
}


@event_source(
    "function_url",
    doc="https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads",
    variants={"default": {}, "iam_auth": {"auth_type": "AWS_IAM"}},
)
def build(
    ctx: BuildContext,
    *,
    method: str = "GET",
    path: str = "/",
    body: str | dict[str, Any] | list[Any] | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
    cookies: list[str] | None = None,
    content_type: str | None = None,
    is_base64_encoded: bool | None = None,
    auth_type: Literal["NONE", "AWS_IAM"] = "NONE",
    caller_account_id: str | None = None,
    iam_user: str = "example-user",
    url_id: str | None = None,
    source_ip: str | None = None,
    user_agent: str | None = None,
) -> Event:
    """Lambda function URL -> Lambda: one HTTP request to ``https://<url-id>.lambda-url...``.

    The payload 2.0 shape of HTTP APIs, with ``routeKey`` and ``stage`` fixed at ``$default``
    and the URL id as ``apiId``/``domainPrefix``. ``query``, ``headers`` and ``cookies`` work as
    in ``apigw_http``; a body whose content type is not text/*, JSON, JavaScript or XML arrives
    base64-encoded (override with ``is_base64_encoded``). ``auth_type="AWS_IAM"`` adds the
    signing IAM user (``iam_user`` in ``caller_account_id``, the function's account by default)
    as ``requestContext.authorizer.iam``; with ``NONE`` the ``accountId`` is ``anonymous``.
    """
    slug = "function_url"
    method = check_method(slug, method)
    path = check_path(slug, path)
    if url_id is not None and not _URL_ID.fullmatch(url_id):
        raise EventBuildError(
            f"Event source {slug!r}: url_id={url_id!r} cannot be a host name label. "
            "Fix: use lower-case letters and digits, like 'abcdefghij1234567890klmnopqrstuv'."
        )
    if caller_account_id is not None and not _ACCOUNT.fullmatch(caller_account_id):
        raise EventBuildError(
            f"Event source {slug!r}: caller_account_id={caller_account_id!r} is not a 12-digit "
            "AWS account id. Fix: use a string like '111122223333'."
        )
    if not _IAM_USER.fullmatch(iam_user):
        raise EventBuildError(
            f"Event source {slug!r}: iam_user={iam_user!r} is not an IAM user name (up to 64 "
            "letters, digits and +=,.@_-). Fix: iam_user='example-user'."
        )
    ip = pick_source_ip(ctx, slug, source_ip)
    url = url_id or ctx.lower_alnum(32)
    # Function URLs live under on.aws in every commercial region.
    domain = f"{url}.lambda-url.{ctx.region}.on.aws"
    agent = pick_user_agent(ctx, user_agent)
    given_headers = multi_values(slug, "headers", headers)
    payload = encode_body_by_type(
        body, content_type=content_type, is_base64_encoded=is_base64_encoded, headers=given_headers
    )
    defaults = default_headers(ctx, ip, agent, host=domain, body=payload, extra=_TLS_HEADERS)
    authorizer: dict[str, Any] | None = None
    account = "anonymous"  # what Lambda reports for an unauthenticated (NONE) caller
    if auth_type == "AWS_IAM":
        authorizer = {"iam": iam_caller(ctx, account_id=caller_account_id, user_name=iam_user)}
        account = ctx.account_id
    return payload_v2(
        ctx,
        method=method,
        raw_path=path,
        route_key="$default",
        stage="$default",
        api_id=url,
        account_id=account,
        domain_name=domain,
        request_id=ctx.uuid(),
        headers=merge_headers(defaults, given_headers, lower=True),
        cookies=cookies,
        query=multi_values(slug, "query", query),
        body=payload,
        source_ip=ip,
        authorizer=authorizer,
    )
