"""The runtime inside an execution environment (the handler's process).

Standard library only, plus this package's stdlib-only modules: it mirrors what the AWS Lambda
Python runtime (awslambdaric ``bootstrap.py``) does between the platform and the handler:
import the handler once (init), then run invocations read from the command pipe, sending each
result back as a frame. Limits are not enforced here: the parent does that, whatever this
process does.

Log capture: fd 1 and fd 2 are the write end of the log pipe. After each invocation this
runtime writes an end marker (a per-environment secret) through its own private copy of that
pipe, so the parent can cut the log stream per invocation even if the handler closed or
redirected stdout.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import json
import logging
import os
import resource
import sys
import time
import traceback
from typing import Any

from ..context import ClientContext, CognitoIdentity, LambdaContext
from . import _protocol

__all__ = ["serve"]

# The runtime marshals with its own JSON functions (awslambdaric uses simplejson, not the
# stdlib module a handler can patch): taken now, before any handler code runs.
_dumps = json.dumps
_loads = json.loads

_GLOBAL_REQUEST_ID = ""
_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _GLOBAL_REQUEST_ID
        return True


class _Unbuffered(io.TextIOBase):
    """stdout/stderr as the runtime wraps them: every write is flushed."""

    def __init__(self, stream: io.TextIOWrapper) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        self._stream.flush()
        return written

    def writelines(self, lines: Any) -> None:
        self._stream.writelines(lines)
        self._stream.flush()

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def prepare_runtime() -> None:
    """The runtime's stdio and logging, set up once in the zygote and inherited by every
    environment (fd 1 and 2 become each environment's log pipe after the fork).

    awslambdaric: stdout/stderr flush on every write; a handler on the root logger with this
    format, UTC timestamps and the request id from a filter.
    """
    # The streams live as long as the process: no context manager.
    out = open(1, "wb", closefd=False)  # noqa: SIM115
    err = open(2, "wb", closefd=False)  # noqa: SIM115
    sys.stdout = _Unbuffered(io.TextIOWrapper(out, encoding="utf-8"))
    sys.stderr = _Unbuffered(io.TextIOWrapper(err, encoding="utf-8"))
    logging.Formatter.converter = time.gmtime
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)


def _setup_logging() -> None:
    # The root level stays WARNING unless AWS_LAMBDA_LOG_LEVEL says otherwise (awslambdaric).
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    level = {"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level)
    if isinstance(logging.getLevelName(level), int):
        root.setLevel(level)


def _stack(tb: Any, skip_file: str) -> list[str]:
    frames = traceback.extract_tb(tb)
    while frames and frames[0].filename == skip_file:
        frames.pop(0)
    return traceback.format_list(frames)


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__} object>"


def _log_error(payload: dict[str, Any]) -> None:
    # awslambdaric logs "[ERROR] <type>: <message>" and the traceback, leading spaces of the
    # trace lines turned into NO-BREAK SPACE.
    lines = [f"[ERROR] {payload['errorType']}: {payload['errorMessage']}"]
    if payload.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        for entry in payload["stackTrace"]:
            for line in str(entry).rstrip("\n").split("\n"):
                stripped = line.lstrip(" ")
                lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    _write_log("\n".join(lines) + "\n")


def _write_log(text: str) -> None:
    try:
        _protocol.write_all(1, text.encode("utf-8", "replace"))
    except OSError:
        pass


def _load_handler(handler: str) -> tuple[Any, dict[str, Any] | None]:
    """Import the handler as awslambdaric ``_get_handler`` does; returns (function, error)."""
    try:
        module_path, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        return None, _protocol.error_payload(
            f"Bad handler '{handler}': {exc}", "Runtime.MalformedHandlerName", "", []
        )
    module_name = module_path.replace("/", ".")
    if module_name.split(".")[0] in sys.builtin_module_names:
        return None, _protocol.error_payload(
            f"Cannot use built-in module {module_name} as a handler module",
            "Runtime.BuiltInModuleConflict",
            "",
            [],
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, _protocol.error_payload(
            f"Unable to import module '{module_name}': {_safe_str(exc)}",
            "Runtime.ImportModuleError",
            "",
            [],
        )
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {(exc.text or "").strip()}\n']
        return None, _protocol.error_payload(
            f"Syntax error in module '{module_name}': {_safe_str(exc)}",
            "Runtime.UserCodeSyntaxError",
            "",
            trace,
        )
    except Exception as exc:
        return None, _protocol.error_payload(
            _safe_str(exc), type(exc).__name__, "", _stack(exc.__traceback__, __file__)
        )
    function = getattr(module, function_name, None)
    if function is None:
        return None, _protocol.error_payload(
            f"Handler '{function_name}' missing on module '{module_name}'",
            "Runtime.HandlerNotFound",
            "",
            [],
        )
    return function, None


def _marshal(result: Any, ensure_ascii: bool) -> tuple[bytes, bool]:
    """The response body and whether it is raw bytes (passed through as the runtime does)."""
    if isinstance(result, (bytes, bytearray)):
        return bytes(result), True
    return _dumps(result, ensure_ascii=ensure_ascii).encode(), False


def _context(frame: dict[str, Any]) -> LambdaContext:
    client = frame.get("client_context")
    cognito = frame.get("cognito_identity") or {}
    return LambdaContext(
        aws_request_id=frame["request_id"],
        function_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""),
        function_version=os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        memory_limit_in_mb=os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        invoked_function_arn=frame["invoked_function_arn"],
        log_group_name=os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME"),
        log_stream_name=os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME"),
        client_context=ClientContext.from_json(client) if client is not None else None,
        identity=CognitoIdentity(
            cognito.get("cognitoIdentityId"), cognito.get("cognitoIdentityPoolId")
        ),
        tenant_id=frame.get("tenant_id"),
        deadline_ms=frame["deadline_ms"],
    )


def _warm_up() -> None:
    """Run the runtime's own per-request code once (a spare has the time), so that a fresh
    environment's first request does not pay its first-use costs (copy-on-write faults of the
    pages it touches, lazy imports) instead. No handler code runs."""
    frame = {"request_id": "warm-up", "invoked_function_arn": "", "deadline_ms": 0}
    with contextlib.suppress(Exception):
        _context(frame).get_remaining_time_in_millis()
        _marshal(_loads(_dumps({"warm": ["up", 1, 2.5, None, True]})), True)
        _max_rss_kb()
        traceback.format_list(traceback.extract_stack(limit=2))


def _loop_device(cmd_fd: int) -> str | None:
    """The loop device the parent attached for /tmp while this process was forked."""
    frame = _protocol.read_frame(cmd_fd)
    device = frame[0].get("device") if frame is not None else None
    return device if isinstance(device, str) else None


def _deltas(marks: list[float]) -> list[float]:
    return [round((b - a) * 1000, 3) for a, b in itertools.pairwise(marks)]


def _max_rss_kb() -> int:
    return max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )


def serve(spec: dict[str, Any], cmd_fd: int, result_fd: int, log_fd: int) -> None:
    """Run the environment: init, then invocations until the command pipe closes.

    Called in a freshly forked process (the zygote's child) that is already its own process
    group, with ``log_fd`` to become stdout and stderr.
    """
    global _GLOBAL_REQUEST_ID
    from . import _sandbox

    marks = [time.perf_counter()]
    _sandbox.join(spec.get("cgroup_procs"))
    marks.append(time.perf_counter())
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    marker_fd = log_fd  # private copy of the log pipe, for end markers
    for fd in (cmd_fd, result_fd, marker_fd):
        os.set_inheritable(fd, False)
    os.environ.clear()
    os.environ.update(spec["env"])
    time.tzset()
    # Lambda: 1,024 file descriptors (quotas page). A lower hard limit of the host stays.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = 1024 if hard == resource.RLIM_INFINITY else min(1024, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    marks.append(time.perf_counter())
    # The parent knows this process; with a PID namespace the runtime continues in a child.
    environment_pid = os.getpid()
    tmp = _sandbox.enter_sandbox(
        tmp_mb=spec["tmp_mb"],
        tmp_dir=spec["tmp_dir"],
        read_only=spec["read_only"],
        mechanisms=_sandbox.Mechanisms(**spec["mechanisms"]),
        expose=(spec["task_root"], *spec.get("expose", ())),
        hide=tuple(spec.get("hide", ())),
        loop_device=(lambda: _loop_device(cmd_fd)) if spec.get("loop_device_frame") else None,
    )
    marks.append(time.perf_counter())
    if tmp != "/tmp":
        os.environ["TMPDIR"] = tmp
    import tempfile

    tempfile.tempdir = None
    os.chdir(spec["task_root"])
    sys.path[:] = [spec["task_root"], *spec["layer_paths"], *spec["sys_path"]]
    if not isinstance(sys.stdout, _Unbuffered):  # not forked from a prepared zygote
        prepare_runtime()
    sys.stdin = open(os.devnull)  # noqa: SIM115 - the runtime's stdin is empty
    spare_phases: dict[str, float] | None = None
    if spec.get("spare"):
        # Made ahead of its function (a spare): announce it, then wait for the function's own
        # handler and environment variables. The command pipe closing means "not needed".
        _warm_up()
        marks.append(time.perf_counter())
        spare_phases = dict(
            zip(("join", "setup", "sandbox", "runtime"), _deltas(marks), strict=True)
        )
        announce = {"type": "spare", "pid": environment_pid, "phases": spare_phases}
        _protocol.write_all(result_fd, _protocol.encode(announce))
        frame = _protocol.read_frame(cmd_fd)
        if frame is None or frame[0].get("type") != "go":
            return
        go = frame[0]
        for name in go["unset"]:
            os.environ.pop(name, None)
        os.environ.update(go["set"])
        if tmp != "/tmp":
            os.environ["TMPDIR"] = tmp
        time.tzset()
        spec = {**spec, **go["spec"]}
    _setup_logging()
    # /tmp is a sparse image on the host's disk: while that disk is nearly full the parent asks
    # for a sync after each request, and a write-back error means the handler's data is lost.
    sync_handle = _sandbox.open_sync_handle(tmp)
    ensure_ascii = spec.get("ensure_ascii", True)
    end_marker = spec["marker"].encode()

    def finish(request_id: str, header: dict[str, Any], body: bytes) -> None:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                if stream is not None:
                    stream.flush()
            except Exception:
                pass
        _protocol.write_all(marker_fd, end_marker + request_id.encode() + b"\n")
        header["max_rss_kb"] = _max_rss_kb()
        _protocol.write_all(result_fd, _protocol.encode(header, body))

    started = time.perf_counter()
    marks.append(started)
    function, init_error = _load_handler(spec["handler"])
    init_ms = (time.perf_counter() - started) * 1000
    if init_error is not None:
        _log_error(init_error)
        finish("", {"type": "init", "ok": False, "init_ms": init_ms}, _dumps(init_error).encode())
        return
    # Where the environment's start-up went (benchmarks/bench_invoke.py prints it).
    phases: dict[str, Any] = dict(
        zip(("join", "setup", "sandbox", "runtime"), _deltas(marks), strict=False)
    )
    if spare_phases is not None:
        phases = {**spare_phases, "spare": True}
    finish("", {"type": "init", "ok": True, "init_ms": init_ms, "phases": phases}, b"")

    while True:
        frame = _protocol.read_frame(cmd_fd)
        if frame is None:
            return
        request, event_bytes = frame
        request_id = request["request_id"]
        _GLOBAL_REQUEST_ID = request_id
        if request.get("trace_id"):
            os.environ["_X_AMZN_TRACE_ID"] = request["trace_id"]
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        started = time.perf_counter()
        error: dict[str, Any] | None = None
        body, binary = b"", False
        try:
            event = _loads(event_bytes)
        except ValueError as exc:
            error = _protocol.error_payload(
                f"Unable to unmarshal input: {exc}", "Runtime.UnmarshalError", request_id, []
            )
        else:
            try:
                result = function(event, _context(request))
            except Exception as exc:
                # str() unguarded on purpose: in awslambdaric an exception whose __str__
                # raises escapes the runtime loop and the runtime exits (Runtime.ExitError).
                error = _protocol.error_payload(
                    str(exc), type(exc).__name__, request_id, _stack(exc.__traceback__, __file__)
                )
            else:
                try:
                    body, binary = _marshal(result, ensure_ascii)
                except Exception as exc:
                    error = _protocol.error_payload(
                        f"Unable to marshal response: {_safe_str(exc)}",
                        "Runtime.MarshalError",
                        request_id,
                        [],
                    )
        if error is not None:
            _log_error(error)
            body = _dumps(error).encode()
        header: dict[str, Any] = {"type": "result", "ok": error is None, "binary": binary}
        header["duration_ms"] = (time.perf_counter() - started) * 1000
        if request.get("sync_tmp"):
            header["tmp_sync_errno"] = _sandbox.sync_fs(sync_handle)
        finish(request_id, header, body)
        _GLOBAL_REQUEST_ID = ""
