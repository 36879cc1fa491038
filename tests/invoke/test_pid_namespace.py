"""The handler's PID namespace: it sees and can signal only its own environment's processes.

Without one, a handler could ``os.kill`` the test process (as root even ``os.kill(-1, 9)``)
and list every process of the machine in /proc. Lambda's handler sees only its sandbox. Each
test asserts the AWS-shaped outcome, that the environment still works afterwards, and that
nothing of it is left after ``close()``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_lambda import LambdaFunction
from pytest_lambda.invoke import Invocation, _sandbox

CODE_DIR = str(Path(__file__).resolve().parents[2] / "fixtures" / "handlers" / "pidns")
MECH = _sandbox.detect()

pytestmark = pytest.mark.skipif(
    not MECH.pid_namespace,
    reason=f"no PID namespace here ({MECH.describe()}): {'; '.join(MECH.notes)}",
)


def lam(**settings: Any) -> LambdaFunction:
    settings.setdefault("timeout", 3)
    return LambdaFunction("processes.handler", code_dir=CODE_DIR, **settings)


def namespace_members(pid_ns: str) -> list[int]:
    """Host pids of the processes in PID namespace ``pid_ns`` (``pid:[inode]``)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == pid_ns:
                    members.append(int(entry))
            except OSError:
                continue
    return members


def alive(pids: list[int]) -> list[int]:
    left = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        left.append(pid)
    return left


def wait_gone(pids: list[int], seconds: float = 3.0) -> list[int]:
    """``pids`` (host pids, taken while the environment was open) still alive after
    ``seconds``. Namespace inode numbers are reused at once, so pids are what is checked."""
    deadline = time.monotonic() + seconds
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


def assert_sandboxed(inv: Invocation) -> None:
    assert inv.ok, inv.payload
    assert inv.status_code == 200 and inv.function_error is None
    # The runtime is pid 2 under the namespace's pid 1, which only waits.
    assert (inv.payload["pid"], inv.payload["ppid"]) == (2, 1)
    assert inv.payload["pid_ns"] != os.readlink("/proc/self/ns/pid")


def test_handler_cannot_see_or_signal_the_test_process() -> None:
    me = os.getpid()
    with lam() as fn:
        inv = fn.invoke({"signal_pid": me, "signal": 0})
        # The test process is not there, whatever its pid: signal 0 and SIGKILL both fail.
        killed = fn.invoke({"signal_pid": me, "signal": int(signal.SIGKILL)})
        after = fn.invoke({})
        pid_ns = inv.payload["pid_ns"]
        members = namespace_members(pid_ns)
        assert len(members) == 2 and me not in members
    assert_sandboxed(inv)
    if me not in (1, 2):
        assert inv.payload["signal"] == "ProcessLookupError"
        assert killed.payload["signal"] == "ProcessLookupError"
    assert inv.payload["proc"] == [1, 2]  # only the environment's own processes
    assert_sandboxed(after)
    assert not after.cold_start  # the same environment served all three
    assert after.payload["pid_ns"] == pid_ns
    os.kill(me, 0)
    assert wait_gone(members) == []


def test_kill_all_and_killing_pid_1_reach_nothing() -> None:
    with lam() as fn:
        everything = fn.invoke({"kill_all": True})
        init = fn.invoke({"signal_pid": 1, "signal": int(signal.SIGKILL)})
        after = fn.invoke({})
        members = namespace_members(after.payload["pid_ns"])
        assert len(members) == 2
    assert_sandboxed(everything)
    # kill(-1) skips the caller and the namespace's init: nobody else exists to be killed.
    assert everything.payload["kill_all"] == 3  # ESRCH
    assert_sandboxed(init)
    assert init.payload["signal"] == "sent"  # delivered, and ignored by pid 1
    assert_sandboxed(after)
    assert not after.cold_start
    assert wait_gone(members) == []


def test_daemon_that_leaves_the_session_dies_with_the_environment() -> None:
    with lam() as fn:
        inv = fn.invoke({"daemon": True})
        again = fn.invoke({})
        pid_ns = inv.payload["pid_ns"]
        daemon = inv.payload["daemon"]
        assert again.payload["proc"] == [1, 2, daemon]  # still running, visible inside only
        members = namespace_members(pid_ns)
        assert len(members) == 3
        # The daemon left the environment's process group and session.
        assert len({os.getpgid(pid) for pid in members}) == 2
    assert_sandboxed(inv)
    assert_sandboxed(again)
    assert not again.cold_start
    assert wait_gone(members) == []


@pytest.mark.parametrize(
    ("sig", "reason"),
    [
        (signal.SIGTERM, "signal: terminated"),
        (signal.SIGKILL, "signal: killed"),
        (signal.SIGSEGV, "signal: segmentation fault"),
        (signal.SIGABRT, "signal: aborted"),
        (signal.SIGUSR1, "signal: user defined signal 1"),
    ],
)
def test_runtime_killed_by_a_signal_is_reported_as_that_signal(sig: int, reason: str) -> None:
    with lam() as fn:
        first = fn.invoke({})
        members = namespace_members(first.payload["pid_ns"])
        inv = fn.invoke({"die": int(sig)})
        dead = wait_gone(members)
        after = fn.invoke({})
        members_after = namespace_members(after.payload["pid_ns"])
    message = f"RequestId: {inv.request_id} Error: Runtime exited with error: {reason}"
    assert inv.status_code == 200
    assert inv.function_error == "Unhandled"
    assert inv.payload == {"errorMessage": message, "errorType": "Runtime.ExitError"}
    assert "Status: error\tError Type: Runtime.ExitError" in inv.logs
    assert_sandboxed(after)
    assert after.cold_start  # a fresh environment, in a fresh namespace
    assert len(members) == 2 and dead == []  # pid 1 went with the runtime
    assert len(members_after) == 2 and not set(members_after) & set(members)
    assert wait_gone(members_after) == []


def test_rss_polling_counts_the_runtime_not_the_waiting_processes() -> None:
    with lam() as fn:
        inv = fn.invoke({})
        members = namespace_members(inv.payload["pid_ns"])
        runtime = next(p for p in members if _sandbox._ns_pids(p)[-1] == "2")
        init = next(p for p in members if _sandbox._ns_pids(p)[-1] == "1")
        environment = os.getpgid(runtime)
        assert os.getpgid(init) == environment and environment not in members
        with open(f"/proc/{runtime}/stat") as f:
            rss = int(f.read().rsplit(")", 1)[1].split()[21]) * os.sysconf("SC_PAGE_SIZE")
        measured = _sandbox.group_rss_mb(environment)
        group = _sandbox.group_pids(environment)
    assert_sandboxed(inv)
    # The two waiting processes share the zygote's pages: counting them would double or
    # triple the figure. Only the runtime is counted (within a page or two of churn).
    assert measured == pytest.approx(rss / _sandbox.MIB, abs=0.5)
    assert group == sorted([environment, init, runtime])
    assert wait_gone(group) == []


def test_override_pid_host_switches_it_off() -> None:
    off = _sandbox.apply_override(MECH, "pid=host")
    assert not off.pid_namespace
    assert MECH.describe().endswith(" pid=namespace")
    assert not off.describe().endswith("pid=namespace")
    assert _sandbox.apply_override(off, "pid=namespace").pid_namespace is False
    assert _sandbox.apply_override(MECH, "tmp=tmpdir,fs=rw").pid_namespace is False
    assert _sandbox.apply_override(MECH, "pid=namespace").pid_namespace
