"""HTTP request pieces shared by the API Gateway (REST, HTTP), ALB and function URL sources.

Headers and query parameters arrive from users as ``{name: value or [values]}`` and are kept
internally as ``{name: [values]}``; each source then derives the spelling its integration
sends (single values, multi-value lists, comma-joined values, a raw query string) from that one
mapping, so the forms can never disagree.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote

from ..errors import EventBuildError
from ._aws import apigw_request_time, b64, epoch_millis, epoch_seconds, json_text, to_bytes
from ._core import BuildContext, Event

__all__ = [
    "HTTP_METHODS",
    "TEXT_MEDIA_TYPES",
    "Body",
    "Refuse",
    "UserAgent",
    "binary_body",
    "check_ip",
    "check_method",
    "check_path",
    "check_stage",
    "cognito_claims",
    "comma_values",
    "cookie_header",
    "default_headers",
    "encode_body",
    "encode_body_by_type",
    "execute_api_host",
    "iam_caller",
    "implied_authorizer",
    "is_text_type",
    "java_date",
    "last_header",
    "last_values",
    "match_route",
    "merge_headers",
    "multi_values",
    "path_parameters_for",
    "payload_v2",
    "pick_source_ip",
    "pick_user_agent",
    "quote_component",
    "raw_query_string",
    "refusal",
    "short_request_id",
    "split_cookie_header",
    "str_map",
    "trace_id",
]

#: The methods API Gateway accepts for a route or method (``ANY`` is a route wildcard, not a
#: request method). https://docs.aws.amazon.com/apigateway/latest/api/API_Method.html
HTTP_METHODS: tuple[str, ...] = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")

#: Media types (besides text/*) that ALB, HTTP APIs and function URLs pass on as they are; a
#: body of any other type arrives base64-encoded with isBase64Encoded true.
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html#receive-event-from-load-balancer
TEXT_MEDIA_TYPES: tuple[str, ...] = (
    "application/json",
    "application/javascript",
    "application/xml",
)

# (User-Agent, Accept) pairs a test request commonly carries; picked with ctx.rng.
_USER_AGENTS: tuple[tuple[str, str], ...] = (
    ("curl/8.5.0", "*/*"),
    ("python-requests/2.32.3", "*/*"),
    ("PostmanRuntime/7.39.0", "*/*"),
    ("okhttp/4.12.0", "application/json"),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
)
_USERNAMES = ("alice", "bob", "carol", "dave", "erin", "frank")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEMPLATE_PART = re.compile(r"\{([^{}/]+?)(\+?)\}")
_AUTHORIZER_KINDS = {"cognito": "Cognito", "jwt": "JWT", "lambda": "Lambda"}

_Authorizer = TypeVar("_Authorizer", bound=str)


# -- checks ---------------------------------------------------------------------------------

#: Words the error for a refused parameter, from ``(name, value, problem, fix)``.
Refuse = Callable[[str, Any, str, str], EventBuildError]


def refusal(slug: str) -> Refuse:
    """How the HTTP sources word a refused parameter:
    ``Event source 'slug': name=value problem. Fix: fix.``"""

    def refuse(name: str, value: Any, problem: str, fix: str) -> EventBuildError:
        return EventBuildError(f"Event source {slug!r}: {name}={value!r} {problem}. Fix: {fix}.")

    return refuse


def check_method(
    slug: str,
    method: str,
    *,
    methods: Sequence[str] = HTTP_METHODS,
    exact_case: bool = False,
    problem: str = "is not an HTTP method",
    refuse: Refuse | None = None,
) -> str:
    """``method`` upper-cased, refusing anything that is not one of ``methods`` (an HTTP
    request method). With ``exact_case`` a lower-case spelling is refused too, the fix naming
    the upper-case one. ``refuse`` words the error (default: :func:`refusal` of ``slug``)."""
    upper = method.upper()
    sent = method if exact_case else upper
    if sent not in methods:
        fix = f"use {upper!r}" if upper in methods else f"use one of {', '.join(methods)}"
        raise (refuse or refusal(slug))("method", method, problem, fix)
    return sent


def check_path(slug: str, path: str, *, name: str = "path") -> str:
    """A request path: starts with ``/`` and carries no query string or fragment."""
    if not path.startswith("/"):
        raise EventBuildError(
            f"Event source {slug!r}: {name}={path!r} must start with '/'. Fix: {name}='/{path}'."
        )
    if "?" in path or "#" in path:
        raise EventBuildError(
            f"Event source {slug!r}: {name}={path!r} contains a query string or fragment. "
            "Fix: pass the path alone and the parameters as query={'name': 'value'}."
        )
    if any(c.isspace() for c in path):
        raise EventBuildError(
            f"Event source {slug!r}: {name}={path!r} contains whitespace, which no HTTP "
            "request line can carry. Fix: percent-encode it (' ' -> '%20')."
        )
    return path


def check_stage(slug: str, stage: str) -> str:
    """An API Gateway stage name: ``$default`` or letters, digits, ``-`` and ``_``."""
    if stage != "$default" and not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", stage):
        raise EventBuildError(
            f"Event source {slug!r}: stage={stage!r} is not a stage name (letters, digits, "
            "'-' and '_', or '$default'). Fix: stage='prod'."
        )
    return stage


def check_ip(
    slug: str,
    value: str,
    *,
    name: str = "source_ip",
    problem: str = "is not an IP address",
    fix: str = "use a string like '203.0.113.7'",
    refuse: Refuse | None = None,
) -> str:
    """An IPv4 or IPv6 address (API Gateway and Powertools reject anything else). ``problem``,
    ``fix`` and ``refuse`` word the error (default: :func:`refusal` of ``slug``)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise (refuse or refusal(slug))(name, value, problem, fix) from None
    return value


def implied_authorizer(
    slug: str, authorizer: _Authorizer, implied: _Authorizer, /, **options: object
) -> _Authorizer:
    """The ``authorizer`` to use when given ``options`` (not ``None``) that only an ``implied``
    authorizer supplies: ``implied`` in place of ``"none"``, an error for any other one."""
    if authorizer == implied or all(value is None for value in options.values()):
        return authorizer
    if authorizer != "none":
        names = "/".join(options)
        # "claims come", "claims/scopes come", "authorizer_context comes"
        verb = "come" if len(options) > 1 or names.endswith("s") else "comes"
        raise EventBuildError(
            f"Event source {slug!r}: {names} {verb} from a {_AUTHORIZER_KINDS[implied]} "
            f"authorizer, but authorizer={authorizer!r}. Fix: authorizer={implied!r}."
        )
    return implied


def _scalar(slug: str, name: str, key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise EventBuildError(
        f"Event source {slug!r}: {name}[{key!r}] is {value!r} ({type(value).__name__}); "
        "HTTP carries text. Fix: pass a str (or a number), or a list of them for a repeated "
        "name."
    )


def multi_values(slug: str, name: str, mapping: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """``{key: value or [values]}`` as ``{key: [values]}``, every value text."""
    out: dict[str, list[str]] = {}
    for key, value in (mapping or {}).items():
        if isinstance(value, (list, tuple)):
            if not value:
                raise EventBuildError(
                    f"Event source {slug!r}: {name}[{key!r}] is an empty list. "
                    "Fix: give at least one value, or leave the name out."
                )
            out[key] = [_scalar(slug, name, key, v) for v in value]
        else:
            out[key] = [_scalar(slug, name, key, value)]
    return out


def str_map(slug: str, name: str, mapping: Mapping[str, Any] | None) -> dict[str, str] | None:
    """A ``{key: str}`` mapping (path parameters, stage variables), ``None`` when empty."""
    if not mapping:
        return None
    return {key: _scalar(slug, name, key, value) for key, value in mapping.items()}


# -- derived forms --------------------------------------------------------------------------


def merge_headers(
    defaults: Mapping[str, str], given: Mapping[str, list[str]], *, lower: bool = False
) -> dict[str, list[str]]:
    """Generated ``defaults`` overridden by ``given``, header names compared case-insensitively
    (a given ``host`` replaces the default ``Host``). ``lower`` lower-cases every name, as HTTP
    APIs, function URLs and ALB deliver them."""
    merged: dict[str, list[str]] = {}
    index: dict[str, str] = {}
    for key, value in defaults.items():
        name = key.lower() if lower else key
        merged[name] = [value]
        index[key.lower()] = name
    for key, values in given.items():
        old = index.pop(key.lower(), None)
        if old is not None:
            del merged[old]
        name = key.lower() if lower else key
        merged[name] = list(values)
        index[key.lower()] = name
    return merged


def last_values(multi: Mapping[str, list[str]]) -> dict[str, str]:
    """One value per name, the last one sent (REST ``headers``/``queryStringParameters``,
    ALB without multi-value headers)."""
    return {key: values[-1] for key, values in multi.items()}


def last_header(headers: Mapping[str, list[str]], name: str) -> str | None:
    """The last value of header ``name`` (lower case; the first name that matches it in any
    case), ``None`` when the request does not carry it."""
    return next((values[-1] for key, values in headers.items() if key.lower() == name), None)


def comma_values(multi: Mapping[str, list[str]]) -> dict[str, str]:
    """Repeated values joined with commas, as payload format 2.0 delivers them."""
    return {key: ",".join(values) for key, values in multi.items()}


def quote_component(text: str) -> str:
    """Percent-encode ``text`` as a client puts it in a query string (RFC 3986 unreserved
    characters stay as they are)."""
    return quote(text, safe="-_.~")


def raw_query_string(multi: Mapping[str, list[str]]) -> str:
    """The query string a client sends for ``multi``: ``a=1&a=2&b=x%20y``."""
    return "&".join(
        f"{quote_component(key)}={quote_component(value)}"
        for key, values in multi.items()
        for value in values
    )


def cookie_header(cookies: list[str]) -> str:
    """The ``Cookie`` request header carrying ``cookies``."""
    return "; ".join(cookies)


def split_cookie_header(value: str) -> list[str]:
    """The cookies in a ``Cookie`` header value (payload 2.0 moves them to ``cookies``)."""
    return [part.strip() for part in value.split(";") if part.strip()]


# -- routes ---------------------------------------------------------------------------------


def match_route(template: str, path: str) -> dict[str, str] | None:
    """Path parameters of ``path`` under a resource/route ``template`` such as
    ``/items/{id}`` or ``/{proxy+}``; ``None`` when the path does not fit the template."""
    names: list[str] = []
    pattern = ""
    pos = 0
    for m in _TEMPLATE_PART.finditer(template):
        pattern += re.escape(template[pos : m.start()])
        names.append(m.group(1))
        pattern += "(.+)" if m.group(2) else "([^/]+)"
        pos = m.end()
    pattern += re.escape(template[pos:])
    found = re.fullmatch(pattern, path)
    if found is None:
        return None
    return dict(zip(names, found.groups(), strict=True))


def path_parameters_for(
    slug: str,
    template: str,
    path: str,
    given: Mapping[str, Any] | None,
    *,
    template_name: str,
) -> dict[str, str] | None:
    """``pathParameters``: the given ones, else those ``template`` extracts from ``path``
    (``None`` when there are none, as API Gateway sends ``null``)."""
    if given:
        return str_map(slug, "path_parameters", given)
    if "{" not in template:
        return None
    params = match_route(template, path)
    if params is None:
        raise EventBuildError(
            f"Event source {slug!r}: path={path!r} does not match {template_name}="
            f"{template!r}, so its path parameters cannot be derived. Fix: give a path that "
            f"fits the template, or pass path_parameters={{...}} explicitly."
        )
    return params or None


# -- generated values -----------------------------------------------------------------------


def trace_id(ctx: BuildContext) -> str:
    """An X-Ray trace header ``Root=1-<epoch seconds hex>-<24 hex>`` stamped at ``ctx.now``.
    https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader
    """
    return f"Root=1-{epoch_seconds(ctx.now):08x}-{ctx.hex(24)}"


def pick_source_ip(ctx: BuildContext, slug: str, given: str | None) -> str:
    """The client's address: ``given`` once checked, else a random IPv4 address."""
    return check_ip(slug, given) if given is not None else ctx.ipv4()


class UserAgent(NamedTuple):
    """A client's ``User-Agent`` header and the ``Accept`` header it sends with it."""

    name: str
    accept: str


def pick_user_agent(
    ctx: BuildContext, given: str | None, *, agents: Sequence[tuple[str, str]] = _USER_AGENTS
) -> UserAgent:
    """``given`` with ``Accept: */*``, or one of the ``(User-Agent, Accept)`` pairs of
    ``agents`` (by default common test clients) picked by seed."""
    if given is not None:
        return UserAgent(given, "*/*")
    return UserAgent(*agents[ctx.rng.randrange(len(agents))])


def execute_api_host(ctx: BuildContext, api_id: str | None) -> tuple[str, str]:
    """An API Gateway API id (``api_id``, else a random one) and its ``execute-api`` domain."""
    api = api_id or ctx.lower_alnum(10)
    return api, f"{api}.execute-api.{ctx.region}.{ctx.dns_suffix}"


def short_request_id(ctx: BuildContext) -> str:
    """API Gateway's 16-character id (``LgxAtGlFIAMFQ4A=``): REST ``extendedRequestId``,
    HTTP API ``requestId``."""
    return ctx.chars(15, _ALNUM) + "="


class Body(NamedTuple):
    """A request body as the integration delivers it."""

    text: str | None  # None when the request has no body
    is_base64: bool
    content_type: str | None  # the Content-Type header to send, None for no header
    length: int  # bytes on the wire (before any base64 encoding)


def encode_body(
    body: str | dict[str, Any] | list[Any] | None,
    *,
    is_base64_encoded: bool,
    content_type: str | None,
) -> Body:
    """``body`` as text (dict/list -> JSON), base64-encoded when ``is_base64_encoded`` (the
    integration does this for binary media types). ``content_type`` defaults from the body:
    JSON for dict/list, ``application/octet-stream`` for base64, ``text/plain`` otherwise."""
    if body is None:
        return Body(None, False, content_type, 0)
    text = json_text(body)
    raw = to_bytes(text)
    if content_type is None:
        if is_base64_encoded:
            content_type = "application/octet-stream"
        elif isinstance(body, str):
            content_type = "text/plain; charset=utf-8"
        else:
            content_type = "application/json"
    return Body(b64(raw) if is_base64_encoded else text, is_base64_encoded, content_type, len(raw))


def is_text_type(content_type: str) -> bool:
    """Whether a body of ``content_type`` travels as text (see :data:`TEXT_MEDIA_TYPES`)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in TEXT_MEDIA_TYPES


def binary_body(
    is_base64_encoded: bool | None,
    body: object,
    content_type: str | None,
    headers: Mapping[str, list[str]],
) -> bool:
    """``is_base64_encoded`` when given; otherwise whether the integration would base64-encode
    ``body``: it has a body whose Content-Type (``content_type`` or a given header) is not
    text. A body with no content type at all defaults to text."""
    if is_base64_encoded is not None:
        return is_base64_encoded
    if body is None:
        return False
    sent = content_type or last_header(headers, "content-type")
    return sent is not None and not is_text_type(sent)


def encode_body_by_type(
    body: str | dict[str, Any] | list[Any] | None,
    *,
    content_type: str | None,
    is_base64_encoded: bool | None,
    headers: Mapping[str, list[str]],
) -> Body:
    """:func:`encode_body` as ALB, HTTP APIs and function URLs deliver a body: base64-encoded
    when ``is_base64_encoded`` says so or, when it is not given, when the body's content type
    (``content_type`` or the given ``headers``' Content-Type) is not text."""
    return encode_body(
        body,
        is_base64_encoded=binary_body(is_base64_encoded, body, content_type, headers),
        content_type=content_type,
    )


def default_headers(
    ctx: BuildContext,
    source_ip: str,
    agent: UserAgent,
    *,
    host: str,
    body: Body,
    cookies: Sequence[str] | None = None,
    extra: Mapping[str, str] | None = None,
    protocol: str = "https",
    content_length: bool = True,
) -> dict[str, str]:
    """The headers a request from ``source_ip`` arrives with unless the test gives its own, in
    name order as in AWS's example events: what the client sends (``Accept`` and
    ``User-Agent`` of ``agent``, ``Content-Length`` and ``Content-Type`` of the body, ``Cookie``,
    ``Host``), the ``extra`` ones the service in front adds, and the X-Ray trace and
    ``X-Forwarded-*`` headers of the load balancer or API. Only the trace id is drawn from
    ``ctx``."""
    headers = {"Accept": agent.accept}
    if content_length and body.text is not None:
        headers["Content-Length"] = str(body.length)
    if body.content_type is not None:
        headers["Content-Type"] = body.content_type
    if cookies:
        headers["Cookie"] = cookie_header(list(cookies))
    headers.update({"Host": host, "User-Agent": agent.name, **(extra or {})})
    headers["X-Amzn-Trace-Id"] = trace_id(ctx)
    headers["X-Forwarded-For"] = source_ip
    headers["X-Forwarded-Port"] = "443" if protocol == "https" else "80"
    headers["X-Forwarded-Proto"] = protocol
    return dict(sorted(headers.items(), key=lambda item: item[0].lower()))


def java_date(dt: datetime) -> str:
    """``Wed Mar 04 19:15:17 UTC 2020``: how a REST API Cognito authorizer renders the
    ``exp``/``iat`` claims (java.util.Date.toString)."""
    dt = dt.astimezone(timezone.utc)
    return f"{_DAYS[dt.weekday()]} {_MONTHS[dt.month - 1]} {dt.day:02d} {dt:%H:%M:%S} UTC {dt.year}"


def cognito_claims(
    ctx: BuildContext, *, token_use: str, scopes: list[str] | None = None
) -> dict[str, str]:
    """Claims of a Cognito user pool token issued a few minutes before ``ctx.now``, every value
    a string as API Gateway passes them on. ``token_use="id"`` for a REST Cognito authorizer
    (the ID token), ``"access"`` for an HTTP API JWT authorizer (with ``scope``).
    https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-with-identity-providers.html
    """
    pool_id = f"{ctx.region}_{ctx.chars(9, _ALNUM)}"
    issuer = f"https://cognito-idp.{ctx.region}.{ctx.dns_suffix}/{pool_id}"
    client_id = ctx.lower_alnum(26)
    username = _USERNAMES[ctx.rng.randrange(len(_USERNAMES))]
    issued = ctx.now.replace(microsecond=0) - timedelta(seconds=ctx.rng.randint(60, 1800))
    expires = issued + timedelta(hours=1)
    claims = {"sub": ctx.uuid()}
    if token_use == "id":
        claims.update(
            {
                "email_verified": "true",
                "iss": issuer,
                "cognito:username": username,
                "origin_jti": ctx.uuid(),
                "aud": client_id,
                "event_id": ctx.uuid(),
                "token_use": "id",
                "auth_time": str(epoch_seconds(issued)),
                # REST API Cognito authorizers render exp/iat as dates, not epoch seconds.
                "exp": java_date(expires),
                "iat": java_date(issued),
                "jti": ctx.uuid(),
                "email": f"{username}@example.com",
            }
        )
    else:
        claims.update(
            {
                "iss": issuer,
                "client_id": client_id,
                "origin_jti": ctx.uuid(),
                "event_id": ctx.uuid(),
                "token_use": "access",
                "scope": " ".join(scopes or []),
                "auth_time": str(epoch_seconds(issued)),
                "exp": str(epoch_seconds(expires)),
                "iat": str(epoch_seconds(issued)),
                "jti": ctx.uuid(),
                "username": username,
            }
        )
    return claims


def iam_caller(ctx: BuildContext, *, account_id: str | None, user_name: str) -> dict[str, Any]:
    """The IAM caller of a SigV4-signed request: an IAM user with a long-term access key.
    Keys as in requestContext.authorizer.iam of payload 2.0 (``cognitoIdentity`` and
    ``principalOrgId`` are null for a plain IAM user).
    https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads
    """
    account = account_id or ctx.account_id
    user_id = "AIDA" + ctx.upper_alnum(17)
    return {
        "accessKey": "AKIA" + ctx.upper_alnum(16),
        "accountId": account,
        "callerId": user_id,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": ctx.arn("iam", f"user/{user_name}", region="", account_id=account),
        "userId": user_id,
    }


# -- payload format 2.0 ---------------------------------------------------------------------


def payload_v2(
    ctx: BuildContext,
    *,
    method: str,
    raw_path: str,
    route_key: str,
    stage: str,
    api_id: str,
    account_id: str,
    domain_name: str,
    request_id: str,
    headers: Mapping[str, list[str]],
    cookies: Iterable[str] | None,
    query: Mapping[str, list[str]],
    body: Body,
    source_ip: str,
    authorizer: dict[str, Any] | None,
    path_parameters: dict[str, str] | None = None,
    stage_variables: dict[str, str] | None = None,
) -> Event:
    """An HTTP API / function URL event in payload format 2.0.

    Header names are lower-cased; repeated headers and query parameters are joined with commas;
    ``Cookie`` headers move to ``cookies``; keys with nothing to carry (``cookies``,
    ``queryStringParameters``, ``pathParameters``, ``stageVariables``, ``body``) are left out,
    as API Gateway and Lambda leave them out. ``requestContext.http.userAgent`` is the last
    User-Agent header sent.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    cookies = list(cookies or ())
    lowered: dict[str, list[str]] = {}
    for name, values in headers.items():
        key = name.lower()
        if key == "cookie":
            for value in values:
                cookies.extend(split_cookie_header(value))
        else:
            lowered.setdefault(key, []).extend(values)
    event: Event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query_string(query),
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = comma_values(lowered)
    if query:
        event["queryStringParameters"] = comma_values(query)
    context: dict[str, Any] = {"accountId": account_id, "apiId": api_id}
    if authorizer is not None:
        context["authorizer"] = authorizer
    context.update(
        {
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": last_header(headers, "user-agent") or "",
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": stage,
            "time": apigw_request_time(ctx.now),
            "timeEpoch": epoch_millis(ctx.now),
        }
    )
    event["requestContext"] = context
    if path_parameters:
        event["pathParameters"] = path_parameters
    if stage_variables:
        event["stageVariables"] = stage_variables
    if body.text is not None:
        event["body"] = body.text
    event["isBase64Encoded"] = body.is_base64
    return event
