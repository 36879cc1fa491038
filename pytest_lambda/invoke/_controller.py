"""The parent side of execution environments: create, invoke, watch, kill, classify.

Every limit is enforced here, in the test process, whatever the handler does: the deadline is
measured on a monotonic clock freezegun does not patch and ends with SIGKILL of the whole
process group; memory is bounded by a cgroup (the kernel kills) or watched by RSS polling;
request and response sizes are checked on the bytes. See ``_sandbox`` for /tmp and the
read-only file system.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import _clock
from ..limits import SYNC_RESPONSE_PAYLOAD_BYTES
from . import _protocol, _sandbox, _spares

__all__ = ["Environment", "Outcome", "Zygote", "zygote"]

#: Lambda's init phase limit for on-demand environments (lambda-behavior.md section 5).
INIT_LIMIT_S = 10.0
#: Sync response limit: 6 MiB + 100 bytes, as Lambda's error message states (section 3.6).
RESPONSE_LIMIT = SYNC_RESPONSE_PAYLOAD_BYTES
#: RSS polling period for the fallback memory watch.
_POLL_S = 0.005

#: Go's names of the Linux signals, as ``syscall.Signal.String()`` prints them (the ``signals``
#: table of Go's ``src/syscall/zerrors_linux_amd64.go``; the other Linux architectures number
#: some signals differently but name them the same, hence the table by name). The Lambda
#: platform's runtime interface is written in Go and words a runtime exit with
#: ``ProcessState.String()`` (``os/exec_posix.go``).
_GO_SIGNAL_NAMES = {
    "SIGHUP": "hangup",
    "SIGINT": "interrupt",
    "SIGQUIT": "quit",
    "SIGILL": "illegal instruction",
    "SIGTRAP": "trace/breakpoint trap",
    "SIGABRT": "aborted",
    "SIGBUS": "bus error",
    "SIGFPE": "floating point exception",
    "SIGKILL": "killed",
    "SIGUSR1": "user defined signal 1",
    "SIGSEGV": "segmentation fault",
    "SIGUSR2": "user defined signal 2",
    "SIGPIPE": "broken pipe",
    "SIGALRM": "alarm clock",
    "SIGTERM": "terminated",
    "SIGSTKFLT": "stack fault",
    "SIGCHLD": "child exited",
    "SIGCONT": "continued",
    "SIGSTOP": "stopped (signal)",
    "SIGTSTP": "stopped",
    "SIGTTIN": "stopped (tty input)",
    "SIGTTOU": "stopped (tty output)",
    "SIGURG": "urgent I/O condition",
    "SIGXCPU": "CPU time limit exceeded",
    "SIGXFSZ": "file size limit exceeded",
    "SIGVTALRM": "virtual timer expired",
    "SIGPROF": "profiling timer expired",
    "SIGWINCH": "window changed",
    "SIGIO": "I/O possible",
    "SIGPWR": "power failure",
    "SIGSYS": "bad system call",
}
_SIGNAL_TEXT: dict[int, str] = {
    int(getattr(signal, name)): text
    for name, text in _GO_SIGNAL_NAMES.items()
    if hasattr(signal, name)
}


def signal_text(signum: int) -> str:
    """Go's ``syscall.Signal(signum).String()``: ``signal N`` for a number without a name
    (the real-time signals, say)."""
    return _SIGNAL_TEXT.get(signum, f"signal {signum}")


def termination(status: int | None) -> str | None:
    """How the Lambda platform words a runtime exit: Go's ``ProcessState.String()`` of the
    wait status, as RIE prints it (``exit status 3``, ``signal: killed``, ``signal: aborted
    (core dumped)``); ``None`` for a clean exit ("Runtime exited without providing a
    reason"). An unknown status (``None``) is the environment killed by the parent."""
    if status is None:
        return "signal: killed"
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        return None if code == 0 else f"exit status {code}"
    if os.WIFSIGNALED(status):
        text = f"signal: {signal_text(os.WTERMSIG(status))}"
        # Go's WaitStatus.CoreDump(): signalled with the core flag, which the kernel sets
        # when it wrote a core (RLIMIT_CORE and core_pattern of the environment decide).
        return f"{text} (core dumped)" if os.WCOREDUMP(status) else text
    if os.WIFSTOPPED(status):  # only seen by a WUNTRACED wait; worded as Go would
        stop = os.WSTOPSIG(status)
        text = f"stop signal: {signal_text(stop)}"
        cause = (status >> 16) & 0xFF
        return f"{text} (trap {cause})" if stop == signal.SIGTRAP and cause else text
    if os.WIFCONTINUED(status):
        return "continued"
    return None  # pragma: no cover - not a wait status


class Zygote:
    """Client of the zygote process (one per test process)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        package_parent = str(Path(__file__).resolve().parents[2])
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "PYTHONPATH": package_parent,
        }
        for name in ("PYTHONDONTWRITEBYTECODE", _sandbox.ENV_VAR):
            if name in os.environ:
                env[name] = os.environ[name]
        self._sock = ours
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest_lambda.invoke._zygote", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            env=env,
            cwd="/",
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        ready = self._receive()
        self.mechanisms = _sandbox.Mechanisms(**ready["mechanisms"])

    def _receive(self) -> dict[str, Any]:
        message = self._sock.recv(1 << 20)
        if not message:
            raise ConnectionError("the zygote exited")
        reply: dict[str, Any] = json.loads(message)
        return reply

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, spec: dict[str, Any], fds: list[int], while_forking: Any = None) -> int:
        """Start an environment; ``while_forking()`` runs while the zygote forks it."""
        with self._lock:
            socket.send_fds(self._sock, [json.dumps({"op": "spawn", "spec": spec}).encode()], fds)
            try:
                if while_forking is not None:
                    while_forking()
            finally:
                pid: int = self._receive()["pid"]
            return pid

    def spawn_spare(self, spec: dict[str, Any], fds: list[int]) -> None:
        """Start an environment ahead of its function; no reply (it reports its own pid)."""
        message = json.dumps({"op": "spawn", "spec": spec, "reply": False}).encode()
        with self._lock:
            socket.send_fds(self._sock, [message], fds)

    def wait(self, pid: int, timeout: float = 5.0) -> int | None:
        """The exit status of environment ``pid`` (``None`` if unknown within ``timeout``, or
        if the zygote itself is gone: killed from outside, its environments were orphaned)."""
        with self._lock:
            try:
                self._sock.sendmsg(
                    [json.dumps({"op": "wait", "pid": pid, "timeout": timeout}).encode()]
                )
                status: int | None = self._receive()["status"]
            except (OSError, ValueError):  # ConnectionError is an OSError
                return None
            return status

    def close(self) -> None:
        try:
            self._sock.close()
        finally:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_ZYGOTE: Zygote | None = None
_ZYGOTE_LOCK = threading.Lock()


def zygote() -> Zygote:
    """The test process's zygote, started on first use and restarted if it died."""
    global _ZYGOTE
    with _ZYGOTE_LOCK:
        if _ZYGOTE is None or not _ZYGOTE.alive():
            if _ZYGOTE is not None:
                _ZYGOTE.close()
            _ZYGOTE = Zygote()
        return _ZYGOTE


def shutdown_zygote() -> None:
    """Stop the zygote (it kills every environment it still has), spares first."""
    global _ZYGOTE
    _spares.release_spares()
    with _ZYGOTE_LOCK:
        if _ZYGOTE is not None:
            _ZYGOTE.close()
            _ZYGOTE = None


_EXITING = False
#: Environments alive in this process whose /tmp is an image (their sparse images share disks).
_LIVE_IMAGES: weakref.WeakSet[Environment] = weakref.WeakSet()
#: Free space a disk keeps beyond what the images on it may still grow by, before syncs.
_DISK_MARGIN = 64 * _sandbox.MIB


def _at_exit() -> None:
    # From here on no spare is made: a function closed later (one never closed, collected
    # as the interpreter ends) would start one on a thread that dies half-way, leaving its
    # cgroup behind.
    global _EXITING
    _EXITING = True
    # Functions never closed (held in a module global, say) are closed now, while the
    # interpreter still works: their environments' cgroups and /tmp storage go with them.
    functions = sys.modules.get("pytest_lambda.invoke._function")
    if functions is not None:
        for function in functions.open_functions():
            with contextlib.suppress(Exception):
                function.close()
    shutdown_zygote()


atexit.register(_at_exit)


@dataclass
class Outcome:
    """What happened to one request in an environment, before it is shaped for the caller."""

    #: "ok" | "error" | "timeout" | "oom" | "exit" | "init_error" | "too_large" | "host_fault"
    kind: str
    body: bytes | None = None
    binary: bool = False
    duration_ms: float = 0.0
    init_ms: float | None = None
    logs: str = ""
    max_memory_mb: int = 0
    termination: str | None = None
    response_size: int = 0
    environment_lost: bool = False


@dataclass
class _Stream:
    """Log bytes of an environment, cut at the runtime's end markers."""

    marker: bytes
    buffer: bytearray = field(default_factory=bytearray)

    def take_until(self, request_id: str) -> str | None:
        token = self.marker + request_id.encode() + b"\n"
        index = self.buffer.find(token)
        if index < 0:
            return None
        text = bytes(self.buffer[:index]).decode("utf-8", "replace")
        del self.buffer[: index + len(token)]
        return text

    def take_all(self) -> str:
        text = bytes(self.buffer).decode("utf-8", "replace")
        self.buffer.clear()
        return text


class Environment:
    """One execution environment: a process that imported the handler and serves requests."""

    def __init__(
        self,
        *,
        handler: str,
        task_root: str,
        layer_paths: list[str],
        env: dict[str, str],
        memory_mb: int,
        tmp_mb: int,
        tmp_dir: str,
        timeout_s: float,
        ensure_ascii: bool,
    ) -> None:
        self._zygote = zygote()
        self.mechanisms = self._zygote.mechanisms
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self.cgroup: _sandbox.Cgroup | None = None
        self._kernel_memory = self.mechanisms.memory != "rss-poll"
        marker = f"\x1e{uuid.uuid4().hex}:"
        self._logs = _Stream(marker.encode())
        self._loop_fd = -1
        self.spare = False
        self._image: str | None = None
        if self.mechanisms.tmp == "mount-namespace" and self.mechanisms.tmp_backend == "ext4-loop":
            self._image = os.path.join(tmp_dir, _sandbox.IMAGE_NAME)
        # What an environment is before its handler: the same for every function of this shape.
        sys_path = [p for p in sys.path if p and Path(p).is_absolute()]
        base = {
            "task_root": task_root,
            "layer_paths": layer_paths,
            # Directories the private /tmp would hide: layers, and the interpreter's own
            # packages when its venv lives under /tmp (a CI checkout there, say).
            "expose": [*layer_paths, *(p for p in sys_path if p.startswith("/tmp/"))],
            "sys_path": sys_path,
            # The developer's credentials and profiles, read from this process's environment
            # (the zygote's is scrubbed): hidden inside the environment.
            "hide": _sandbox.secret_paths(),
            "tmp_mb": tmp_mb,
            "read_only": True,
            "mechanisms": self.mechanisms.__dict__,
        }
        own = {"handler": handler, "marker": marker, "ensure_ascii": ensure_ascii}
        key = None
        if _spares.enabled(self.mechanisms):
            key = _spares.shape_key(base, memory_mb)
            fresh = not os.path.lexists(os.path.join(tmp_dir, _sandbox.IMAGE_NAME))
            taken = _spares.POOL.take(key, self._zygote) if fresh else None
            if taken is not None:
                try:
                    self._adopt(taken, env, own, tmp_dir)
                except OSError:  # the spare died while it waited (killed from outside)
                    self.spare = False
                    self.cgroup = None
                    taken.discard()
        if not self.spare:
            self._spawn({**base, **own, "env": env, "tmp_dir": tmp_dir}, memory_mb)
        # The next environment of this shape is made in the background once this one has
        # served its first request (or ended), so that making it does not compete with this
        # cold start for the CPU.
        self._spare_request = (key, base, env, memory_mb) if key is not None else None
        for fd in (self._result_r, self._log_r, self._cmd_w):
            os.set_blocking(fd, False)
        self._pidfd: int | None
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (OSError, AttributeError):
            self._pidfd = None
        self._frames = _protocol.FrameReader(RESPONSE_LIMIT)
        self.alive = True
        self.invocations = 0
        self._peak_rss_mb = 0.0
        if self._image is not None:
            _LIVE_IMAGES.add(self)

    def _adopt(
        self, spare: _spares.Spare, env: dict[str, str], own: dict[str, Any], tmp_dir: str
    ) -> None:
        """Make a spare (ready, from this zygote) this function's environment."""
        assert spare.pid is not None
        # First the go frame: it fails (EPIPE) if the spare is gone, before anything is linked.
        _protocol.write_all(spare.cmd_w, spare.go_frame(env, own))
        if spare.image is not None:
            os.makedirs(tmp_dir, exist_ok=True)
            os.symlink(spare.image, os.path.join(tmp_dir, _sandbox.IMAGE_NAME))
        self.pid = spare.pid
        self.cgroup = spare.cgroup
        self._cmd_w, self._result_r, self._log_r = spare.cmd_w, spare.result_r, spare.log_r
        self.spare = True

    def _spawn(self, spec: dict[str, Any], memory_mb: int) -> None:
        """Fork a new environment from the zygote."""
        self.cgroup = _sandbox.Cgroup(
            f"env-{uuid.uuid4().hex[:12]}", memory_mb=memory_mb, mechanisms=self.mechanisms
        )
        cmd_r, self._cmd_w = os.pipe()
        self._result_r, result_w = os.pipe()
        self._log_r, log_w = os.pipe()
        spec["cgroup_procs"] = self.cgroup.procs_file
        spec["loop_device_frame"] = self.mechanisms.tmp_backend == "ext4-loop"
        tmp_dir, tmp_mb = spec["tmp_dir"], spec["tmp_mb"]

        def attach_tmp() -> None:
            # /tmp's image and loop device are made ready here while the zygote forks the
            # environment; it is told the device by a first frame on its command pipe.
            device: str | None = None
            try:
                device, self._loop_fd = _sandbox.ready_tmp_image(tmp_dir, tmp_mb)
            except (OSError, _sandbox.SandboxError):
                device = None  # the environment attaches (and reports) it itself
            _protocol.write_all(self._cmd_w, _protocol.encode({"type": "loop", "device": device}))

        try:
            self.pid = self._zygote.spawn(
                spec,
                [cmd_r, result_w, log_w],
                while_forking=attach_tmp if spec["loop_device_frame"] else None,
            )
        finally:
            for fd in (cmd_r, result_w, log_w):
                os.close(fd)

    # -- the event loop of one request ---------------------------------------------------

    def _pump(
        self, deadline: float, pending: bytes, want: str
    ) -> tuple[str, dict[str, Any] | None, bytes | None]:
        """Run until a frame of type ``want`` arrives, the deadline passes, the process dies
        or memory runs over. Returns (what, header, body)."""
        view = memoryview(pending)
        next_poll = 0.0
        result_open = True
        while True:
            now = _clock.monotonic()
            if now >= deadline:
                return "timeout", None, None
            readers = [self._result_r, self._log_r] if result_open else [self._log_r]
            if self._pidfd is not None:
                readers.append(self._pidfd)
            writers = [self._cmd_w] if view else []
            wait = deadline - now
            if not self._kernel_memory or self._pidfd is None:
                wait = min(wait, _POLL_S)
            try:
                readable, writable, _ = select.select(readers, writers, [], wait)
            except InterruptedError:
                continue
            if writable:
                try:
                    view = view[os.write(self._cmd_w, view[: 1 << 16]) :]
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    view = memoryview(b"")
            if self._log_r in readable:
                self._drain_logs()
            if result_open and self._result_r in readable:
                try:
                    data = os.read(self._result_r, 1 << 20)
                except BlockingIOError:
                    continue
                if not data:
                    if self._pidfd is None and not _pid_alive(self.pid):
                        return "died", None, None
                    # The runtime closed its result pipe but is still running: as in Lambda,
                    # when it has lost its Runtime API connection, the request ends when the
                    # runtime exits (its exit status is the error) or at the deadline.
                    result_open = False
                    continue
                try:
                    frames = self._frames.feed(data)
                except _protocol.FrameError:
                    return "garbage", None, None
                for header, body in frames:
                    if header.get("type") == want:
                        return "frame", header, body
            if self._pidfd is not None and self._pidfd in readable:
                self._drain_logs()
                return "died", None, None
            if not self._kernel_memory and _clock.monotonic() >= next_poll:
                next_poll = _clock.monotonic() + _POLL_S
                rss = _sandbox.group_rss_mb(self.pid)
                self._peak_rss_mb = max(self._peak_rss_mb, rss)
                if rss > self.memory_mb:
                    return "oom", None, None
            if self._pidfd is None and not _pid_alive(self.pid):
                return "died", None, None

    def _drain_logs(self) -> None:
        while True:
            try:
                chunk = os.read(self._log_r, 1 << 16)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            self._logs.buffer += chunk

    def _collect_logs(self, request_id: str) -> str:
        """This request's log text: up to its end marker, waiting briefly for the marker."""
        deadline = _clock.monotonic() + 0.2
        while True:
            self._drain_logs()
            text = self._logs.take_until(request_id)
            if text is not None:
                return text
            if _clock.monotonic() >= deadline:
                return self._logs.take_all()
            select.select([self._log_r], [], [], 0.01)

    def _memory_used_mb(self, reported_kb: int = 0) -> int:
        peak = self._peak_rss_mb
        if self.cgroup is not None and self._kernel_memory:
            peak = max(peak, self.cgroup.peak_memory_mb())
        peak = max(peak, reported_kb / 1024)
        return max(1, math.ceil(peak))

    def _lost(self, what: str, outcome: Outcome) -> Outcome:
        """The environment ended (timeout, memory, crash): kill it and classify."""
        if (
            what == "died"
            and self.cgroup is not None
            and self._kernel_memory
            and self.cgroup.oom_killed()
        ):
            what = "oom"
        if what != "died":  # still running: its current footprint counts
            self._peak_rss_mb = max(self._peak_rss_mb, _sandbox.group_rss_mb(self.pid))
        outcome.max_memory_mb = self._memory_used_mb()
        self.kill()
        status = self._zygote.wait(self.pid) if what != "timeout" else None
        outcome.logs += self._logs.take_all()
        outcome.environment_lost = True
        if what == "timeout":
            outcome.kind = "timeout"
        elif what == "oom" or (
            self.cgroup is not None and self._kernel_memory and self.cgroup.oom_killed()
        ):
            outcome.kind = "oom"
            outcome.termination = "signal: killed"
        else:
            outcome.kind = "exit"
            outcome.termination = termination(status) if what == "died" else "signal: killed"
        return outcome

    def init(self, limit_s: float = INIT_LIMIT_S) -> Outcome:
        """Wait for the handler import (the init phase), at most ``limit_s`` seconds."""
        started = _clock.monotonic()
        what, header, body = self._pump(started + limit_s, b"", "init")
        if what != "frame" or header is None:
            elapsed_ms = (_clock.monotonic() - started) * 1000
            return self._lost(what, Outcome("exit", init_ms=elapsed_ms))
        self._release_loop()
        logs = self._collect_logs("")
        init_ms = float(header.get("init_ms", 0.0))
        self._peak_rss_mb = max(self._peak_rss_mb, header.get("max_rss_kb", 0) / 1024)
        if not header.get("ok"):
            self.kill()
            self._zygote.wait(self.pid)
            return Outcome(
                "init_error",
                body=body,
                init_ms=init_ms,
                logs=logs,
                max_memory_mb=self._memory_used_mb(header.get("max_rss_kb", 0)),
                environment_lost=True,
            )
        return Outcome("ok", init_ms=init_ms, logs=logs)

    def _disk_tight(self) -> bool:
        """Whether the disk behind the /tmp images could fill up before they do: then the
        runtime syncs /tmp after the request, so that lost data is noticed (a few µs)."""
        if self._image is None:
            return False
        try:
            mine = os.stat(self._image)
            vfs = os.statvfs(self._image)
        except OSError:
            return False
        grow = 0
        for env in list(_LIVE_IMAGES):  # the images of this process on the same disk
            if env._image is None:
                continue
            try:
                st = mine if env is self else os.stat(env._image)
            except OSError:
                continue
            if st.st_dev == mine.st_dev:
                grow += _sandbox.image_growth(st)
        return vfs.f_bavail * vfs.f_frsize < grow + _DISK_MARGIN

    def invoke(self, request: dict[str, Any], event: bytes, timeout_s: float) -> Outcome:
        started = _clock.monotonic()
        self.invocations += 1
        if self._disk_tight():
            request = {**request, "sync_tmp": True}
        frame = _protocol.encode(request, event)
        what, header, body = self._pump(started + timeout_s, frame, "result")
        elapsed_ms = (_clock.monotonic() - started) * 1000
        if what != "frame" or header is None:
            return self._lost(what, Outcome("exit", duration_ms=elapsed_ms))
        logs = self._collect_logs(request["request_id"])
        lost_errno = int(header.get("tmp_sync_errno") or 0)
        if lost_errno:
            return self._tmp_lost(lost_errno, elapsed_ms, logs)
        outcome = Outcome(
            "ok" if header.get("ok") else "error",
            body=body,
            binary=bool(header.get("binary")),
            duration_ms=float(header.get("duration_ms", elapsed_ms)),
            logs=logs,
            max_memory_mb=self._memory_used_mb(header.get("max_rss_kb", 0)),
            response_size=int(header.get("_body_length", len(body or b""))),
        )
        if body is None:
            outcome.kind = "too_large"
        self._request_spare()
        return outcome

    def _tmp_lost(self, lost_errno: int, elapsed_ms: float, logs: str) -> Outcome:
        """The handler's /tmp writes never reached the disk: fail the request, discard the
        environment (its file system is damaged) and say where the space ran out."""
        image = self._image or ""
        where = os.path.dirname(os.path.realpath(image)) if image else "?"
        try:
            vfs = os.statvfs(where)
            free = f"{vfs.f_bavail * vfs.f_frsize / _sandbox.MIB:.0f} MB free"
        except OSError:
            free = "free space unknown"
        reason = (
            f"pytest-lambda: the handler's writes to /tmp were lost ({os.strerror(lost_errno)}):"
            f" the disk behind this environment's /tmp image ({where}, {free}) is full. "
            "Not a Lambda behaviour: free space there, lower ephemeral_storage, or point "
            "TMPDIR at a larger disk"
        )
        outcome = Outcome(
            "host_fault",
            duration_ms=elapsed_ms,
            logs=logs,
            max_memory_mb=self._memory_used_mb(),
            termination=reason,
            environment_lost=True,
        )
        self.kill()
        self._zygote.wait(self.pid, timeout=2.0)
        outcome.logs += self._logs.take_all()
        if image:
            # Its file system saw write errors: the next environment starts from a new image.
            _sandbox.remove_tmp_image(os.path.dirname(image))
        return outcome

    def exited(self) -> bool:
        """Whether the environment's process has ended (killed from outside, say) while idle."""
        if not self.alive:
            return True
        if self._pidfd is not None:
            try:
                readable, _, _ = select.select([self._pidfd], [], [], 0)
            except (OSError, ValueError):
                return True
            return bool(readable)
        return not _pid_alive(self.pid) or _is_zombie(self.pid)

    def _request_spare(self) -> None:
        if self._spare_request is not None and _EXITING:
            self._spare_request = None
        if self._spare_request is not None:
            key, base, env, memory_mb = self._spare_request
            self._spare_request = None
            _spares.POOL.request(key, base, env, memory_mb, self._zygote)

    def _release_loop(self) -> None:
        # The environment's mount holds the device now (or the environment is gone).
        if self._loop_fd >= 0:
            os.close(self._loop_fd)
            self._loop_fd = -1

    def kill(self) -> None:
        """SIGKILL the environment's process group (and anything left in its cgroup)."""
        if not self.alive:
            return
        self.alive = False
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self._pidfd is not None:
            # The pidfd turns readable the moment the process has exited: then its cgroup is
            # (nearly always) empty, and removing it does not have to poll.
            with contextlib.suppress(OSError, ValueError):
                select.select([self._pidfd], [], [], 1.0)
        if self.cgroup is not None:
            self.cgroup.close()
            self.cgroup = None

    def close(self) -> None:
        """End the environment and release everything it holds."""
        _LIVE_IMAGES.discard(self)
        self._request_spare()
        if self.alive:
            self.kill()
            self._zygote.wait(self.pid, timeout=2.0)
        if self.cgroup is not None:
            self.cgroup.close()
            self.cgroup = None
        self._release_loop()
        for fd in (self._cmd_w, self._result_r, self._log_r, self._pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._pidfd = None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
