"""The kernel mechanisms behind execution environments (``pytest_lambda.invoke._sandbox``).

Every behavioural test forks a child with ``os.fork`` (children leave with ``os._exit``) that
joins a cgroup and/or enters the sandbox, as an environment process does, and reports back as
JSON over a pipe. Waits have deadlines; a child that outlives one is SIGKILLed and the test
fails. Tests that need privileges skip with the privilege named; the fallbacks are tested by
forcing them, so they run everywhere.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

import pytest

from pytest_lambda.invoke import _sandbox as sb

MIB = 1 << 20
MECH = sb.detect(spec="")  # the strongest mechanisms this machine has, ignoring the env var
ROOT = os.geteuid() == 0
WHY = "; ".join(MECH.notes)

needs_root = pytest.mark.skipif(not ROOT, reason="needs root (to drop to an unprivileged uid)")
needs_memory_cgroup = pytest.mark.skipif(
    MECH.memory == "rss-poll",
    reason=f"needs a writable memory cgroup (root, cgroup v1 or v2 memory controller): {WHY}",
)
needs_pids_cgroup = pytest.mark.skipif(
    MECH.pids == "none", reason=f"needs a writable pids cgroup (root): {WHY}"
)
needs_mount_namespace = pytest.mark.skipif(
    not MECH.namespaces,
    reason=f"needs mount namespaces (CAP_SYS_ADMIN or unprivileged user namespaces): {WHY}",
)
needs_root_namespace = pytest.mark.skipif(
    not MECH.namespaces or MECH.user_namespace,
    reason=f"needs mount namespaces as root (CAP_SYS_ADMIN): {WHY}",
)
needs_loop_tmp = pytest.mark.skipif(
    MECH.tmp_backend != "ext4-loop",
    reason=f"needs root (CAP_SYS_ADMIN), /dev/loop-control and mkfs.ext4: {WHY}",
)


# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------


class Forked:
    """A forked child running ``body(self)``; it talks to the parent in JSON lines."""

    def __init__(self, body: Callable[[Forked], dict[str, Any] | None]) -> None:
        up_r, up_w = os.pipe()
        down_r, down_w = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(up_r)
            os.close(down_w)
            self._up, self._down = up_w, down_r
            code = 0
            try:
                self.send(body(self) or {})
            except BaseException:
                code = 70
                with contextlib.suppress(BaseException):
                    self.send({"child_traceback": traceback.format_exc()})
            finally:
                os._exit(code)
        os.close(up_w)
        os.close(down_r)
        self.pid = pid
        self._up, self._down = up_r, down_w
        self._buffer = b""
        self.status: int | None = None

    # child side
    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\n"
        while data:
            data = data[os.write(self._up, data) :]

    def wait_for_parent(self, timeout: float = 20.0) -> None:
        select.select([self._down], [], [], timeout)
        os.read(self._down, 1)

    # parent side
    def recv(self, timeout: float = 20.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                pytest.fail(f"child {self.pid} sent nothing within {timeout} s")
            ready, _, _ = select.select([self._up], [], [], remaining)
            if ready:
                chunk = os.read(self._up, 1 << 16)
                if not chunk:
                    return None
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        assert "child_traceback" not in message, message["child_traceback"]
        return message

    def go(self) -> None:
        os.write(self._down, b"g")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                break
            if time.monotonic() > deadline:
                self.kill()
                os.waitpid(self.pid, 0)
                pytest.fail(f"child {self.pid} still running after {timeout} s")
            time.sleep(0.002)
        for fd in (self._up, self._down):
            with contextlib.suppress(OSError):
                os.close(fd)
        return self.status

    def killed_by(self) -> int | None:
        assert self.status is not None
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else None


def run(body: Callable[[Forked], dict[str, Any] | None], timeout: float = 20.0) -> dict[str, Any]:
    """Run ``body`` in a child, return its result; the child must exit normally."""
    child = Forked(body)
    result = child.recv(timeout)
    status = child.wait(timeout)
    assert os.WIFEXITED(status), f"child died of signal {os.WTERMSIG(status)}"
    assert result is not None
    return result


def try_write(path: str) -> int | str:
    """Open ``path`` for writing (create if needed) and write one byte: "ok" or the errno."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError as exc:
        return exc.errno or -1
    try:
        os.write(fd, b"x")
    except OSError as exc:
        return exc.errno or -1
    finally:
        os.close(fd)
    return "ok"


def try_open_for_write(path: str) -> int | str:
    """Open an existing file for writing without writing to it: "ok" or the errno."""
    try:
        os.close(os.open(path, os.O_WRONLY))
    except OSError as exc:
        return exc.errno or -1
    return "ok"


def loop_backing_files() -> set[str]:
    found = set()
    for path in glob.glob("/sys/block/loop*/loop/backing_file"):
        with contextlib.suppress(OSError), open(path) as f:
            found.add(f.read().strip())
    return found


def our_cgroups() -> set[str]:
    probe = sb._get_probe()
    bases = {b[1] for b in (probe.memory_base, probe.pids_base) if b} | (
        {os.path.dirname(probe.v2_base)} if probe.v2_base else set()
    )
    mine = f"{sb.CGROUP_PREFIX}{sb.owner_tag()}"
    found = set()
    for base in bases:
        with contextlib.suppress(OSError):
            found |= {os.path.join(base, n) for n in os.listdir(base) if n.startswith(mine)}
    return found


def host_mounts() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return f.read().splitlines()


def is_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except OSError:
        return True


@pytest.fixture
def cgroups() -> Iterator[list[sb.Cgroup]]:
    made: list[sb.Cgroup] = []
    yield made
    for cgroup in made:
        cgroup.close()


@pytest.fixture
def env_dir(tmp_path: Any) -> Iterator[str]:
    path = str(tmp_path / "env")
    os.makedirs(path)
    yield path
    sb.remove_tmp_image(path)


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sb.ENV_VAR, raising=False)


def forced(spec: str) -> sb.Mechanisms:
    mechanisms = sb.apply_override(MECH, spec)
    return mechanisms


# ----------------------------------------------------------------------------------------
# Detection and overrides (everywhere)
# ----------------------------------------------------------------------------------------


def test_detect_never_raises_and_describes_itself_in_one_line() -> None:
    mechanisms = sb.detect()
    line = mechanisms.describe()
    assert "\n" not in line
    assert line.startswith(f"memory={mechanisms.memory} pids={mechanisms.pids} tmp=")
    fs = (
        "fs=read-only"
        if mechanisms.read_only_root
        else "fs=landlock(writes: /tmp, TMPDIR, /dev)"
        if mechanisms.landlock_fs
        else "fs=read-write"
    )
    pid = (
        " pid=namespace"
        if mechanisms.pid_namespace
        else f" pid=landlock-scoped(abi {mechanisms.landlock})"
        if mechanisms.landlock
        else ""
    )
    assert line.endswith(fs + pid)
    assert sb.detect() is sb.detect()  # cached


@needs_loop_tmp
@needs_memory_cgroup
@needs_pids_cgroup
def test_root_on_this_kind_of_machine_gets_the_strong_mechanisms() -> None:
    line = MECH.describe()
    assert line.startswith(f"memory={MECH.memory} pids={MECH.pids} ")
    assert "tmp=mount-namespace(ext4 loop) fs=read-only" in line
    assert MECH.tmp_size_enforced


def test_env_var_forces_weaker_mechanisms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sb.ENV_VAR, "memory=rss-poll, pids=none ,tmp=tmpdir,fs=rw")
    mechanisms = sb.detect()
    assert (mechanisms.memory, mechanisms.pids, mechanisms.tmp, mechanisms.read_only_root) == (
        "rss-poll",
        "none",
        "tmpdir",
        False,
    )
    abi = sb._landlock_abi()
    assert mechanisms.describe() == (
        "memory=rss-poll pids=none tmp=tmpdir(size polled) fs=read-write"
        + (f" pid=landlock-scoped(abi {abi})" if abi else "")
    )
    assert not mechanisms.tmp_size_enforced
    assert not mechanisms.namespaces
    assert any(sb.ENV_VAR in note and "applied" in note for note in mechanisms.notes)


def test_override_cannot_ask_for_more_than_the_machine_has() -> None:
    weakest = sb.Mechanisms("rss-poll", "none", "tmpdir", False)
    result = sb.apply_override(weakest, "memory=cgroup-v1,tmp=ext4-loop,fs=ro,colour=blue,junk")
    assert (result.memory, result.tmp, result.read_only_root) == ("rss-poll", "tmpdir", False)
    notes = "\n".join(result.notes)
    assert "'memory=cgroup-v1' ignored: not available here (choose from rss-poll)" in notes
    assert "'tmp=ext4-loop' ignored" in notes
    assert "'fs=ro' ignored" in notes
    assert "unknown key 'colour'" in notes
    assert "'junk' ignored: expected key=value" in notes


def test_override_steps_down_the_tmp_backends() -> None:
    strongest = sb.Mechanisms("cgroup-v1", "cgroup-v1", "mount-namespace", True, "ext4-loop")
    assert sb.apply_override(strongest, "tmp=bind").tmp_backend == "bind"
    tmpfs = sb.apply_override(strongest, "tmp=tmpfs")
    # tmpfs pages are charged to the writer's memory cgroup: memory is polled instead.
    assert tmpfs.describe() == (
        "memory=rss-poll pids=cgroup-v1 tmp=mount-namespace(tmpfs) fs=read-only"
    )
    assert any("would be charged to the function's memory cgroup" in n for n in tmpfs.notes)
    assert sb.apply_override(strongest, "tmp=tmpdir").describe() == (
        "memory=cgroup-v1 pids=cgroup-v1 tmp=tmpdir(size polled) fs=read-only"
    )
    bind = sb.apply_override(strongest, "tmp=bind")
    assert sb.apply_override(bind, "tmp=ext4-loop").tmp_backend == "bind"
    assert sb.apply_override(strongest, "") is strongest


def test_mechanisms_survive_a_json_round_trip() -> None:
    mechanisms = sb.apply_override(MECH, "junk")
    again = sb.Mechanisms(**json.loads(json.dumps(asdict(mechanisms))))
    assert again == mechanisms
    assert isinstance(again.notes, tuple)
    with pytest.raises(ValueError, match="tmp='tmpdir' takes tmp_backend='none'"):
        sb.Mechanisms("rss-poll", "none", "tmpdir", False, "tmpfs")


def test_without_cgroups_a_cgroup_is_an_empty_shell() -> None:
    mechanisms = sb.Mechanisms("rss-poll", "none", "tmpdir", False)
    with sb.Cgroup("shell", memory_mb=128, mechanisms=mechanisms) as cgroup:
        assert cgroup.procs_file is None
        assert cgroup.peak_memory_mb() == 0.0
        assert not cgroup.oom_killed()
        cgroup.reset_peak()
    cgroup.close()  # idempotent
    sb.join(None)


def test_bad_arguments_are_refused_clearly(env_dir: str) -> None:
    mechanisms = sb.Mechanisms("rss-poll", "none", "tmpdir", False)
    with pytest.raises(ValueError, match="memory_mb=0: expected a positive number of MB"):
        sb.Cgroup("x", memory_mb=0, mechanisms=mechanisms)
    with pytest.raises(ValueError, match="tmp_mb=0"):
        sb.prepare_tmp_image(env_dir, 0)
    with pytest.raises(sb.SandboxError, match=r"cannot join cgroup /nonexistent/cgroup\.procs"):
        sb.join("/nonexistent/cgroup.procs")


# ----------------------------------------------------------------------------------------
# Memory cgroup
# ----------------------------------------------------------------------------------------


@needs_memory_cgroup
def test_allocating_past_the_limit_is_killed_by_the_kernel(cgroups: list[sb.Cgroup]) -> None:
    cgroup = sb.Cgroup("oom", memory_mb=128, mechanisms=MECH)
    cgroups.append(cgroup)

    def body(child: Forked) -> dict[str, Any]:
        sb.join(cgroup.procs_file)
        child.send({"joined": True})
        hog = b"x" * (300 * MIB)
        return {"survived": len(hog)}

    child = Forked(body)
    assert child.recv() == {"joined": True}
    assert child.recv() is None  # no result: it died
    child.wait()
    assert child.killed_by() == signal.SIGKILL
    assert cgroup.oom_killed()
    assert cgroup.oom_kill_count() == 1
    assert 127.0 <= cgroup.peak_memory_mb() <= 128.0


@needs_memory_cgroup
def test_allocating_under_the_limit_is_measured(cgroups: list[sb.Cgroup]) -> None:
    cgroup = sb.Cgroup("fits", memory_mb=128, mechanisms=MECH)
    cgroups.append(cgroup)

    def body(child: Forked) -> dict[str, Any]:
        sb.join(cgroup.procs_file)
        data = b"x" * (50 * MIB)
        return {"allocated": len(data) // MIB}

    assert run(body) == {"allocated": 50}
    assert not cgroup.oom_killed()
    assert 50.0 <= cgroup.peak_memory_mb() <= 128.0
    cgroup.reset_peak()  # next invocation's "Max Memory Used" starts again
    assert cgroup.peak_memory_mb() < 50.0


@needs_memory_cgroup
def test_cgroups_of_dead_owners_are_swept_and_others_kept() -> None:
    base = sb._get_probe().memory_base
    assert base is not None
    ghost = Forked(lambda child: {})  # a process that has exited: a dead owner
    ghost.recv()
    ghost.wait()
    ns = os.stat("/proc/self/ns/pid").st_ino
    dead = os.path.join(base[1], f"{sb.CGROUP_PREFIX}{ghost.pid}-1-{ns}.env.1")
    foreign = os.path.join(base[1], f"{sb.CGROUP_PREFIX}{ghost.pid}-1-{ns + 1}.env.1")
    os.mkdir(dead)
    os.mkdir(foreign)
    try:

        def orphan(child: Forked) -> dict[str, Any]:
            sb.join(os.path.join(dead, "cgroup.procs"))
            child.send({"joined": True})
            time.sleep(60)
            return {}

        leftover = Forked(orphan)
        assert leftover.recv() == {"joined": True}
        sb.detect(refresh=True)
        assert not os.path.exists(dead)
        leftover.wait()
        assert leftover.killed_by() == signal.SIGKILL
        assert os.path.isdir(foreign)  # another pid namespace: not ours to judge
    finally:
        for path in (dead, foreign):
            with contextlib.suppress(OSError):
                os.rmdir(path)


# ----------------------------------------------------------------------------------------
# pids cgroup
# ----------------------------------------------------------------------------------------


@needs_pids_cgroup
def test_threads_stop_at_1024_tasks(cgroups: list[sb.Cgroup]) -> None:
    cgroup = sb.Cgroup("threads", memory_mb=512, pids_max=1024, mechanisms=MECH)
    cgroups.append(cgroup)

    def body(child: Forked) -> dict[str, Any]:
        import threading

        sb.join(cgroup.procs_file)
        threading.stack_size(64 * 1024)
        stop = threading.Event()
        started, error = 0, ""
        for _ in range(1100):
            try:
                threading.Thread(target=stop.wait, daemon=True).start()
            except RuntimeError as exc:
                error = str(exc)
                break
            started += 1
        return {"started": started, "error": error}

    result = run(body)
    # 1,024 tasks in all: this thread plus 1,023 more.
    assert result == {"started": 1023, "error": "can't start new thread"}


@needs_pids_cgroup
def test_processes_stop_at_pids_max_and_close_kills_escapees(cgroups: list[sb.Cgroup]) -> None:
    before = our_cgroups()
    cgroup = sb.Cgroup("forks", memory_mb=256, pids_max=64, mechanisms=MECH)
    cgroups.append(cgroup)

    def body(child: Forked) -> dict[str, Any]:
        sb.join(cgroup.procs_file)
        pids, error = [], 0
        for _ in range(100):
            try:
                pid = os.fork()
            except OSError as exc:
                error = exc.errno or 0
                break
            if pid == 0:
                os.setsid()  # leaves the process group: only the cgroup still holds it
                time.sleep(60)
                os._exit(0)
            pids.append(pid)
        return {"forked": pids, "errno": error}

    result = run(body)
    assert len(result["forked"]) == 63
    assert result["errno"] == errno.EAGAIN
    assert set(result["forked"]) <= set(cgroup.pids())
    cgroup.close()
    deadline = time.monotonic() + 5
    while not all(is_gone(p) for p in result["forked"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(is_gone(p) for p in result["forked"])
    assert our_cgroups() == before


# ----------------------------------------------------------------------------------------
# Private /tmp, read-only file system, /dev
# ----------------------------------------------------------------------------------------


@needs_loop_tmp
@needs_memory_cgroup
def test_tmp_fills_up_with_enospc_not_an_oom_kill(env_dir: str, cgroups: list[sb.Cgroup]) -> None:
    sb.prepare_tmp_image(env_dir, 512)
    cgroup = sb.Cgroup("tmp", memory_mb=128, mechanisms=MECH)
    cgroups.append(cgroup)

    def body(child: Forked) -> dict[str, Any]:
        sb.join(cgroup.procs_file)
        tmp = sb.enter_sandbox(tmp_mb=512, tmp_dir=env_dir, read_only=True, mechanisms=MECH)
        st = os.statvfs(tmp)
        chunk = bytes(range(256)) * 4096  # 1 MB
        written, error = 0, 0
        with open(os.path.join(tmp, "big"), "wb") as f:
            try:
                for _ in range(600):
                    f.write(chunk)
                    written += 1
                f.flush()
            except OSError as exc:
                error = exc.errno or 0
        with open(os.path.join(tmp, "big"), "rb") as f:
            first = f.read(len(chunk))
            f.seek(-len(chunk) // 2, os.SEEK_END)
            last = f.read()
        size = os.path.getsize(os.path.join(tmp, "big"))
        # /tmp's page cache must not eat the memory budget: 100 MB more still fits in 128.
        hog = b"y" * (100 * MIB)
        return {
            "tmp": tmp,
            "free_mb": st.f_bavail * st.f_frsize / MIB,
            "written_mb": written,
            "errno": error,
            "size_mb": size / MIB,
            "intact": first == chunk and last == chunk[len(chunk) // 2 :],
            "hog_mb": len(hog) // MIB,
        }

    result = run(body)
    assert result["tmp"] == "/tmp"
    assert result["free_mb"] == 512.0  # exactly the configured size
    assert result["errno"] == errno.ENOSPC
    # ext4 needs a few blocks of metadata for a 512 MB file, and near-full writes of 1 MB
    # fail whole: the file ends between 511 and 512 MB (4 KB writes fill all 512).
    assert 511 <= result["written_mb"] <= 512
    assert 511.0 <= result["size_mb"] <= 512.0
    assert result["intact"]
    assert result["hog_mb"] == 100
    assert not cgroup.oom_killed()


@needs_loop_tmp
def test_tmp_survives_an_environment_reset_but_is_never_shared(env_dir: str) -> None:
    sb.prepare_tmp_image(env_dir, 16)

    def first(child: Forked) -> dict[str, Any]:
        tmp = sb.enter_sandbox(tmp_mb=16, tmp_dir=env_dir, read_only=False, mechanisms=MECH)
        with open(os.path.join(tmp, "cache"), "w") as f:
            f.write("warm")
        child.send({"ready": True})
        child.wait_for_parent()
        return {}

    holder = Forked(first)
    assert holder.recv() == {"ready": True}

    def second(child: Forked) -> dict[str, Any]:
        sb._IMAGE_LOCK_WAIT_S = 0.05
        try:
            sb.enter_sandbox(tmp_mb=16, tmp_dir=env_dir, read_only=False, mechanisms=MECH)
        except sb.SandboxError as exc:
            return {"refused": str(exc)}
        return {"refused": ""}

    assert "mounted by another live environment" in run(second)["refused"]
    holder.go()
    holder.recv()
    holder.wait()

    def third(child: Forked) -> dict[str, Any]:
        tmp = sb.enter_sandbox(tmp_mb=16, tmp_dir=env_dir, read_only=False, mechanisms=MECH)
        with open(os.path.join(tmp, "cache")) as f:
            return {"cache": f.read(), "listing": sorted(os.listdir(tmp))}

    assert run(third) == {"cache": "warm", "listing": ["cache"]}


@needs_mount_namespace
def test_everything_but_tmp_is_read_only(env_dir: str) -> None:
    if MECH.tmp_backend == "ext4-loop":
        sb.prepare_tmp_image(env_dir, 16)
    name = f"pytest-lambda-ro-{os.getpid()}"
    cwd_file = os.path.join(os.getcwd(), name)
    etc_file = os.path.join("/etc", name)

    def body(child: Forked) -> dict[str, Any]:
        # The working directory stands for the code directory; it may live under the host's
        # /tmp (a CI clone), which `expose` shows again, read-only.
        tmp = sb.enter_sandbox(
            tmp_mb=16, tmp_dir=env_dir, read_only=True, mechanisms=MECH, expose=(os.getcwd(),)
        )
        return {
            "tmp": try_write(os.path.join(tmp, "ok")),
            "task_dir": try_write(cwd_file),
            "etc": try_write(etc_file),
            "var_tmp": try_write(f"/var/tmp/{name}"),
            "proc_sys": try_open_for_write("/proc/sys/kernel/hostname"),
            "cgroupfs": try_open_for_write("/sys/fs/cgroup/cgroup.procs"),
            "dev_null": try_write("/dev/null"),
        }

    try:
        result = run(body)
    finally:
        for leftover in (cwd_file, etc_file, f"/var/tmp/{name}"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
    assert result["tmp"] == "ok"
    assert result["dev_null"] == "ok"
    for key in ("task_dir", "etc", "var_tmp"):
        assert result[key] in (errno.EROFS, *(() if ROOT else (errno.EACCES,))), key
    assert result["task_dir"] == errno.EROFS or not ROOT
    assert result["proc_sys"] in (errno.EROFS, errno.EACCES)
    assert result["cgroupfs"] in (errno.EROFS, errno.EACCES, errno.ENOENT)


@needs_root_namespace
def test_the_handler_cannot_undo_the_sandbox(env_dir: str) -> None:
    if MECH.tmp_backend == "ext4-loop":
        sb.prepare_tmp_image(env_dir, 16)

    def body(child: Forked) -> dict[str, Any]:
        sb.enter_sandbox(tmp_mb=16, tmp_dir=env_dir, read_only=True, mechanisms=MECH)
        libc = sb._libc()
        remount = sb._mount(libc, None, "/", None, sb.MS_REMOUNT | sb.MS_BIND)
        umount = 0 if libc.umount2(b"/tmp", 0) == 0 else sb._errno()
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("-1000")
            oom = 0
        except OSError as exc:
            oom = exc.errno or -1
        return {
            "remount": remount,
            "umount": umount,
            "oom_score_adj": oom,
            "rootfs": try_write("/pytest-lambda-undo"),
        }

    assert run(body) == {
        "remount": errno.EPERM,
        "umount": errno.EPERM,
        "oom_score_adj": errno.EACCES,
        "rootfs": errno.EROFS,
    }


@needs_mount_namespace
def test_there_is_no_dev_shm(env_dir: str) -> None:
    if MECH.tmp_backend == "ext4-loop":
        sb.prepare_tmp_image(env_dir, 16)

    def body(child: Forked) -> dict[str, Any]:
        sb.enter_sandbox(tmp_mb=16, tmp_dir=env_dir, read_only=True, mechanisms=MECH)
        import multiprocessing

        try:
            multiprocessing.Lock()
            lock_error = 0
        except OSError as exc:
            lock_error = exc.errno or -1
        with open("/dev/urandom", "rb") as f:
            random_bytes = len(f.read(8))
        return {
            "shm": os.path.exists("/dev/shm"),
            "lock_errno": lock_error,
            "dev": sorted(os.listdir("/dev")),
            "urandom": random_bytes,
        }

    result = run(body)
    assert result["shm"] is False
    assert result["lock_errno"] != 0  # multiprocessing's semaphores need /dev/shm, as in Lambda
    assert result["urandom"] == 8
    assert "null" in result["dev"]
    assert not [d for d in result["dev"] if d.startswith(("loop", "sd", "vd", "nvme", "shm"))]


@needs_loop_tmp
@needs_memory_cgroup
def test_nothing_is_left_on_the_host_after_a_sigkill(
    env_dir: str, cgroups: list[sb.Cgroup]
) -> None:
    mounts_before = host_mounts()
    cgroups_before = our_cgroups()
    image = sb.prepare_tmp_image(env_dir, 64)
    cgroup = sb.Cgroup("killed", memory_mb=128, mechanisms=MECH)
    cgroups.append(cgroup)

    def body(child: Forked) -> dict[str, Any]:
        sb.join(cgroup.procs_file)
        sb.enter_sandbox(tmp_mb=64, tmp_dir=env_dir, read_only=True, mechanisms=MECH)
        with open("/tmp/partial", "wb") as f:
            f.write(b"z" * (8 * MIB))
        if os.fork() == 0:  # a grandchild in its own session holds the namespace too
            os.setsid()
            time.sleep(60)
            os._exit(0)
        child.send({"inside": True})
        time.sleep(60)
        return {}

    child = Forked(body)
    assert child.recv() == {"inside": True}
    real_image = os.path.realpath(image)
    assert any(f.startswith(real_image) for f in loop_backing_files())
    assert our_cgroups() - cgroups_before  # it exists while the environment lives
    cgroup.close()  # kills the child and its grandchild: no waitpid needed first
    child.wait()
    assert child.killed_by() == signal.SIGKILL
    deadline = time.monotonic() + 5
    while any(f.startswith(real_image) for f in loop_backing_files()):
        assert time.monotonic() < deadline, "loop device still attached"
        time.sleep(0.01)
    assert host_mounts() == mounts_before
    assert our_cgroups() == cgroups_before
    if shutil.which("losetup"):
        listing = subprocess.run(["losetup", "-a"], capture_output=True, text=True, check=False)
        assert real_image not in listing.stdout
    sb.remove_tmp_image(env_dir)
    assert os.listdir(env_dir) == []


@needs_mount_namespace
def test_the_host_mount_table_is_untouched(env_dir: str) -> None:
    if MECH.tmp_backend == "ext4-loop":
        sb.prepare_tmp_image(env_dir, 16)
    before = host_mounts()

    def body(child: Forked) -> dict[str, Any]:
        sb.enter_sandbox(tmp_mb=16, tmp_dir=env_dir, read_only=True, mechanisms=MECH)
        child.send({"inside": host_mounts() != before})
        child.wait_for_parent()
        return {}

    child = Forked(body)
    assert child.recv() == {"inside": True}
    assert host_mounts() == before  # while the environment is alive
    child.go()
    child.recv()
    child.wait()
    assert host_mounts() == before


# ----------------------------------------------------------------------------------------
# Other /tmp backends and the fallbacks, forced
# ----------------------------------------------------------------------------------------


@needs_mount_namespace
def test_tmpfs_backend_has_the_exact_size(env_dir: str) -> None:
    mechanisms = forced("memory=rss-poll,tmp=tmpfs")
    assert mechanisms.tmp_backend == "tmpfs"

    def body(child: Forked) -> dict[str, Any]:
        tmp = sb.enter_sandbox(tmp_mb=8, tmp_dir=env_dir, read_only=True, mechanisms=mechanisms)
        st = os.statvfs(tmp)
        try:
            with open(os.path.join(tmp, "f"), "wb") as f:
                f.write(b"x" * (9 * MIB))
            error = 0
        except OSError as exc:
            error = exc.errno or -1
        return {"tmp": tmp, "size_mb": st.f_blocks * st.f_frsize / MIB, "errno": error}

    assert run(body) == {"tmp": "/tmp", "size_mb": 8.0, "errno": errno.ENOSPC}


@needs_mount_namespace
def test_bind_backend_is_the_tmp_dir_with_a_polled_size(env_dir: str) -> None:
    mechanisms = forced("tmp=bind")
    assert not mechanisms.tmp_size_enforced

    def body(child: Forked) -> dict[str, Any]:
        tmp = sb.enter_sandbox(tmp_mb=8, tmp_dir=env_dir, read_only=True, mechanisms=mechanisms)
        with open(os.path.join(tmp, "f"), "wb") as f:
            f.write(b"x" * (3 * MIB))
            f.flush()
            os.fsync(f.fileno())
        return {"tmp": tmp}

    assert run(body) == {"tmp": "/tmp"}
    assert os.listdir(env_dir) == ["f"]
    assert sb.tmp_usage_mb(env_dir) == pytest.approx(3.0, abs=0.1)


def test_tmpdir_fallback_returns_the_directory_and_measures_it(env_dir: str) -> None:
    mechanisms = forced("memory=rss-poll,pids=none,tmp=tmpdir,fs=rw")
    target = os.path.join(env_dir, "tmp")

    def body(child: Forked) -> dict[str, Any]:
        tmp = sb.enter_sandbox(tmp_mb=512, tmp_dir=target, read_only=True, mechanisms=mechanisms)
        with open(os.path.join(tmp, "ten"), "wb") as f:
            f.write(b"x" * (10 * MIB))
        os.makedirs(os.path.join(tmp, "sub", "deeper"))
        with open(os.path.join(tmp, "sub", "deeper", "one"), "wb") as f:
            f.write(b"x" * MIB)
        os.link(os.path.join(tmp, "ten"), os.path.join(tmp, "sub", "hardlink"))
        os.symlink("/usr", os.path.join(tmp, "link"))
        return {"tmp": tmp}

    assert run(body) == {"tmp": target}
    assert 11.0 <= sb.tmp_usage_mb(target) <= 11.1
    assert sb.tmp_usage_mb(os.path.join(env_dir, "missing")) == 0.0


@needs_mount_namespace
def test_tmpdir_with_read_only_keeps_only_the_tmp_dir_writable(env_dir: str) -> None:
    mechanisms = forced("tmp=tmpdir")
    assert mechanisms.read_only_root
    target = os.path.join(env_dir, "tmp")
    name = f"/var/tmp/pytest-lambda-ro-{os.getpid()}"

    def body(child: Forked) -> dict[str, Any]:
        tmp = sb.enter_sandbox(tmp_mb=8, tmp_dir=target, read_only=True, mechanisms=mechanisms)
        return {"tmp": tmp, "inside": try_write(os.path.join(tmp, "f")), "outside": try_write(name)}

    try:
        result = run(body)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)
    assert result == {"tmp": os.path.realpath(target), "inside": "ok", "outside": errno.EROFS}


def test_rss_poll_sees_the_whole_process_group() -> None:
    def body(child: Forked) -> dict[str, Any]:
        os.setpgid(0, 0)
        hog = b"x" * (100 * MIB)
        kid = os.fork()
        if kid == 0:
            small = b"y" * (30 * MIB)
            time.sleep(60 + len(small))
            os._exit(0)
        child.send({"pid": os.getpid(), "kid": kid})
        child.wait_for_parent()
        os.kill(kid, signal.SIGKILL)
        os.waitpid(kid, 0)
        return {"held": len(hog)}

    child = Forked(body)
    hello = child.recv()
    assert hello is not None
    deadline = time.monotonic() + 5
    while sb.group_rss_mb(child.pid) < 130 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sb.group_rss_mb(child.pid) >= 130
    assert sb.group_pids(child.pid) == sorted([hello["pid"], hello["kid"]])
    child.go()
    child.recv()
    child.wait()
    assert sb.group_rss_mb(child.pid) == 0.0
    assert sb.group_pids(child.pid) == []


@needs_root
def test_without_root_everything_degrades_and_says_why(tmp_path: Any) -> None:
    workdir = tempfile.mkdtemp(prefix="pytest-lambda-nobody-", dir="/var/tmp")
    os.chown(workdir, 65534, 65534)

    def body(child: Forked) -> dict[str, Any]:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
        sb._probe_cache = None
        mechanisms = sb.detect()
        with sb.Cgroup("nobody", memory_mb=128, mechanisms=mechanisms) as cgroup:
            procs = cgroup.procs_file
        outcome: dict[str, Any] = {"mechanisms": asdict(mechanisms), "procs": procs}
        if mechanisms.namespaces:
            tmp = sb.enter_sandbox(
                tmp_mb=8,
                tmp_dir=os.path.join(workdir, "tmp"),
                read_only=True,
                mechanisms=mechanisms,
            )
            try:
                with open(os.path.join(tmp, "f"), "wb") as f:
                    f.write(b"x" * (9 * MIB))
            except OSError as exc:
                outcome["tmp_errno"] = exc.errno
            outcome["outside"] = try_write(os.path.join(workdir, "outside"))
            outcome["tmp"] = tmp
        return outcome

    try:
        result = run(body)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    mechanisms = sb.Mechanisms(**result["mechanisms"])
    assert (mechanisms.memory, mechanisms.pids) == ("rss-poll", "none")
    assert result["procs"] is None
    notes = "\n".join(mechanisms.notes)
    assert "memory: no writable memory cgroup" in notes
    if mechanisms.namespaces:  # unprivileged user namespaces are allowed here
        assert mechanisms.user_namespace
        assert mechanisms.describe() == (
            "memory=rss-poll pids=none tmp=mount-namespace(tmpfs, userns) fs=read-only"
            + (" pid=namespace" if mechanisms.pid_namespace else "")
        )
        assert result["tmp_errno"] == errno.ENOSPC
        assert result["outside"] == errno.EROFS
        assert result["tmp"] == "/tmp"
    else:
        assert "tmp=tmpdir(size polled) fs=" in mechanisms.describe()
        assert "/tmp: no mount namespace" in notes


@needs_loop_tmp
def test_tmp_image_is_cheap_sparse_and_moves_off_tmpfs() -> None:
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as d:
        image = sb.prepare_tmp_image(d, 512)
        real = os.path.realpath(image)
        st = os.stat(real)
        assert st.st_size > 512 * MIB
        assert st.st_blocks * 512 < 4 * MIB  # sparse
        if sb._fs_type(d) in ("tmpfs", "ramfs"):
            assert os.path.islink(image)
            assert sb._fs_type(real) not in ("tmpfs", "ramfs")
        assert sb.prepare_tmp_image(d, 512) == image  # kept: /tmp persists across resets
        sb.remove_tmp_image(d)
        assert not os.path.lexists(image)
        assert not os.path.exists(real)


def test_group_rss_counts_pages_shared_by_forked_children_once() -> None:
    # A process holding 64 MB forks 4 children that share those pages copy-on-write: the
    # group's memory is ~64 MB, not 5 x 64 MB (a false out-of-memory in the RSS fallback).
    code = (
        "import os, time\n"
        "block = bytearray(64 * 1024 * 1024)\n"
        "for i in range(0, len(block), 4096): block[i] = 1\n"
        "for _ in range(4):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(30); os._exit(0)\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        members = list(sb._scan_group(proc.pid))
        assert len(members) == 5
        naive = sum(rss for _, _, rss in members) / sb.MIB
        measured = sb.group_rss_mb(proc.pid)
        assert naive > 5 * 64  # what summing the resident sets would say
        assert 64 <= measured < 64 + 40, (measured, naive)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_landlock_overrides() -> None:
    base = sb.Mechanisms("rss-poll", "none", "tmpdir", False, landlock=7, landlock_fs=True)
    assert base.describe() == (
        "memory=rss-poll pids=none tmp=tmpdir(size polled)"
        " fs=landlock(writes: /tmp, TMPDIR, /dev) pid=landlock-scoped(abi 7)"
    )
    rw = sb.apply_override(base, "fs=rw")
    assert (rw.landlock, rw.landlock_fs, rw.landlock_scope) == (7, False, True)
    off = sb.apply_override(base, "landlock=off")
    assert off.describe() == "memory=rss-poll pids=none tmp=tmpdir(size polled) fs=read-write"
    assert sb.apply_override(rw, "fs=landlock").landlock_writes
    none = sb.Mechanisms("rss-poll", "none", "tmpdir", False)
    refused = sb.apply_override(none, "fs=landlock,landlock=maybe")
    assert not refused.landlock_fs
    notes = "\n".join(refused.notes)
    assert "'fs=landlock' ignored" in notes and "'landlock=maybe' ignored" in notes
    with pytest.raises(ValueError, match="landlock_fs=True needs a Landlock ABI"):
        sb.Mechanisms("rss-poll", "none", "tmpdir", False, landlock_fs=True)
    # With a PID namespace and a read-only root, Landlock has nothing left to do.
    strong = sb.Mechanisms(
        "cgroup-v1",
        "cgroup-v1",
        "mount-namespace",
        True,
        "ext4-loop",
        pid_namespace=True,
        landlock=7,
    )
    assert not strong.landlock_scope and not strong.landlock_writes
    assert strong.describe().endswith("fs=read-only pid=namespace")
