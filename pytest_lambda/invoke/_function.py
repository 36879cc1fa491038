"""``LambdaFunction``: a function configuration with its execution environments.

``fn.invoke(event)`` finds an idle environment (a warm start) or creates one (a cold start:
fork from the zygote, import the handler), sends the event and returns an ``Invocation``
shaped as Lambda's Invoke API answers: status code, payload, ``FunctionError``, logs and the
REPORT figures. Invocations return results; they never raise for a function error.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import uuid
import warnings
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from .. import _clock
from ..errors import ConfigError, InvocationError, PytestLambdaWarning
from ..function_config import FunctionConfig
from ..limits import ASYNC_REQUEST_PAYLOAD_BYTES, SYNC_REQUEST_PAYLOAD_BYTES
from . import _controller, _protocol, _sandbox

__all__ = ["Invocation", "LambdaFunction", "Report"]

InvocationType = Literal["RequestResponse", "Event", "DryRun"]
_PLATFORM_TYPE = re.compile(r"^(Runtime|Function|Sandbox)\.[A-Z][a-zA-Z]+$")
_STATUS = {"RequestResponse": 200, "Event": 202, "DryRun": 204}


@dataclass(frozen=True)
class Report:
    """The figures of Lambda's REPORT log line."""

    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None


@dataclass(frozen=True)
class Invocation:
    """The answer to one invocation, as the Invoke API gives it (plus the logs).

    ``payload`` is the decoded JSON response (or the error object when ``function_error``
    is ``"Unhandled"``); raw ``bytes`` when the handler returned bytes; ``None`` for
    ``Event``/``DryRun`` invocations.
    """

    status_code: int
    payload: Any
    function_error: str | None
    error_type: str | None
    error_message: str | None
    request_id: str
    cold_start: bool
    logs: str
    report: Report | None
    executed_version: str = "$LATEST"

    @classmethod
    def refused(
        cls, status: int, error_type: str, message: str, request_id: str, version: str
    ) -> Invocation:
        """The Invoke API's answer when it refuses the request (413, 400): the function
        never runs; the payload is the service's error body."""
        payload = {"Type": "User", "message": message}
        return cls(status, payload, None, error_type, message, request_id, False, "", None, version)

    @property
    def ok(self) -> bool:
        """The function ran and returned without error."""
        return self.function_error is None and self.status_code < 300

    def raise_for_error(self) -> Invocation:
        """Raise :class:`~pytest_lambda.errors.InvocationError` on any error; else return self."""
        if not self.ok:
            raise InvocationError(self)
        return self


def active_mocks() -> list[str]:
    """In-process mocks that are active now and cannot reach a handler in another process.

    Looks only at modules already imported (it never imports one).
    """
    found = []
    freezegun = sys.modules.get("freezegun.api")
    if freezegun is not None and getattr(freezegun, "freeze_factories", None):
        found.append("freezegun (frozen time)")
    time_machine = sys.modules.get("time_machine")
    if time_machine is not None and getattr(time_machine, "traveller_stack", None):
        found.append("time-machine (travelled time)")
    moto = sys.modules.get("moto.core.models")
    mock_aws = getattr(moto, "MockAWS", None) if moto is not None else None
    if mock_aws is not None and getattr(mock_aws, "_nested_count", 0) > 0:
        found.append("moto mock_aws")
    responses = sys.modules.get("responses")
    default = getattr(responses, "_default_mock", None) if responses is not None else None
    if default is not None and getattr(default, "_patcher", None) is not None:
        found.append("responses")
    return found


#: Open functions, so a destination ARN can name a local function (weakly held: a function
#: nobody references is gone, as if deleted).
_OPEN: weakref.WeakSet[LambdaFunction] = weakref.WeakSet()


def open_functions() -> list[LambdaFunction]:
    """Every ``LambdaFunction`` not closed yet, in this process."""
    return [fn for fn in list(_OPEN) if not fn._closed]


def _trace_id(epoch: float, token: str) -> str:
    return f"Root=1-{int(epoch):08x}-{token[:24]};Parent={token[24:40]};Sampled=0"


class LambdaFunction:
    """A Lambda function you can invoke locally, with Lambda's limits enforced.

    ``LambdaFunction("app.handler", code_dir="src", timeout=3, memory=128)``; use it as a
    context manager or call :meth:`close` to end its environments.
    """

    def __init__(
        self,
        handler: str,
        *,
        code_dir: str | os.PathLike[str] = ".",
        timeout: float = 3,
        memory: int = 128,
        ephemeral_storage: int = 512,
        environment: Mapping[str, str] | None = None,
        layers: Sequence[str | os.PathLike[str]] = (),
        isolation: Literal["process", "inline"] = "process",
        function_name: str = "my-function",
        qualifier: str | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        architecture: Literal["x86_64", "arm64"] = "x86_64",
        pass_aws_credentials: bool = False,
        max_retry_attempts: int = 2,
        max_event_age: int = 21600,
        on_success: Any = None,
        on_failure: Any = None,
        dead_letter_target: Any = None,
        where: str = "",
    ) -> None:
        if isolation not in ("process", "inline"):
            raise ConfigError(
                f"Invalid isolation {isolation!r}{' ' + where if where else ''}: "
                "use 'process' (the default: limits enforced) or 'inline' (the test process)."
            )
        self.config = FunctionConfig.create(
            handler=handler,
            code_dir=str(code_dir),
            timeout=timeout,
            memory=memory,
            ephemeral_storage=ephemeral_storage,
            environment=dict(environment or {}),
            layers=tuple(str(layer) for layer in layers),
            function_name=function_name,
            qualifier=qualifier,
            region=region,
            account_id=account_id,
            architecture=architecture,
            pass_aws_credentials=pass_aws_credentials,
            where=where,
        )
        self.isolation = isolation
        from ..delivery._config import AsyncConfig

        #: Asynchronous invocation: retries, maximum event age, destinations, dead-letter queue.
        self.async_config = AsyncConfig.create(
            max_retry_attempts=max_retry_attempts,
            max_event_age=max_event_age,
            on_success=on_success,
            on_failure=on_failure,
            dead_letter_target=dead_letter_target,
            where=where,
        )
        self._lock = threading.Lock()
        self._idle: list[_controller.Environment] = []
        self._busy: set[_controller.Environment] = set()
        self._tmp_root = tempfile.mkdtemp(prefix="pytest-lambda-")
        self._slots = 0
        # /tmp storage outlives an environment reset, as in Lambda: a replacement environment
        # takes over the storage of the one that was lost.
        self._free_tmp: list[str] = []
        self._tmp_of: dict[int, str] = {}
        self._closed = False
        self._inline_handler: Any = None  # the imported handler, in inline isolation
        self.invocations: list[Invocation] = []
        _OPEN.add(self)

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> LambdaFunction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End every environment and remove their /tmp storage. Idempotent."""
        _OPEN.discard(self)
        with self._lock:
            self._closed = True
            environments = [*self._idle, *self._busy]
            self._idle.clear()
            self._busy.clear()
        self._inline_handler = None
        for env in environments:
            env.close()
        for tmp_dir in [*self._tmp_of.values(), *self._free_tmp]:
            _sandbox.remove_tmp_image(tmp_dir)
        shutil.rmtree(self._tmp_root, ignore_errors=True)

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()

    @property
    def mechanisms(self) -> Any:
        """Which enforcement mechanisms this machine gives (see ``_sandbox.Mechanisms``)."""
        return _controller.zygote().mechanisms

    # -- invoke ----------------------------------------------------------------------------

    def invoke(
        self,
        event: Any = None,
        *,
        invocation_type: InvocationType = "RequestResponse",
        client_context: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> Invocation:
        """Invoke the function with ``event`` (a JSON-able value, or JSON text/bytes)."""
        if invocation_type not in _STATUS:
            raise ConfigError(
                f"Invalid invocation_type {invocation_type!r}: use 'RequestResponse', 'Event' "
                "or 'DryRun'."
            )
        if self._closed:
            raise ConfigError("This LambdaFunction is closed; create a new one.")
        if invocation_type == "Event":  # refusals (413, 400) are the async queue's to answer
            accepted: Invocation = self.invoke_async(event, tenant_id=tenant_id).response
            return accepted
        request_id = str(uuid.uuid4())
        payload, problem = self._encode_event(event, invocation_type)
        if problem is not None:
            status, error_type, message = problem
            return self._record(
                Invocation.refused(
                    status, error_type, message, request_id, self.config.executed_version
                )
            )
        if invocation_type == "DryRun":
            return self._record(
                Invocation(
                    204,
                    None,
                    None,
                    None,
                    None,
                    request_id,
                    False,
                    "",
                    None,
                    self.config.executed_version,
                )
            )
        return self._record(self._run(payload, request_id, client_context, tenant_id))

    def _run(
        self,
        payload: bytes,
        request_id: str,
        client_context: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> Invocation:
        """One synchronous invocation of an encoded event (not recorded in ``invocations``);
        what ``invoke`` and the delivery simulators run."""
        if self.isolation == "inline":
            from ._inline import invoke_inline

            return invoke_inline(self, payload, request_id, client_context, tenant_id)
        mocks = active_mocks()
        if mocks:
            warnings.warn(
                f"{', '.join(mocks)} is active in the test process but does not reach the "
                f"handler of {self.config.function_name!r}, which runs in its own process. "
                "Use isolation='inline' (or @pytest.mark.lambda_isolation('inline')) to "
                "run the handler under the mock.",
                PytestLambdaWarning,
                stacklevel=3,
            )
        return self._invoke_process(payload, request_id, client_context, tenant_id)

    # -- delivery --------------------------------------------------------------------------

    def invoke_async(self, event: Any = None, **options: Any) -> Any:
        """Invoke asynchronously, as Lambda's event queue does: the event is accepted (202),
        then attempted with retries on a virtual clock, and its record goes to the
        destinations or dead-letter queue; returns an ``AsyncDelivery``."""
        from ..delivery._async import deliver

        return deliver(self, event, **options)

    def event_source_mapping(self, source_arn: str, **config: Any) -> Any:
        """An event source mapping from ``source_arn`` (an SQS queue, Kinesis stream or
        DynamoDB stream on the moto bridge) to this function; ``.drain()`` runs it."""
        from ..delivery._esm import create_mapping

        return create_mapping(self, source_arn, **config)

    def _record(self, invocation: Invocation) -> Invocation:
        self.invocations.append(invocation)
        return invocation

    def _encode_event(
        self, event: Any, invocation_type: str
    ) -> tuple[bytes, tuple[int, str, str] | None]:
        if isinstance(event, (bytes, bytearray)):
            payload = bytes(event)
        elif isinstance(event, str):
            payload = event.encode()
        else:
            try:
                payload = json.dumps(event).encode()
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"The event is not JSON-serialisable: {exc}") from None
        if isinstance(event, (str, bytes, bytearray)):
            try:
                json.loads(payload)
            except ValueError as exc:
                # Invoke rejects a body that is not JSON (400 InvalidRequestContentException).
                return payload, (
                    400,
                    "InvalidRequestContentException",
                    f"Could not parse request body into json: {exc}",
                )
        limit = (
            ASYNC_REQUEST_PAYLOAD_BYTES
            if invocation_type == "Event"
            else SYNC_REQUEST_PAYLOAD_BYTES
        )
        if len(payload) > limit:
            return payload, (
                413,
                "RequestEntityTooLargeException",
                f"{len(payload)} byte payload is too large for the {invocation_type} invocation "
                f"type (limit {limit} bytes)",
            )
        return payload, None

    def _new_environment(self) -> _controller.Environment:
        config = self.config
        with self._lock:
            if self._free_tmp:
                tmp_dir = self._free_tmp.pop()
            else:
                self._slots += 1
                tmp_dir = os.path.join(self._tmp_root, f"env-{self._slots}")
        os.makedirs(tmp_dir, exist_ok=True)
        day = datetime.now(timezone.utc).strftime("%Y/%m/%d")
        env = config.lambda_environment(
            task_root=config.code_dir,
            log_stream_name=f"{day}/[{config.executed_version}]{uuid.uuid4().hex}",
        )
        from ..integrations.moto import handler_environment

        env.update(handler_environment(config.region))  # the moto bridge, when one is active
        environment = _controller.Environment(
            handler=config.handler,
            task_root=config.code_dir,
            layer_paths=list(config.layer_paths),
            env=env,
            memory_mb=config.memory,
            tmp_mb=config.ephemeral_storage,
            tmp_dir=tmp_dir,
            timeout_s=config.timeout,
            ensure_ascii=sys.version_info < (3, 12),
        )
        self._tmp_of[id(environment)] = tmp_dir
        return environment

    def _acquire(self) -> _controller.Environment | None:
        found: _controller.Environment | None = None
        gone: list[tuple[_controller.Environment, str | None]] = []
        with self._lock:
            while self._idle:
                env = self._idle.pop()
                if env.alive and not env.exited():
                    self._busy.add(env)
                    found = env
                    break
                # Ended while idle (killed from outside): as in Lambda, the next request
                # gets a new environment (a cold start); /tmp storage is kept for it.
                gone.append((env, self._tmp_of.pop(id(env), None)))
        for env, tmp_dir in gone:
            env.close()
            if tmp_dir is not None:
                with self._lock:
                    self._free_tmp.append(tmp_dir)
        return found

    def _release(self, env: _controller.Environment) -> None:
        with self._lock:
            self._busy.discard(env)
            if env.alive and not self._closed:
                self._idle.append(env)
                return
            tmp_dir = self._tmp_of.pop(id(env), None)
        env.close()
        if tmp_dir is not None:
            with self._lock:
                self._free_tmp.append(tmp_dir)

    def _invoke_process(
        self,
        payload: bytes,
        request_id: str,
        client_context: Mapping[str, Any] | None,
        tenant_id: str | None,
    ) -> Invocation:
        config = self.config
        env = self._acquire()
        cold = env is None
        init_logs = ""
        init: _controller.Outcome | None = None
        suppressed_ms = 0.0
        if env is None:
            env = self._new_environment()
            with self._lock:
                self._busy.add(env)
            init = env.init()
            init_logs = _init_start(config.region) + init.logs
            if init.kind == "timeout":
                env, init, init_logs, suppressed_ms = self._suppressed_init(env, init_logs)
                if init.kind == "timeout":
                    init.init_ms = None  # the init happened inside the invocation
                    return self._shape(request_id, init, cold=True, init_logs=init_logs)
            if init.kind != "ok":
                self._release(env)
                return self._shape(
                    request_id, init, cold=True, init_logs=init_logs, init_failed=True
                )
        epoch = _clock.real_epoch()  # one real-time read for the deadline and the trace id
        request = {
            "type": "invoke",
            "request_id": request_id,
            "deadline_ms": int((epoch + config.timeout) * 1000),
            "invoked_function_arn": config.invoked_arn,
            "trace_id": _trace_id(epoch, uuid.uuid4().hex + uuid.uuid4().hex),
            "client_context": dict(client_context) if client_context is not None else None,
            "tenant_id": tenant_id,
        }
        try:
            outcome = env.invoke(request, payload, config.timeout - suppressed_ms / 1000)
        finally:
            self._release(env)
        if suppressed_ms:
            # A suppressed init counts in the invocation's Duration; no Init Duration field.
            outcome.duration_ms += suppressed_ms
        elif init is not None:
            outcome.init_ms = init.init_ms
        return self._shape(request_id, outcome, cold=cold, init_logs=init_logs)

    def _suppressed_init(
        self, lost: _controller.Environment, init_logs: str
    ) -> tuple[_controller.Environment, _controller.Outcome, str, float]:
        """The init phase ran past Lambda's 10 s: Lambda logs an INIT_REPORT with
        ``Status: timeout`` and initialises again inside the invocation, bounded by the
        function timeout (lambda-behavior.md section 5, "suppressed init")."""
        self._release(lost)
        init_logs += (
            f"INIT_REPORT Init Duration: {_controller.INIT_LIMIT_S * 1000:.2f} ms\t"
            "Phase: init\tStatus: timeout\n"
        )
        env = self._new_environment()
        with self._lock:
            self._busy.add(env)
        started = _clock.monotonic()
        init = env.init(self.config.timeout)
        elapsed_ms = (_clock.monotonic() - started) * 1000
        init_logs += init.logs
        if init.kind == "timeout":
            self._release(env)
            init_logs += (
                f"INIT_REPORT Init Duration: {elapsed_ms:.2f} ms\tPhase: invoke\tStatus: timeout\n"
            )
        return env, init, init_logs, elapsed_ms

    # -- shaping ---------------------------------------------------------------------------

    def _shape(
        self,
        request_id: str,
        outcome: _controller.Outcome,
        *,
        cold: bool,
        init_logs: str = "",
        init_failed: bool = False,
    ) -> Invocation:
        config = self.config
        payload: Any = None
        error_type: str | None = None
        message: str | None = None
        status_line = ""
        if outcome.kind == "ok":
            body = outcome.body or b""
            payload = body if outcome.binary else json.loads(body) if body else None
        elif outcome.kind in ("error", "init_error"):
            payload = json.loads(outcome.body or b"{}")
            error_type, message = payload.get("errorType"), payload.get("errorMessage")
        elif outcome.kind == "timeout":
            error_type = "Sandbox.Timedout"
            message = (
                f"RequestId: {request_id} Error: Task timed out after {config.timeout:.2f} seconds"
            )
            status_line = "Status: timeout\t"
        elif outcome.kind == "oom":
            error_type = "Runtime.OutOfMemory"
            message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
        elif outcome.kind == "too_large":
            error_type = "Function.ResponseSizeTooLarge"
            message = (
                f"Response payload size ({outcome.response_size} bytes) exceeded maximum "
                f"allowed payload size ({_controller.RESPONSE_LIMIT} bytes)."
            )
        elif outcome.kind == "host_fault":
            # Our machinery failed under the handler (a full host disk): Lambda's generic
            # platform error type, with the reason and the fix in the message.
            error_type = "Runtime.Unknown"
            message = f"RequestId: {request_id} Error: {outcome.termination}"
        else:
            error_type = "Runtime.ExitError"
            reason = (
                f"Runtime exited with error: {outcome.termination}"
                if outcome.termination
                else "Runtime exited without providing a reason"
            )
            message = f"RequestId: {request_id} Error: {reason}"
        if error_type is not None and outcome.kind not in ("error", "init_error"):
            payload = _protocol.error_payload(message or "", error_type)
        # The platform reports only runtime/function fault types in its log lines; anything
        # else (an exception class name) becomes Runtime.Unknown (RIE's
        # GetValidRuntimeOrFunctionErrorType; observed in INIT_REPORT/REPORT lines).
        log_type = (
            error_type if error_type and _PLATFORM_TYPE.match(error_type) else "Runtime.Unknown"
        )
        if error_type is not None and not status_line:
            status_line = f"Status: error\tError Type: {log_type}\t"
        duration = config.timeout * 1000 if outcome.kind == "timeout" else outcome.duration_ms
        init_ms = outcome.init_ms if cold else None
        if init_failed:
            duration, init_ms = outcome.init_ms or 0.0, None
        report = Report(
            duration_ms=round(duration, 2),
            billed_duration_ms=max(1, math.ceil(duration + (init_ms or 0.0))),
            memory_size_mb=config.memory,
            max_memory_used_mb=outcome.max_memory_mb or 1,
            init_duration_ms=round(init_ms, 2) if init_ms is not None else None,
        )
        lines = [init_logs]
        if init_failed and error_type is not None:
            lines.append(
                f"INIT_REPORT Init Duration: {outcome.init_ms or 0.0:.2f} ms\tPhase: init\t"
                f"Status: error\tError Type: {log_type}\n"
            )
        lines.append(f"START RequestId: {request_id} Version: {config.executed_version}\n")
        if not init_failed:
            lines.append(outcome.logs)
            if outcome.logs and not outcome.logs.endswith("\n"):
                lines.append("\n")  # END is a log event of its own
        lines.append(f"END RequestId: {request_id}\n")
        lines.append(
            f"REPORT RequestId: {request_id}\tDuration: {report.duration_ms:.2f} ms\t"
            f"Billed Duration: {report.billed_duration_ms} ms\tMemory Size: {config.memory} MB\t"
            f"Max Memory Used: {report.max_memory_used_mb} MB\t"
            + (f"Init Duration: {report.init_duration_ms:.2f} ms\t" if init_ms is not None else "")
            + status_line
            + "\n"
        )
        return Invocation(
            status_code=200,
            payload=payload,
            function_error="Unhandled" if error_type is not None else None,
            error_type=error_type,
            error_message=message,
            request_id=request_id,
            cold_start=cold,
            logs="".join(lines),
            report=report,
            executed_version=config.executed_version,
        )


def _init_start(region: str) -> str:
    version = f"python:{sys.version_info.major}.{sys.version_info.minor}"
    return (
        f"INIT_START Runtime Version: {version}.local\tRuntime Version ARN: "
        f"arn:aws:lambda:{region}::runtime:{'0' * 64}\n"
    )
