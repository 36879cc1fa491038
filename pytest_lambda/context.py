"""The Lambda context object, as the Python runtime builds it.

Attributes, types and ``repr`` follow ``awslambdaric/lambda_context.py`` (reference
lambda-behavior.md section 2): ``memory_limit_in_mb`` is a **string** there, ``identity`` is
always a :class:`CognitoIdentity`, ``client_context`` is ``None`` unless one was sent.

This module imports only the standard library: the runtime shim in the handler's process
uses it too.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ._names import partition_for

__all__ = ["Client", "ClientContext", "CognitoIdentity", "LambdaContext"]


def _monotonic() -> float:
    # Not patched by freezegun or time-machine (see _clock.py); kept local so this module
    # stays importable on its own in the handler's process.
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class CognitoIdentity:
    """``context.identity``: Cognito identity of a mobile-SDK caller (``None`` fields otherwise)."""

    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __init__(
        self, cognito_identity_id: str | None = None, cognito_identity_pool_id: str | None = None
    ) -> None:
        self.cognito_identity_id = cognito_identity_id
        self.cognito_identity_pool_id = cognito_identity_pool_id

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    """``context.client_context.client``: the calling mobile app."""

    __slots__ = [
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    ]

    def __init__(
        self,
        installation_id: str | None = None,
        app_title: str | None = None,
        app_version_name: str | None = None,
        app_version_code: str | None = None,
        app_package_name: str | None = None,
    ) -> None:
        self.installation_id = installation_id
        self.app_title = app_title
        self.app_version_name = app_version_name
        self.app_version_code = app_version_code
        self.app_package_name = app_package_name

    def __repr__(self) -> str:
        return (
            f"Client([installation_id={self.installation_id},app_title={self.app_title},"
            f"app_version_name={self.app_version_name},app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}])"
        )


class ClientContext:
    """``context.client_context``: sent with a synchronous invoke (``X-Amz-Client-Context``)."""

    __slots__ = ["client", "custom", "env"]

    def __init__(
        self,
        custom: Any = None,
        env: Any = None,
        client: Client | None = None,
    ) -> None:
        self.custom = custom
        self.env = env
        self.client = client

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClientContext:
        """Build it from the JSON object a caller sends, as the runtime does (missing keys are
        ``None``; ``client`` becomes a :class:`Client`)."""
        client = data.get("client")
        return cls(
            custom=data.get("custom"),
            env=data.get("env"),
            client=Client(
                installation_id=client.get("installation_id"),
                app_title=client.get("app_title"),
                app_version_name=client.get("app_version_name"),
                app_version_code=client.get("app_version_code"),
                app_package_name=client.get("app_package_name"),
            )
            if client is not None
            else None,
        )

    def __repr__(self) -> str:
        return f"ClientContext([custom={self.custom},env={self.env},client={self.client}])"


class LambdaContext:
    """The second argument of a handler, as the AWS Lambda Python runtime passes it.

    Build one for a direct handler call with keyword arguments::

        context = LambdaContext(function_name="resize", memory_limit_in_mb=256, timeout=10)
        handler(event, context)

    ``get_remaining_time_in_millis()`` counts down from ``timeout`` seconds after construction
    (or from ``deadline_ms``, epoch milliseconds, when given) on a real monotonic clock, so it
    keeps counting under ``freeze_time``.
    """

    def __init__(
        self,
        *,
        function_name: str = "my-function",
        function_version: str = "$LATEST",
        memory_limit_in_mb: int | str = 128,
        timeout: float = 3,
        aws_request_id: str | None = None,
        invoked_function_arn: str | None = None,
        log_group_name: str | None = None,
        log_stream_name: str | None = None,
        client_context: ClientContext | Mapping[str, Any] | None = None,
        identity: CognitoIdentity | None = None,
        tenant_id: str | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        deadline_ms: int | None = None,
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}.")
        memory = str(memory_limit_in_mb)
        if not memory.isdigit():
            raise ValueError(
                f"memory_limit_in_mb must be a whole number of MB, got {memory_limit_in_mb!r}."
            )
        now_ms = int(time.time() * 1000)
        if deadline_ms is None:
            deadline_ms = now_ms + int(timeout * 1000)
        self._epoch_deadline_time_in_ms = deadline_ms
        self._deadline_monotonic = _monotonic() + (deadline_ms - now_ms) / 1000
        self.aws_request_id = aws_request_id or str(uuid.uuid4())
        self.function_name = function_name
        self.function_version = function_version
        self.memory_limit_in_mb = memory
        self.invoked_function_arn = invoked_function_arn or (
            f"arn:{partition_for(region)}:lambda:{region}:{account_id}:function:{function_name}"
        )
        self.log_group_name = log_group_name or f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream_name or _log_stream_name(function_version)
        if isinstance(client_context, Mapping):
            client_context = ClientContext.from_json(client_context)
        self.client_context = client_context
        self.identity = identity if identity is not None else CognitoIdentity()
        self.tenant_id = tenant_id

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out, never below 0."""
        remaining = int((self._deadline_monotonic - _monotonic()) * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg: object) -> None:
        """Write ``str(msg)`` to the function's log (standard output), with no newline added."""
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )


def _log_stream_name(version: str) -> str:
    # YYYY/MM/DD/[<version>]<32 hex>, e.g. 2023/08/31/[$LATEST]3893xmpl7fac4485b47bb75b671a283c
    # (Lambda developer guide, python-logging / monitoring-cloudwatchlogs-view).
    day = datetime.now(timezone.utc).strftime("%Y/%m/%d")
    return f"{day}/[{version}]{uuid.uuid4().hex}"
