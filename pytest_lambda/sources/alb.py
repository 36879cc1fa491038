"""Application Load Balancer requests forwarded to a Lambda function target group."""

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
    last_values,
    merge_headers,
    multi_values,
    pick_source_ip,
    pick_user_agent,
    quote_component,
)

__all__ = ["build"]

# Target group and load balancer names: 1-32 alphanumerics or hyphens, no hyphen at either end.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")


def _check_name(name: str, value: str) -> str:
    if not _NAME.fullmatch(value):
        raise EventBuildError(
            f"Event source 'alb': {name}={value!r} is not a load balancing name (1-32 letters, "
            "digits or hyphens, not starting or ending with a hyphen). Fix: use a name like "
            "'my-targets'."
        )
    return value


def _encoded(multi: dict[str, list[str]]) -> dict[str, list[str]]:
    # ALB does not decode URL-encoded query parameters; the function must (Elastic Load
    # Balancing User Guide, "Receive events from the load balancer":
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html#receive-event-from-load-balancer).
    # So the event carries names and values exactly as the client encoded them in the URL.
    return {
        quote_component(key): [quote_component(v) for v in values] for key, values in multi.items()
    }


@event_source(
    "alb",
    doc="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html",
    variants={"default": {}, "multi_value": {"multi_value": True}},
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
    multi_value: bool = False,
    target_group: str = "my-targets",
    load_balancer: str = "my-alb",
    content_type: str | None = None,
    is_base64_encoded: bool | None = None,
    protocol: Literal["https", "http"] = "https",
    source_ip: str | None = None,
    user_agent: str | None = None,
) -> Event:
    """ALB -> Lambda target group: one HTTP request received by an Application Load Balancer.

        ``query`` and ``headers`` map names to a value or a list of values (a repeated name).
        Without ``multi_value`` the event has ``headers``/``queryStringParameters`` with the last
        value of each name; with it (the target group's ``lambda.multi_value_headers.enabled``)
        ``multiValueHeaders``/``multiValueQueryStringParameters`` with every value instead. Query
        names and values stay URL-encoded, as ALB passes them on. ``body`` is ``""`` when there is
        none; it is base64-encoded when its content type is not text/*, JSON, JavaScript or XML
    (as ALB does), or as ``is_base64_encoded`` says. ``targetGroupArn`` is built
        from the region, account and ``target_group``.
    """
    slug = "alb"
    method = check_method(slug, method)
    path = check_path(slug, path)
    _check_name("target_group", target_group)
    _check_name("load_balancer", load_balancer)
    ip = pick_source_ip(ctx, slug, source_ip)
    agent = pick_user_agent(ctx, user_agent)
    given_headers = multi_values(slug, "headers", headers)
    # ALB passes text/*, JSON, JavaScript and XML bodies as they are and base64-encodes
    # everything else ("Receive events from the load balancer", doc= page).
    payload = encode_body_by_type(
        body, content_type=content_type, is_base64_encoded=is_base64_encoded, headers=given_headers
    )
    target_group_arn = ctx.arn("elasticloadbalancing", f"targetgroup/{target_group}/{ctx.hex(16)}")
    host = f"{load_balancer}-{ctx.digits(10)}.{ctx.region}.elb.{ctx.dns_suffix}"
    defaults = default_headers(
        ctx, ip, agent, host=host, body=payload, cookies=cookies, protocol=protocol
    )
    # Header names arrive lower-cased, as in every ALB example event in the ELB guide.
    header_multi = merge_headers(defaults, given_headers, lower=True)
    query_multi = _encoded(multi_values(slug, "query", query))

    event: Event = {
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": method,
        "path": path,
    }
    if multi_value:
        event["multiValueQueryStringParameters"] = query_multi
        event["multiValueHeaders"] = header_multi
    else:
        # Without multi-value headers ALB keeps the last value of a repeated header or query
        # parameter (ELB guide, "Multi-value headers").
        event["queryStringParameters"] = last_values(query_multi)
        event["headers"] = last_values(header_multi)
    event["body"] = payload.text if payload.text is not None else ""
    event["isBase64Encoded"] = payload.is_base64
    return event
