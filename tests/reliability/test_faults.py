"""Faults in our own machinery: each becomes an AWS-shaped error for the invocation it hits
(or none at all when Lambda would not show one), the next invocation works, nothing hangs and
nothing is left behind.

What each fault gives (decided here; lambda-behavior.md sections 3.4, 3.5 and 5):

- an environment SIGKILLed from outside during an invocation: ``Runtime.ExitError``
  ``RequestId: <id> Error: Runtime exited with error: signal: killed`` (RIE's wording for a
  runtime killed by SIGKILL); the environment is reset, the next invocation is a cold start;
- an environment (or a spare) SIGKILLed while idle: no error at all: in Lambda an environment
  that is gone between requests is simply replaced, so the next invocation is a cold start;
- the zygote SIGKILLed (idle or during an invocation): no error: running environments do not
  depend on it; the next cold start starts a new zygote;
- a malformed frame on the result pipe (the runtime broke its API): the platform cannot trust
  the runtime any more and kills it: ``Runtime.ExitError`` ``... signal: killed``;
- the result pipe closed early (the runtime lost its Runtime API connection): the request ends
  with the runtime: its exit status (``exit status 1``) if it exits, ``Sandbox.Timedout`` at
  the deadline if it does not (as a runtime that never posts a response does in Lambda);
- half a frame, then nothing: ``Sandbox.Timedout``;
- the host disk behind a sparse /tmp image full (the handler's writes "succeed", the data never
  reaches the disk): ``Runtime.Unknown`` ``RequestId: <id> Error: pytest-lambda: the handler's
  writes to /tmp were lost (...)`` naming the directory and the fix; while a disk is nearly
  full the runtime syncs /tmp after each request, which is how the loss is seen. The
  environment and its image are discarded; the next invocation is a cold start on a new /tmp.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_lambda import Invocation, LambdaFunction
from pytest_lambda.invoke import _controller, _sandbox, _spares

from .test_leftovers import (
    Snapshot,
    assert_nothing_left,
    descendants,
    private_tmp,
    release_infrastructure,
    snapshot,
)

__all__ = ["private_tmp"]  # the fixture, imported for use here

FAULTS = Path(__file__).resolve().parents[2] / "fixtures" / "handlers" / "faults"
REQUEST_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def nothing_left(private_tmp: str) -> Iterator[Snapshot]:
    before = snapshot(private_tmp)
    yield before
    assert_nothing_left(before, private_tmp)


def faults(handler: str, **settings: object) -> LambdaFunction:
    settings.setdefault("timeout", 5)
    return LambdaFunction(f"{handler}.handler", code_dir=FAULTS, **settings)  # type: ignore[arg-type]


def assert_platform_error(inv: Invocation, error_type: str, reason: str) -> None:
    """Lambda's two-key platform error, and the REPORT line's status for it."""
    message = f"RequestId: {inv.request_id} Error: {reason}"
    assert inv.status_code == 200
    assert inv.function_error == "Unhandled"
    assert inv.error_type == error_type
    assert inv.error_message == message
    assert inv.payload == {"errorMessage": message, "errorType": error_type}
    assert list(inv.payload) == ["errorMessage", "errorType"]
    report = [line for line in inv.logs.splitlines() if line.startswith("REPORT RequestId:")]
    assert len(report) == 1, inv.logs
    assert report[0].startswith(f"REPORT RequestId: {inv.request_id}\t")
    if error_type == "Sandbox.Timedout":
        assert report[0].endswith("\tStatus: timeout\t"), report[0]
    else:
        assert report[0].endswith(f"\tStatus: error\tError Type: {error_type}\t"), report[0]
    assert f"END RequestId: {inv.request_id}\n" in inv.logs


def env_pid(fn: LambdaFunction) -> int:
    """The host pid of the function's one environment (the process the parent watches; the
    handler's own ``os.getpid()`` may be a PID-namespace pid, useless from outside)."""
    pids = [env.pid for env in (*fn._idle, *fn._busy)]
    assert len(pids) == 1, pids
    return pids[0]


def assert_healthy(fn: LambdaFunction, *, cold: bool | None = None) -> int:
    """The next invocation works; returns its environment's host pid."""
    inv = fn.invoke({})
    assert inv.ok, inv.payload
    assert re.fullmatch(REQUEST_ID, inv.request_id)
    if cold is not None:
        assert inv.cold_start is cold
    return env_pid(fn)


def gone(pid: int, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                    time.sleep(0.02)
                    continue
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.02)
    return False


# ----------------------------------------------------------------------------------------
# Environments killed from outside
# ----------------------------------------------------------------------------------------


def test_environment_killed_during_an_invocation(nothing_left: Snapshot) -> None:
    with faults("pid_then_sleep", timeout=30) as fn:
        pid = assert_healthy(fn, cold=True)
        killer = threading.Timer(0.5, lambda: os.kill(env_pid(fn), signal.SIGKILL))
        killer.start()
        started = time.monotonic()
        inv = fn.invoke({"seconds": 20})
        killer.join()
        assert time.monotonic() - started < 5  # not the handler's 20 s, not the timeout
        assert_platform_error(inv, "Runtime.ExitError", "Runtime exited with error: signal: killed")
        assert inv.report is not None and 400 < inv.report.duration_ms < 5000
        assert gone(pid)
        assert assert_healthy(fn, cold=True) != pid


def test_environment_killed_while_idle_is_replaced_by_a_cold_start(
    nothing_left: Snapshot,
) -> None:
    with faults("pid_then_sleep") as fn:
        pid = assert_healthy(fn, cold=True)
        assert assert_healthy(fn, cold=False) == pid
        os.kill(pid, signal.SIGKILL)
        assert gone(pid)
        replacement = assert_healthy(fn, cold=True)  # no error: Lambda just makes a new one
        assert replacement != pid
        assert assert_healthy(fn, cold=False) == replacement
        assert len(fn.invocations) == 4
        assert all(inv.ok for inv in fn.invocations)


def test_spare_environment_killed_while_idle(nothing_left: Snapshot) -> None:
    with faults("pid_then_sleep") as first:
        assert_healthy(first)
    if not _spares.enabled(first.mechanisms):
        pytest.skip(f"no spare environments on this machine ({first.mechanisms.describe()})")
    deadline = time.monotonic() + 10
    while not [s for s in _spares.POOL.spares() if s.ready(0.1)]:
        assert time.monotonic() < deadline, "no spare was made"
    # No function is open: every process below the zygote is a spare.
    victims = sorted(descendants(_controller.zygote().process.pid))
    assert victims
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    for pid in victims:
        assert gone(pid)
    with faults("pid_then_sleep") as fn:
        pid = assert_healthy(fn, cold=True)
        assert pid not in victims
        assert assert_healthy(fn, cold=False) == pid


def _kill_zygote() -> int:
    zygote = _controller.zygote()
    pid = zygote.process.pid
    os.kill(pid, signal.SIGKILL)
    zygote.process.wait(timeout=5)
    return pid


def test_zygote_killed_while_idle(nothing_left: Snapshot) -> None:
    with faults("pid_then_sleep") as fn:
        pid = assert_healthy(fn, cold=True)
        old = _kill_zygote()
        # Running environments do not need the zygote: the warm one still serves.
        assert assert_healthy(fn, cold=False) == pid
        with faults("pid_then_sleep") as other:  # a cold start gets a new zygote
            assert_healthy(other, cold=True)
            assert _controller.zygote().process.pid != old
    # Closing environments of the dead zygote works (and `nothing_left` checks they are gone).
    assert gone(pid)


def test_zygote_killed_during_an_invocation(nothing_left: Snapshot) -> None:
    with faults("pid_then_sleep") as fn:
        pid = assert_healthy(fn, cold=True)
        killer = threading.Thread(target=lambda: (time.sleep(0.3), _kill_zygote()))
        killer.start()
        inv = fn.invoke({"seconds": 1})
        killer.join()
        assert inv.ok, inv.payload
        assert inv.payload["slept"] == 1
        assert assert_healthy(fn, cold=False) == pid
        # An environment lost after its zygote died is still classified and replaced.
        os.kill(pid, signal.SIGKILL)
        assert gone(pid)
        assert assert_healthy(fn, cold=True) != pid
    assert gone(pid)


# ----------------------------------------------------------------------------------------
# The runtime breaking the protocol
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["garbage", "bad_lengths"])
def test_malformed_frame_kills_the_runtime(nothing_left: Snapshot, mode: str) -> None:
    with faults("break_protocol") as fn:
        pid = assert_healthy(fn, cold=True)
        started = time.monotonic()
        inv = fn.invoke({"mode": mode})
        assert time.monotonic() - started < 3
        assert_platform_error(inv, "Runtime.ExitError", "Runtime exited with error: signal: killed")
        assert gone(pid)
        assert assert_healthy(fn, cold=True) != pid


def test_result_pipe_closed_then_runtime_exits(nothing_left: Snapshot) -> None:
    with faults("break_protocol") as fn:
        pid = assert_healthy(fn, cold=True)
        inv = fn.invoke({"mode": "close_result"})
        # The runtime's own write fails and it exits 1: that status is the error.
        assert_platform_error(inv, "Runtime.ExitError", "Runtime exited with error: exit status 1")
        assert gone(pid)
        assert assert_healthy(fn, cold=True) != pid


@pytest.mark.parametrize("mode", ["close_and_hang", "truncated"])
def test_runtime_that_can_no_longer_answer_times_out(nothing_left: Snapshot, mode: str) -> None:
    with faults("break_protocol", timeout=1) as fn:
        pid = assert_healthy(fn, cold=True)
        started = time.monotonic()
        inv = fn.invoke({"mode": mode, "seconds": 60})
        assert 0.9 < time.monotonic() - started < 3
        assert_platform_error(inv, "Sandbox.Timedout", "Task timed out after 1.00 seconds")
        assert gone(pid)
        assert assert_healthy(fn, cold=True) != pid


# ----------------------------------------------------------------------------------------
# A full disk under /tmp
# ----------------------------------------------------------------------------------------

MECH = _sandbox.detect()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[str]:
    """A 40 MB ext4 disk mounted at a fresh directory, where functions put their storage."""
    if MECH.tmp_backend != "ext4-loop" or os.geteuid() != 0:
        pytest.skip("needs root, loop devices and mkfs.ext4 (the /tmp image mechanism)")
    image, mountpoint = tmp_path / "disk.img", tmp_path / "disk"
    mountpoint.mkdir()
    with open(image, "wb") as f:
        f.truncate(40 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mountpoint)], check=True)
    saved = tempfile.tempdir
    tempfile.tempdir = str(mountpoint)
    try:
        yield str(mountpoint)
    finally:
        tempfile.tempdir = saved
        _spares.release_spares()
        subprocess.run(["umount", str(mountpoint)], check=False)


def test_full_disk_under_tmp_fails_the_request_instead_of_losing_data(
    small_disk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every image on the small disk: no spare environments, no spare images (/var/tmp).
    monkeypatch.setenv("PYTEST_LAMBDA_SPARES", "0")
    release_infrastructure()
    monkeypatch.setattr(_sandbox, "_refill", lambda tmp_mb: None)
    with faults("fill_tmp", timeout=30) as fn:
        # 10 MB fit: the disk is tight (a 512 MB /tmp on 40 MB), the sync finds nothing lost.
        small = fn.invoke({"mb": 10})
        assert small.ok and small.payload == {"written_mb": 10, "size": 10 << 20}
        assert fn.invoke({"read": True}).payload == {"size": 10 << 20, "intact": True}
        pid = env_pid(fn)
        (env,) = fn._idle
        assert env._image is not None
        assert os.path.realpath(env._image).startswith(small_disk + os.sep)
        # 60 MB do not: without the sync this returned success and the data was gone.
        lost = fn.invoke({"mb": 60})
        reason = (
            "pytest-lambda: the handler's writes to /tmp were lost "
            f"({os.strerror(5)}): the disk behind this environment's /tmp image ("
        )
        assert lost.error_message is not None and reason in lost.error_message, lost.payload
        assert small_disk in lost.error_message and "is full" in lost.error_message
        assert "free space there, lower ephemeral_storage" in lost.error_message
        assert_platform_error(lost, "Runtime.Unknown", lost.error_message.split(" Error: ", 1)[1])
        assert gone(pid)
        # The next environment starts from a new, empty /tmp that works.
        again = fn.invoke({"read": True})
        assert again.cold_start and again.payload == {"error": "No such file or directory"}
        assert fn.invoke({"mb": 5}).payload == {"written_mb": 5, "size": 5 << 20}
    # Closed: no image, no directory of ours left on the disk.
    assert sorted(os.listdir(small_disk)) == ["lost+found"]


def test_roomy_disk_costs_no_sync(tmp_path: Path) -> None:
    if MECH.tmp_backend != "ext4-loop":
        pytest.skip("needs the /tmp image mechanism")
    with faults("fill_tmp", ephemeral_storage=512) as fn:
        assert fn.invoke({"mb": 1}).ok
        (env,) = fn._idle
        grow, free = _sandbox.image_headroom(env._image)
        assert 500 << 20 < grow < 600 << 20
        assert env._disk_tight() is (free < grow + _controller._DISK_MARGIN)
