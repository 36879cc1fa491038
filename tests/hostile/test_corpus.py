"""The hostile handler corpus (``fixtures/handlers/hostile/``, see its README).

Each case runs one hostile handler in process isolation (the default) with small limits
(``timeout=1``, ``memory=128``, ``ephemeral_storage=512`` unless the case says otherwise) and
asserts:

- the exact AWS-shaped outcome: status code, ``FunctionError``, ``errorType``,
  ``errorMessage`` (with the request id), the payload's keys and the REPORT line's status;
- the time bound: every invocation ends within its timeout + 2 s (measured on a monotonic
  clock in the test process);
- the test process is healthy afterwards: the next invocation of the same function works, and
  is cold after a timeout, an out-of-memory kill or a crash, warm otherwise (as in Lambda);
- nothing is left after ``close()``: every process the handler recorded (the environment and
  its children, by pid and start time), its cgroups, its mount namespace and the function's
  temporary directory are gone.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_lambda import LambdaFunction
from pytest_lambda.invoke import Invocation, _controller, _sandbox

CODE_DIR = str(Path(__file__).resolve().parents[2] / "fixtures" / "handlers" / "hostile")
MARK = "HOSTILE-RECORD "
MARGIN_S = 2.0
RESPONSE_LIMIT = 6_291_556

MECH = _sandbox.detect()
WHY = "; ".join(MECH.notes) or "not available on this machine"
#: RSS polling (no memory cgroup, e.g. without root) looks every ``_controller._POLL_S`` (5 ms)
#: and kills at the first look over the limit: a handler that grows slowly overshoots a few MB.
RSS_OVERSHOOT_MB = 8


def fast_overshoot_mb() -> int:
    """What RSS polling may overshoot by for one touched allocation, which grows at the
    machine's page-fault rate (measured here, on 64 MB): the kill comes up to a few polling
    periods after the crossing (seen: 9-12 MB at 1.5 GB/s, 1.5 periods). Four periods."""
    rate = 0.0
    for _ in range(2):
        started = time.perf_counter()
        blob = b"x" * (64 * 1024 * 1024)
        rate = max(rate, 64 / (time.perf_counter() - started))  # MB/s
        del blob
    return max(RSS_OVERSHOOT_MB, math.ceil(rate * 4 * _controller._POLL_S))


REPORT_RE = re.compile(
    r"^REPORT RequestId: (?P<id>\S+)\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\t"
    r"Memory Size: (?P<size>\d+) MB\tMax Memory Used: (?P<used>\d+) MB\t"
    r"(?:Init Duration: \d+\.\d{2} ms\t)?"
    r"(?P<status>Status: timeout\t|Status: error\tError Type: (?P<error_type>[\w.]+)\t)?$",
    re.M,
)


# ----------------------------------------------------------------------------------------
# Outcomes
# ----------------------------------------------------------------------------------------


def report_status(inv: Invocation) -> str | None:
    matches = list(REPORT_RE.finditer(inv.logs))
    assert len(matches) == 1, inv.logs[-2000:]
    assert matches[0]["id"] == inv.request_id
    return matches[0]["status"]


def platform_error(error_type: str, reason: str) -> Callable[[Invocation], None]:
    """Timeout, out of memory, crash: two keys, errorMessage first, the request id inside."""

    def check(inv: Invocation) -> None:
        message = f"RequestId: {inv.request_id} Error: {reason}"
        assert inv.status_code == 200
        assert inv.function_error == "Unhandled"
        assert (inv.error_type, inv.error_message) == (error_type, message)
        assert list(inv.payload) == ["errorMessage", "errorType"]
        assert inv.payload == {"errorMessage": message, "errorType": error_type}
        if error_type == "Sandbox.Timedout":
            assert report_status(inv) == "Status: timeout\t"
        else:
            assert report_status(inv) == f"Status: error\tError Type: {error_type}\t"

    return check


TIMEOUT = platform_error("Sandbox.Timedout", "Task timed out after 1.00 seconds")
OOM = platform_error("Runtime.OutOfMemory", "Runtime exited with error: signal: killed")


def exit_error(reason: str) -> Callable[[Invocation], None]:
    return platform_error("Runtime.ExitError", reason)


def handler_error(error_type: str, message: str) -> Callable[[Invocation], None]:
    """An exception the runtime caught: four keys, the handler's frames in the trace."""

    def check(inv: Invocation) -> None:
        assert inv.status_code == 200
        assert inv.function_error == "Unhandled"
        assert inv.error_type == error_type
        assert inv.error_message is not None
        assert re.fullmatch(message, inv.error_message), inv.error_message
        assert list(inv.payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
        assert inv.payload["requestId"] == inv.request_id
        assert any(CODE_DIR in entry for entry in inv.payload["stackTrace"])
        assert report_status(inv) == "Status: error\tError Type: Runtime.Unknown\t"

    return check


def too_large(size: int) -> Callable[[Invocation], None]:
    def check(inv: Invocation) -> None:
        message = (
            f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
            f"({RESPONSE_LIMIT} bytes)."
        )
        assert inv.status_code == 200
        assert inv.function_error == "Unhandled"
        assert inv.payload == {
            "errorMessage": message,
            "errorType": "Function.ResponseSizeTooLarge",
        }
        assert list(inv.payload) == ["errorMessage", "errorType"]
        assert report_status(inv) == "Status: error\tError Type: Function.ResponseSizeTooLarge\t"

    return check


def success(expected: Any = None, **checks: Callable[[Any], bool]) -> Callable[[Invocation], None]:
    def check(inv: Invocation) -> None:
        assert inv.status_code == 200
        assert inv.function_error is None, inv.payload
        assert inv.error_type is None
        if checks:
            for key, predicate in checks.items():
                assert predicate(inv.payload[key]), (key, inv.payload)
        else:
            assert inv.payload == expected
        assert report_status(inv) is None

    return check


# ----------------------------------------------------------------------------------------
# Follow-up checks for some cases
# ----------------------------------------------------------------------------------------


def huge_logs_kept(first: Invocation, after: Invocation) -> None:
    assert first.logs.count("z" * 1023 + "\n") == 20 * 1024
    assert "z" * 1023 not in after.logs


def daemon_keeps_printing(first: Invocation, after: Invocation) -> None:
    # The thread is frozen between invocations and thawed with the next one: whatever it
    # prints then stays inside that invocation's START ... REPORT.
    assert after.logs.startswith(f"START RequestId: {after.request_id}")
    assert after.logs.rstrip("\n").rsplit("\n", 1)[-1].startswith("REPORT RequestId:")


def cwd_and_env_persist(first: Invocation, after: Invocation) -> None:
    assert first.payload == {"before": {"cwd": CODE_DIR, "HOSTILE": None}}
    assert after.payload == {"before": {"cwd": "/", "HOSTILE": "yes"}}


def tmp_file_survives(first: Invocation, after: Invocation) -> None:
    assert after.payload["tmp_files"] >= 1  # a handled error keeps the environment and /tmp


def other_paths_read_only(first: Invocation, after: Invocation) -> None:
    assert set(after.payload["errnos"].values()) == {30}
    assert not os.path.exists(os.path.join(CODE_DIR, "x.txt"))


def redirected_output_lost(first: Invocation, after: Invocation) -> None:
    assert "swallowed" not in first.logs
    assert first.logs.startswith(("START", "INIT_START"))


def garbage_not_in_logs(first: Invocation, after: Invocation) -> None:
    assert f"START RequestId: {first.request_id}" in first.logs


# ----------------------------------------------------------------------------------------
# The corpus
# ----------------------------------------------------------------------------------------

needs_tmp_size = pytest.mark.skipif(
    not MECH.tmp_size_enforced, reason=f"needs a size-limited private /tmp: {WHY}"
)
needs_read_only_root = pytest.mark.skipif(
    not MECH.read_only_root, reason=f"needs a mount namespace for a read-only root: {WHY}"
)
needs_pids_cgroup = pytest.mark.skipif(
    MECH.pids == "none", reason=f"needs a pids cgroup (1,024 processes/threads): {WHY}"
)


@dataclass(frozen=True)
class Case:
    name: str
    outcome: Callable[[Invocation], None]
    reset: bool  # the next invocation is a cold start (environment reset)
    event: dict[str, Any] = field(default_factory=dict)
    timeout: int = 1
    memory: int = 128
    follow_up: Callable[[Invocation, Invocation], None] | None = None
    marks: tuple[Any, ...] = ()
    probe: dict[str, Any] = field(default_factory=lambda: {"probe": True})
    #: Memory grows at the page-fault rate (one touched allocation): see fast_overshoot_mb.
    fast_growth: bool = False


CASES = [
    # timeouts: the parent's SIGKILL of the whole environment, whatever the handler does
    Case("busy_loop_python", TIMEOUT, reset=True),
    Case("busy_loop_c", TIMEOUT, reset=True),
    Case("sleep_in_c", TIMEOUT, reset=True),
    Case("ignore_sigterm", TIMEOUT, reset=True),
    Case("catch_base_exception", TIMEOUT, reset=True),
    # memory
    Case("memory_bomb_fast", OOM, reset=True, timeout=3, fast_growth=True),
    Case("memory_bomb_slow", OOM, reset=True, timeout=3),
    # /tmp and the read-only file system
    Case(
        "tmp_one_huge_file",
        handler_error("OSError", re.escape("[Errno 28] No space left on device")),
        reset=False,
        timeout=10,
        follow_up=tmp_file_survives,
        marks=(needs_tmp_size,),
    ),
    Case(
        "tmp_many_small_files",
        handler_error("OSError", re.escape("[Errno 28] No space left on device")),
        reset=False,
        timeout=10,
        follow_up=tmp_file_survives,
        marks=(needs_tmp_size,),
    ),
    Case(
        "write_outside_tmp",
        handler_error(
            "OSError", re.escape(f"[Errno 30] Read-only file system: '{CODE_DIR}/x.txt'")
        ),
        reset=False,
        follow_up=other_paths_read_only,
        marks=(needs_read_only_root,),
    ),
    # processes, threads, file descriptors
    Case(
        "fork_bomb",
        success(forked=lambda n: 900 < n < 1024, errno=lambda e: e == 11),
        reset=False,
        timeout=10,
        # each forked Python child costs ~0.9 MB (page tables, copied pages): at 128 MB the
        # fork bomb is an out-of-memory kill first, as it would be in Lambda
        memory=2048,
        marks=(needs_pids_cgroup,),
    ),
    Case(
        "thread_bomb",
        success(started=lambda n: 900 < n < 1024, error=lambda e: e == "can't start new thread"),
        reset=False,
        timeout=10,
        marks=(needs_pids_cgroup,),
    ),
    Case(
        "open_files",
        success(
            opened=lambda n: 1000 < n < 1024,
            errno=lambda e: e == 24,
            highest_fd=lambda f: f == 1023,
        ),
        reset=False,
    ),
    # the runtime process ends
    Case("os_exit", exit_error("Runtime exited with error: exit status 3"), reset=True),
    Case("os_abort", exit_error("Runtime exited with error: signal: aborted"), reset=True),
    Case(
        "segfault", exit_error("Runtime exited with error: signal: segmentation fault"), reset=True
    ),
    Case("sys_exit_zero", exit_error("Runtime exited without providing a reason"), reset=True),
    Case("sys_exit_code", exit_error("Runtime exited with error: exit status 7"), reset=True),
    Case(
        "str_raises_exception", exit_error("Runtime exited with error: exit status 1"), reset=True
    ),
    # the runtime's own channels
    Case("close_stdio", success("closed"), reset=False),
    Case("redirect_stdio", success("redirected"), reset=False, follow_up=redirected_output_lost),
    Case(
        "garbage_to_fds",
        exit_error("Runtime exited with error: signal: killed"),
        reset=True,
        follow_up=garbage_not_in_logs,
    ),
    Case("huge_log_output", success({"mb": 20}), reset=False, timeout=10, follow_up=huge_logs_kept),
    # results and exceptions
    Case(
        "unicode_result",
        success(
            {"greek": "αβγ", "cjk": "漢字", "emoji": "🐍🚀", "nul": "a\x00b", "rtl": "\u202eabc"}
        ),
        reset=False,
    ),
    Case("binary_result", success(b"\x00\xff\xfe\x80binary" + bytes(range(256))), reset=False),
    Case(
        "deep_recursion",
        handler_error("RecursionError", r"maximum recursion depth exceeded.*"),
        reset=False,
        timeout=3,
    ),
    Case(
        "non_picklable_exception",
        handler_error("CarriesCallableError", "cannot be pickled"),
        reset=False,
    ),
    Case("escaped_result_too_large", too_large(2 * 3_670_016 + 2), reset=False),
    Case("control_chars_result_too_large", too_large(6 * 1_100_000 + 2), reset=False),
    # what outlives the handler, and what it changes
    Case(
        "daemon_thread_outlives",
        success("returned"),
        reset=False,
        follow_up=daemon_keeps_printing,
    ),
    Case(
        "child_outlives",
        success(children=lambda pids: len(pids) == 2 and all(pid > 0 for pid in pids)),
        reset=False,
        timeout=3,
    ),
    Case(
        "changes_cwd_and_env",
        success({"before": {"cwd": CODE_DIR, "HOSTILE": None}}),
        reset=False,
        follow_up=cwd_and_env_persist,
        probe={},
    ),
    Case("monkeypatch_json", success({"a": 1}), reset=False),
    Case("monkeypatch_sys_modules", success({"b": 2}), reset=False),
]


# ----------------------------------------------------------------------------------------
# Leftovers
# ----------------------------------------------------------------------------------------


def _start_time(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in ("Z", "X"):  # a zombie or dead task: no longer runs
        return None
    return int(fields[19])


def _records(invocations: list[Invocation]) -> list[dict[str, Any]]:
    found = []
    for inv in invocations:
        for line in inv.logs.splitlines():
            if line.startswith(MARK):
                found.append(json.loads(line[len(MARK) :]))
    return found


def _cgroup_dirs(lines: list[str]) -> list[str]:
    """Directories of the cgroups in ``lines`` (``/proc/<pid>/cgroup``) other than ours."""
    with open("/proc/self/cgroup") as own_file:
        own = {line.split(":", 2)[1]: line.split(":", 2)[2] for line in own_file.read().split()}
    mounts = []
    with open("/proc/self/mountinfo") as info:
        for row in info:
            left, right = row.split(" - ", 1)
            fstype, _source, options = right.split()[:3]
            if fstype in ("cgroup", "cgroup2"):
                parts = left.split()
                mounts.append((fstype, set(options.split(",")), parts[3], parts[4]))
    dirs = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if path in ("/", own.get(controllers)):
            continue
        wanted = set(controllers.split(",")) if controllers else set()
        for fstype, options, root, point in mounts:
            if (not wanted and fstype == "cgroup2") or (wanted and wanted <= options):
                if path.startswith(root):
                    dirs.append(point + "/" + path[len(root) :].lstrip("/"))
                break
    return dirs


def uptime_ticks() -> int:
    with open("/proc/uptime") as uptime:
        return int(float(uptime.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _is_zygote(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"pytest_lambda.invoke._zygote" in cmdline.read()
    except OSError:
        return False


def _processes_in_namespace(ns: str, started_before: int, ours: set[int]) -> list[int]:
    """Processes of ours still in mount namespace ``ns``. The kernel reuses a dead namespace's
    inode number, so a process in a namespace of the same number is not ours when it started
    after ``close()`` began (ticks since boot) or is another environment the zygote forked (a
    spare made ahead); our environment's own leftovers have our environment as parent or, once
    it died, init."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            if os.readlink(f"/proc/{entry}/ns/mnt") != ns:
                continue
        except OSError:
            continue
        start, parent = _start_time(pid), _parent(pid)
        if start is None or start >= started_before:
            continue
        if pid not in ours and parent not in ours and parent is not None and _is_zygote(parent):
            continue
        pids.append(pid)
    return pids


def assert_nothing_left(fn: LambdaFunction, invocations: list[Invocation], closed_at: int) -> None:
    records = _records(invocations)
    assert records, "no HOSTILE-RECORD line: the handler did not report its processes"
    processes = {(pid, start) for record in records for pid, start in record["pids"]}
    cgroups = {d for record in records for d in _cgroup_dirs(record["cgroups"])}
    own_ns = os.readlink("/proc/self/ns/mnt")
    namespaces = {record["mntns"] for record in records} - {own_ns}
    deadline = time.monotonic() + 3
    while True:
        alive = sorted(p for p, start in processes if start and _start_time(p) == start)
        groups = sorted(d for d in cgroups if os.path.isdir(d))
        ours = {pid for pid, _ in processes}
        spaces = {ns: _processes_in_namespace(ns, closed_at, ours) for ns in namespaces}
        spaces = {ns: pids for ns, pids in spaces.items() if pids}
        if (not alive and not groups and not spaces) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert alive == [], f"processes outlived close(): {alive}"
    assert groups == [], f"cgroups outlived close(): {groups}"
    assert spaces == {}, f"mount namespaces still in use after close(): {spaces}"
    assert not os.path.exists(fn._tmp_root)


# ----------------------------------------------------------------------------------------
# The test
# ----------------------------------------------------------------------------------------


def timed_invoke(fn: LambdaFunction, event: dict[str, Any], timeout: int) -> Invocation:
    started = time.monotonic()
    inv = fn.invoke(event)
    elapsed = time.monotonic() - started
    assert elapsed < timeout + MARGIN_S, f"{elapsed:.2f} s for a {timeout} s timeout"
    return inv


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.name, marks=case.marks) for case in CASES]
)
def test_hostile_handler(case: Case) -> None:
    fn = LambdaFunction(
        f"{case.name}.handler",
        code_dir=CODE_DIR,
        timeout=case.timeout,
        memory=case.memory,
        ephemeral_storage=512,
    )
    invocations: list[Invocation] = []
    try:
        first = timed_invoke(fn, case.event, case.timeout)
        invocations.append(first)
        assert first.cold_start
        case.outcome(first)
        if first.error_type != "Sandbox.Timedout":
            assert first.report is not None
            # a memory cgroup measures exactly; RSS polling (no root) overshoots
            overshoot = 0
            if MECH.memory == "rss-poll":
                overshoot = fast_overshoot_mb() if case.fast_growth else RSS_OVERSHOOT_MB
            assert first.report.max_memory_used_mb <= case.memory + overshoot
        after = timed_invoke(fn, case.probe, case.timeout)
        invocations.append(after)
        assert after.status_code == 200
        assert after.function_error is None, after.payload
        assert after.cold_start is case.reset
        if "probe" in case.probe:
            assert after.payload["alive"] is True
        assert report_status(after) is None
        if case.follow_up is not None:
            case.follow_up(first, after)
    finally:
        closed_at = uptime_ticks()
        fn.close()
    assert_nothing_left(fn, invocations, closed_at)


def test_corpus_is_complete() -> None:
    """Every module of the corpus is a case, has a docstring and a README row."""
    modules = {p.stem for p in Path(CODE_DIR).glob("*.py") if not p.stem.startswith("_")}
    tested = {case.name for case in CASES}
    readme = (Path(CODE_DIR) / "README.md").read_text()
    assert modules == tested
    assert len(tested) >= 30
    for name in modules:
        source = (Path(CODE_DIR) / f"{name}.py").read_text()
        assert source.startswith('"""'), name
        assert f"`{name}.py`" in readme, name
