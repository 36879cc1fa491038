"""``PYTEST_LAMBDA_MECHANISMS=pid=host``: environments without their own PID namespace.

The handler then runs as a plain process of the host, under its real pid, and sees (and, as
the same user, may signal) every process of the machine; README documents this. Everything
else must hold as with a namespace: the timeout kills the handler and the processes it forked,
the memory limit is enforced, a killed runtime is worded as Lambda words it, the next
invocation works, and nothing is left after ``close()``.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_lambda import LambdaFunction
from pytest_lambda.invoke import Invocation, _controller, _sandbox

HANDLERS = Path(__file__).resolve().parents[2] / "fixtures" / "handlers"
PIDNS_DIR = str(HANDLERS / "pidns")

#: Forks a child that sleeps, tells the test both pids (a log line), then loops forever.
FORK_THEN_LOOP = """\
import os
import time


def handler(event, context):
    child = os.fork()
    if child == 0:
        time.sleep(60)
        os._exit(0)
    os.write(1, f"PIDS {os.getpid()} {child}\\n".encode())
    while True:
        pass
"""


@pytest.fixture
def pid_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A zygote started with ``pid=host`` (it reads the variable once, when it starts)."""
    _controller.shutdown_zygote()
    monkeypatch.setenv(_sandbox.ENV_VAR, "pid=host")
    try:
        yield
    finally:
        _controller.shutdown_zygote()  # the next use starts a zygote with the real env


def alive(pids: list[int]) -> list[int]:
    left = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):  # a zombie is dead, waiting to be reaped
            left.append(pid)
    return left


def wait_gone(pids: list[int], seconds: float = 3.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


def children_of(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == parent:
                found.append(int(entry))
    return found


def assert_on_the_host(inv: Invocation, zygote_pid: int) -> None:
    """The runtime is a plain host process: its real pid, forked by the zygote."""
    assert inv.ok, inv.payload
    pid = inv.payload["pid"]
    assert pid not in (1, 2)
    assert inv.payload["pid_ns"] == os.readlink("/proc/self/ns/pid")
    assert inv.payload["ppid"] == zygote_pid
    assert os.getpid() in inv.payload["proc"]  # it sees the test process


def signals_scoped(fn: LambdaFunction) -> bool:
    """Landlock keeps the handler from signalling processes outside its domain."""
    mechanisms = fn.mechanisms
    return bool(getattr(mechanisms, "landlock_scope", False)) and mechanisms.landlock >= 6


def platform_error(inv: Invocation, error_type: str, reason: str) -> None:
    message = f"RequestId: {inv.request_id} Error: {reason}"
    assert inv.status_code == 200
    assert inv.function_error == "Unhandled"
    assert inv.payload == {"errorMessage": message, "errorType": error_type}


def lam(handler: str = "processes.handler", **settings: Any) -> LambdaFunction:
    settings.setdefault("code_dir", PIDNS_DIR)
    settings.setdefault("timeout", 3)
    return LambdaFunction(handler, **settings)


@pytest.mark.usefixtures("pid_host")
def test_handler_runs_under_its_host_pid() -> None:
    me = os.getpid()
    with lam() as fn:
        assert not fn.mechanisms.pid_namespace
        assert " pid=namespace" not in fn.mechanisms.describe()
        zygote_pid = _controller.zygote().process.pid
        first = fn.invoke({"signal_pid": me, "signal": 0})
        second = fn.invoke({})
        pid = first.payload["pid"]
        assert alive([pid]) == [pid]  # the same process, seen from here
        environments = children_of(zygote_pid)  # this one and any spare made ahead
        assert pid in environments
        tmp_root = fn._tmp_root
    assert_on_the_host(first, zygote_pid)
    # Without a PID namespace the handler can signal the test process (the same user), unless
    # Landlock scopes its signals (ABI 6 and later).
    assert first.payload["signal"] == ("PermissionError" if signals_scoped(fn) else "sent")
    assert_on_the_host(second, zygote_pid)
    assert not second.cold_start and second.payload["pid"] == pid
    assert wait_gone([pid]) == []
    assert not os.path.exists(tmp_root)
    _controller.shutdown_zygote()  # spares go with the zygote
    assert wait_gone([*environments, zygote_pid]) == []


@pytest.mark.usefixtures("pid_host")
def test_timeout_kills_the_handler_and_its_child(tmp_path: Path) -> None:
    (tmp_path / "fork_then_loop.py").write_text(FORK_THEN_LOOP)
    with LambdaFunction("fork_then_loop.handler", code_dir=str(tmp_path), timeout=1) as fn:
        assert not fn.mechanisms.pid_namespace
        started = time.monotonic()
        inv = fn.invoke({})
        elapsed = time.monotonic() - started
        found = re.search(r"^PIDS (\d+) (\d+)$", inv.logs, re.M)
        assert found, inv.logs
        runtime, child = int(found[1]), int(found[2])
        # Killed at the deadline, not merely abandoned: both are gone while fn is open.
        assert wait_gone([runtime, child]) == []
        after = fn.invoke({})  # a fresh environment
        zygote_pid = _controller.zygote().process.pid
    assert elapsed < 1 + 2
    platform_error(inv, "Sandbox.Timedout", "Task timed out after 1.00 seconds")
    assert runtime not in (1, 2) and child not in (1, 2)
    assert after.cold_start
    assert after.function_error == "Unhandled"  # it loops again: the same outcome
    assert after.payload["errorType"] == "Sandbox.Timedout"
    again = re.search(r"^PIDS (\d+) (\d+)$", after.logs, re.M)
    assert again, after.logs
    assert {int(again[1]), int(again[2])}.isdisjoint({runtime, child})
    assert wait_gone([int(again[1]), int(again[2])]) == []
    assert zygote_pid not in (runtime, child)


@pytest.mark.usefixtures("pid_host")
def test_memory_limit_is_enforced() -> None:
    with lam("allocate_memory.handler", code_dir=str(HANDLERS), memory=128) as fn:
        assert not fn.mechanisms.pid_namespace
        inv = fn.invoke({"mb": 400})
        after = fn.invoke({"mb": 20})
        tmp_root = fn._tmp_root
    platform_error(inv, "Runtime.OutOfMemory", "Runtime exited with error: signal: killed")
    assert inv.report is not None and inv.report.memory_size_mb == 128
    assert after.ok and after.cold_start
    assert after.payload == {"chunks": 2, "mb": 20}
    assert not os.path.exists(tmp_root)


@pytest.mark.usefixtures("pid_host")
@pytest.mark.parametrize(
    ("sig", "reason"),
    [
        (signal.SIGUSR1, "signal: user defined signal 1"),
        (signal.SIGTERM, "signal: terminated"),
        (signal.SIGKILL, "signal: killed"),
    ],
)
def test_runtime_killed_by_a_signal_is_reported_as_that_signal(sig: int, reason: str) -> None:
    with lam() as fn:
        first = fn.invoke({})
        inv = fn.invoke({"die": int(sig)})
        after = fn.invoke({})
        zygote_pid = _controller.zygote().process.pid
    platform_error(inv, "Runtime.ExitError", f"Runtime exited with error: {reason}")
    assert "Status: error\tError Type: Runtime.ExitError" in inv.logs
    assert_on_the_host(after, zygote_pid)
    assert after.cold_start and after.payload["pid"] != first.payload["pid"]
    assert wait_gone([first.payload["pid"], after.payload["pid"]]) == []


# ----------------------------------------------------------------------------------------
# How a runtime exit is worded: Go's ProcessState.String() of the wait status
# ----------------------------------------------------------------------------------------

#: Go's ``syscall`` signal table for Linux (``src/syscall/zerrors_linux_amd64.go``).
GO_SIGNALS = {
    1: "hangup",
    2: "interrupt",
    3: "quit",
    4: "illegal instruction",
    5: "trace/breakpoint trap",
    6: "aborted",
    7: "bus error",
    8: "floating point exception",
    9: "killed",
    10: "user defined signal 1",
    11: "segmentation fault",
    12: "user defined signal 2",
    13: "broken pipe",
    14: "alarm clock",
    15: "terminated",
    16: "stack fault",
    17: "child exited",
    18: "continued",
    19: "stopped (signal)",
    20: "stopped",
    21: "stopped (tty input)",
    22: "stopped (tty output)",
    23: "urgent I/O condition",
    24: "CPU time limit exceeded",
    25: "file size limit exceeded",
    26: "virtual timer expired",
    27: "profiling timer expired",
    28: "window changed",
    29: "I/O possible",
    30: "power failure",
    31: "bad system call",
}


go_numbering = pytest.mark.skipif(
    os.uname().machine not in ("x86_64", "aarch64"),
    reason="the table is numbered as on x86-64 and arm64",
)


@go_numbering
def test_every_signal_is_worded_as_go_words_it() -> None:
    for number, text in GO_SIGNALS.items():
        assert _controller.termination(number) == f"signal: {text}", number
        assert _controller.termination(number | 0x80) == f"signal: {text} (core dumped)"
    # Numbers without a name (the real-time signals): Go prints "signal N".
    assert _controller.termination(signal.SIGRTMIN) == f"signal: signal {int(signal.SIGRTMIN)}"
    assert _controller.termination(64) == "signal: signal 64"


def test_exit_codes_and_an_unknown_status() -> None:
    assert _controller.termination(0) is None  # "Runtime exited without providing a reason"
    assert _controller.termination(3 << 8) == "exit status 3"
    assert _controller.termination(255 << 8) == "exit status 255"
    assert _controller.termination(None) == "signal: killed"  # killed by the parent


@go_numbering
@pytest.mark.parametrize("sig", [signal.SIGUSR1, signal.SIGSEGV, signal.SIGXCPU, signal.SIGSYS])
def test_wording_of_a_real_wait_status(sig: signal.Signals) -> None:
    import resource

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file: no core flag
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        finally:
            os._exit(99)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and not os.WCOREDUMP(status)
    assert _controller.termination(status) == f"signal: {GO_SIGNALS[int(sig)]}"
