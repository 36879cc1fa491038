"""Kernel mechanisms that make an execution environment enforce Lambda's limits for real.

Standard library only: this module is imported by the zygote and by handler processes, which
must not import pytest, faker, moto or boto3.

Three jobs, each with the strongest mechanism the machine allows and a weaker fallback:

* **memory** - a memory cgroup (v2 ``memory.max`` or v1 ``memory.limit_in_bytes``): the kernel
  OOM-kills the handler at exactly the limit, like Lambda's ``signal: killed``. Fallback: the
  parent polls the RSS of the environment's process group (:func:`group_rss_mb`), which
  overshoots by what a fast allocator takes in one poll (9-12 MB at ~1.5 GB/s).
* **processes/threads** - a pids cgroup with ``pids.max`` 1,024. Fallback: none (as root,
  ``RLIMIT_NPROC`` does not bind).
* **/tmp and the file system** - a private mount namespace with a /tmp of exactly the
  configured size, the rest of the file system read-only, no ``/dev/shm``. Fallback: a private
  directory behind ``TMPDIR`` whose size the parent checks with :func:`tmp_usage_mb`.

/tmp must not be charged to the function's memory: tmpfs pages are charged to the writer's
memory cgroup, so a 512 MB tmpfs inside a 128 MB cgroup OOM-kills the handler long before
ENOSPC. With a memory cgroup, /tmp is therefore an ext4 file system in a sparse image file on
a loop device (``LO_FLAGS_DIRECT_IO``, so the image file is not cached a second time): its page
cache is reclaimable and is written back under pressure instead of OOM-killing. Measured here:
600 MB written into a 512 MB /tmp by a handler limited to 128 MB gives ENOSPC after exactly
512 MB, no OOM kill, and the data reads back. Without a memory cgroup (RSS polling) a tmpfs is
used instead: its pages are not in any process's RSS, so the two budgets stay separate.

Roles:

* the parent (test process or zygote) calls :func:`detect` once, :func:`prepare_tmp_image` and
  creates a :class:`Cgroup` per environment, and calls :meth:`Cgroup.close` and
  :func:`remove_tmp_image` when the environment is discarded;
* the environment process, right after fork, calls :func:`join` then :func:`enter_sandbox`,
  then imports the handler.

Nothing is left behind: the loop device is attached with ``LO_FLAGS_AUTOCLEAR`` inside the
environment's own mount namespace, so the kernel unmounts the file system and detaches the
device when the last process of the environment exits, even after SIGKILL; cgroup
directories are removed by :meth:`Cgroup.close`, and stale ones of dead owners are swept.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import threading
import time
import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

if TYPE_CHECKING:
    import ctypes
    from collections.abc import Callable, Iterable, Iterator, Mapping

__all__ = [
    "ENV_VAR",
    "IMAGE_NAME",
    "Cgroup",
    "Mechanisms",
    "SandboxError",
    "apply_override",
    "detect",
    "enter_sandbox",
    "group_pids",
    "group_rss_mb",
    "image_growth",
    "image_headroom",
    "join",
    "open_sync_handle",
    "owner_tag",
    "preload",
    "prepare_tmp_image",
    "remove_tmp_image",
    "secret_paths",
    "sync_fs",
    "tmp_usage_mb",
]

MemoryMechanism = Literal["cgroup-v2", "cgroup-v1", "rss-poll"]
PidsMechanism = Literal["cgroup-v2", "cgroup-v1", "none"]
TmpMechanism = Literal["mount-namespace", "tmpdir"]
#: How the private /tmp is backed in ``mount-namespace`` mode ("none" in ``tmpdir`` mode).
TmpBackend = Literal["ext4-loop", "tmpfs", "bind", "none"]

#: Environment variable that forces weaker mechanisms, e.g. ``memory=rss-poll,tmp=tmpdir``.
ENV_VAR: Final = "PYTEST_LAMBDA_MECHANISMS"
#: File name of the /tmp file system image inside an environment's ``tmp_dir``.
IMAGE_NAME: Final = ".pytest-lambda-tmp.ext4"
#: Prefix of every cgroup directory this module creates.
CGROUP_PREFIX: Final = "pytest-lambda."

MIB: Final = 1 << 20
_BLOCK: Final = 4096

_MEMORY_VALUES: Final[tuple[MemoryMechanism, ...]] = ("cgroup-v2", "cgroup-v1", "rss-poll")
_PIDS_VALUES: Final[tuple[PidsMechanism, ...]] = ("cgroup-v2", "cgroup-v1", "none")
_BACKEND_ORDER: Final[tuple[TmpBackend, ...]] = ("ext4-loop", "tmpfs", "bind", "none")

# Linux constants (include/uapi/linux/sched.h, mount.h, loop.h, prctl.h, capability.h).
CLONE_NEWNS: Final = 0x00020000
CLONE_NEWUSER: Final = 0x10000000
CLONE_NEWPID: Final = 0x20000000
PR_SET_PDEATHSIG: Final = 1
MS_RDONLY: Final = 1
MS_NOSUID: Final = 2
MS_NODEV: Final = 4
MS_NOEXEC: Final = 8
MS_REMOUNT: Final = 32
MS_NOSYMFOLLOW: Final = 256
MS_NOATIME: Final = 1024
MS_NODIRATIME: Final = 2048
MS_BIND: Final = 4096
MS_REC: Final = 16384
MS_PRIVATE: Final = 1 << 18
MS_RELATIME: Final = 1 << 21
MS_STRICTATIME: Final = 1 << 24
LOOP_CONFIGURE: Final = 0x4C0A
LOOP_CTL_GET_FREE: Final = 0x4C82
LO_FLAGS_AUTOCLEAR: Final = 4
LO_FLAGS_DIRECT_IO: Final = 16
_LOOP_CONFIG_SIZE: Final = 304  # struct loop_config
_LO_FLAGS_OFFSET: Final = 8 + 52  # loop_config.info.lo_flags
PR_GET_DUMPABLE: Final = 3
PR_SET_DUMPABLE: Final = 4
PR_CAPBSET_READ: Final = 23
PR_CAPBSET_DROP: Final = 24
PR_CAP_AMBIENT: Final = 47
PR_CAP_AMBIENT_CLEAR_ALL: Final = 4
_CAP_VERSION_3: Final = 0x20080522

_TMPFS_TYPES: Final = frozenset({"tmpfs", "ramfs"})
#: How long enter_sandbox waits for a previous environment to release the /tmp image.
_IMAGE_LOCK_WAIT_S = 2.0
_SEP: Final = os.pathsep


class SandboxError(RuntimeError):
    """A sandbox mechanism could not be set up; the message says which, why and the way out."""


# ----------------------------------------------------------------------------------------
# Mechanisms and detection
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mechanisms:
    """Which kernel mechanism enforces each limit on this machine."""

    memory: MemoryMechanism
    pids: PidsMechanism
    tmp: TmpMechanism
    read_only_root: bool
    #: ``ext4-loop`` / ``tmpfs`` (size enforced by the kernel), ``bind`` (a private directory
    #: mounted on /tmp, size checked by the parent) or ``none`` (``tmp == "tmpdir"``).
    tmp_backend: TmpBackend = "none"
    #: Namespaces come from an unprivileged user namespace (not root).
    user_namespace: bool = False
    #: The handler runs in its own PID namespace with a fresh /proc: it sees and can signal
    #: only its environment's processes (needs a mount namespace).
    pid_namespace: bool = False
    #: Landlock ABI version available to unprivileged processes (0: none, or switched off).
    #: Used where the namespaces are missing: without a PID namespace the handler is scoped
    #: (no ptrace or ``/proc/<pid>/environ`` of processes outside it, and from ABI 6 no
    #: signals to them); with ``landlock_fs`` and no read-only root, writes are allowed only
    #: under /tmp, the environment's TMPDIR and /dev.
    landlock: int = 0
    landlock_fs: bool = False
    #: Why stronger mechanisms are not in use (for ``-v`` output and bug reports).
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.notes, tuple):  # e.g. a list after a JSON round trip
            object.__setattr__(self, "notes", tuple(self.notes))
        if self.memory not in _MEMORY_VALUES:
            raise ValueError(f"memory={self.memory!r}: expected one of {_MEMORY_VALUES}")
        if self.pids not in _PIDS_VALUES:
            raise ValueError(f"pids={self.pids!r}: expected one of {_PIDS_VALUES}")
        if self.tmp == "tmpdir" and self.tmp_backend != "none":
            raise ValueError(f"tmp='tmpdir' takes tmp_backend='none', not {self.tmp_backend!r}")
        if self.tmp == "mount-namespace" and self.tmp_backend not in ("ext4-loop", "tmpfs", "bind"):
            raise ValueError(f"tmp='mount-namespace' needs a tmp_backend, got {self.tmp_backend!r}")
        if self.tmp not in ("mount-namespace", "tmpdir"):
            raise ValueError(f"tmp={self.tmp!r}: expected 'mount-namespace' or 'tmpdir'")
        if self.landlock_fs and not self.landlock:
            raise ValueError("landlock_fs=True needs a Landlock ABI (landlock > 0)")

    @property
    def namespaces(self) -> bool:
        """The environment gets its own mount namespace."""
        return self.tmp == "mount-namespace" or self.read_only_root

    @property
    def tmp_size_enforced(self) -> bool:
        """The kernel enforces the /tmp size (ENOSPC); otherwise poll :func:`tmp_usage_mb`."""
        return self.tmp_backend in ("ext4-loop", "tmpfs")

    @property
    def landlock_scope(self) -> bool:
        """Landlock scopes the handler (no PID namespace to do it)."""
        return self.landlock > 0 and not self.pid_namespace

    @property
    def landlock_writes(self) -> bool:
        """Landlock limits where the handler writes (no read-only root to do it)."""
        return self.landlock_fs and not self.read_only_root

    def describe(self) -> str:
        """One line for the pytest report header."""
        if self.tmp == "mount-namespace":
            detail = {
                "ext4-loop": "ext4 loop",
                "tmpfs": "tmpfs",
                "bind": "bind, size polled",
            }[self.tmp_backend]
            tmp = f"mount-namespace({detail}{', userns' if self.user_namespace else ''})"
        else:
            tmp = "tmpdir(size polled)"
        fs = (
            "read-only"
            if self.read_only_root
            else "landlock(writes: /tmp, TMPDIR, /dev)"
            if self.landlock_writes
            else "read-write"
        )
        pid = (
            " pid=namespace"
            if self.pid_namespace
            else f" pid=landlock-scoped(abi {self.landlock})"
            if self.landlock_scope
            else ""
        )
        return f"memory={self.memory} pids={self.pids} tmp={tmp} fs={fs}{pid}"


@dataclass(frozen=True)
class _Probe:
    mechanisms: Mechanisms
    #: (version, directory under which environment cgroups are created) per controller.
    memory_base: tuple[int, str] | None
    pids_base: tuple[int, str] | None
    #: cgroup v2: the per-process parent directory to create (with its subtree_control).
    v2_base: str | None
    v2_controllers: tuple[str, ...]
    mkfs: str | None


_probe_lock = threading.Lock()
_probe_cache: _Probe | None = None


def detect(*, refresh: bool = False, spec: str | None = None) -> Mechanisms:
    """Return the mechanisms in force: the strongest the machine allows, minus what ``spec``
    (default: the ``PYTEST_LAMBDA_MECHANISMS`` environment variable) switches off.

    The probe runs once per process (cached; ``refresh=True`` runs it again), costs a few
    milliseconds (a probe cgroup created and removed, one short-lived forked child that tries a
    mount namespace), leaves nothing behind and never raises.
    """
    probe = _get_probe(refresh)
    if spec is None:
        spec = os.environ.get(ENV_VAR, "")
    return apply_override(probe.mechanisms, spec)


def apply_override(base: Mechanisms, spec: str) -> Mechanisms:
    """Apply a ``key=value,...`` override to ``base``; only weaker mechanisms can be chosen.

    Keys: ``memory`` (``cgroup-v2``, ``cgroup-v1``, ``rss-poll``), ``pids`` (``cgroup-v2``,
    ``cgroup-v1``, ``none``), ``tmp`` (``tmpdir``, ``mount-namespace``, or a backend
    ``ext4-loop``, ``tmpfs``, ``bind``), ``fs`` (``read-only``/``ro``, ``read-write``/``rw``),
    ``pid`` (``host``, ``namespace``), ``landlock`` (``off``). ``fs=landlock`` asks for the
    Landlock write rules instead of a read-only root (what a machine without namespaces gets).
    ``tmp=tmpfs`` with a memory cgroup also switches memory to ``rss-poll``: tmpfs pages are
    charged to the writer's cgroup, so /tmp would count against the function's memory.
    Unknown keys, bad values and mechanisms the machine lacks are ignored with a note in
    ``Mechanisms.notes``; this function never raises.
    """
    notes = list(base.notes)
    memory, pids = base.memory, base.pids
    tmp, backend, read_only = base.tmp, base.tmp_backend, base.read_only_root
    pid_namespace = base.pid_namespace
    landlock, landlock_fs = base.landlock, base.landlock_fs
    memories: dict[str, MemoryMechanism] = {base.memory: base.memory, "rss-poll": "rss-poll"}
    pid_kinds: dict[str, PidsMechanism] = {base.pids: base.pids, "none": "none"}
    backends: dict[str, TmpBackend] = {}
    if base.tmp == "mount-namespace":
        weaker = _BACKEND_ORDER[_BACKEND_ORDER.index(base.tmp_backend) : -1]
        backends = {b: b for b in weaker}
        backends["mount-namespace"] = base.tmp_backend
    applied = False
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        key, sep, value = (part.strip().lower() for part in item.partition("="))
        where = f"{ENV_VAR} item {item!r}"
        if not sep:
            notes.append(f"{where} ignored: expected key=value")
        elif key == "memory":
            if value in memories:
                memory, applied = memories[value], True
            else:
                notes.append(
                    f"{where} ignored: not available here (choose from {', '.join(memories)})"
                )
        elif key == "pids":
            if value in pid_kinds:
                pids, applied = pid_kinds[value], True
            else:
                notes.append(
                    f"{where} ignored: not available here (choose from {', '.join(pid_kinds)})"
                )
        elif key == "tmp":
            if value == "tmpdir":
                tmp, backend, applied = "tmpdir", "none", True
            elif value in backends:
                tmp, backend, applied = "mount-namespace", backends[value], True
            else:
                notes.append(
                    f"{where} ignored: not available here (choose from "
                    f"{', '.join([*backends, 'tmpdir'])})"
                )
        elif key in ("fs", "read_only_root"):
            if value in ("rw", "read-write", "false", "0", "no"):
                read_only, landlock_fs, applied = False, False, True
            elif value in ("ro", "read-only", "true", "1", "yes") and base.read_only_root:
                read_only, applied = True, True
            elif value == "landlock" and landlock:
                read_only, landlock_fs, applied = False, True, True
            else:
                notes.append(
                    f"{where} ignored: expected fs=read-write, fs=read-only where"
                    " a mount namespace is available, or fs=landlock where Landlock is"
                )
        elif key == "pid":
            if value == "host":
                pid_namespace, applied = False, True
            elif value == "namespace" and base.pid_namespace:
                pid_namespace, applied = True, True
            else:
                notes.append(
                    f"{where} ignored: expected pid=host, or pid=namespace where"
                    " a PID namespace is available"
                )
        elif key == "landlock":
            if value in ("off", "0", "no", "false", "none"):
                landlock, landlock_fs, applied = 0, False, True
            else:
                notes.append(f"{where} ignored: expected landlock=off")
        else:
            notes.append(
                f"{where} ignored: unknown key {key!r} (use memory, pids, tmp, fs, pid, landlock)"
            )
    if tmp == "mount-namespace" and backend == "tmpfs" and memory != "rss-poll":
        memory = "rss-poll"
        notes.append(
            "memory: rss-poll, because /tmp is a tmpfs: its pages would be charged to the "
            "function's memory cgroup (a full /tmp would OOM-kill instead of ENOSPC)"
        )
    if applied:
        notes.append(f"{ENV_VAR}={spec!r} applied")
    if not applied and len(notes) == len(base.notes):
        return base
    return replace(
        base,
        memory=memory,
        pids=pids,
        tmp=tmp,
        tmp_backend=backend,
        read_only_root=read_only,
        landlock=landlock,
        landlock_fs=landlock_fs and landlock > 0,
        notes=tuple(notes),
        user_namespace=base.user_namespace and (tmp == "mount-namespace" or read_only),
        # The fresh /proc needs the mount namespace.
        pid_namespace=pid_namespace and (tmp == "mount-namespace" or read_only),
    )


def _get_probe(refresh: bool = False) -> _Probe:
    global _probe_cache
    with _probe_lock:
        if _probe_cache is None or refresh:
            try:
                _probe_cache = _run_probe()
            except Exception as exc:  # pragma: no cover - the probe guards each step itself
                _probe_cache = _Probe(
                    Mechanisms(
                        "rss-poll", "none", "tmpdir", False, notes=(f"probe failed: {exc!r}",)
                    ),
                    None,
                    None,
                    None,
                    (),
                    None,
                )
        return _probe_cache


class _Mount(NamedTuple):
    mount_id: int
    parent_id: int
    root: str
    mountpoint: str
    options: frozenset[str]
    fstype: str
    source: str
    super_options: frozenset[str]


_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


def _read_mountinfo(path: str = "/proc/self/mountinfo") -> list[_Mount]:
    mounts: list[_Mount] = []
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError:
        return mounts
    for line in lines:
        left, sep, right = line.partition(" - ")
        parts, tail = left.split(), right.split()
        if not sep or len(parts) < 6 or len(tail) < 3:
            continue
        mounts.append(
            _Mount(
                int(parts[0]),
                int(parts[1]),
                _unescape(parts[3]),
                _unescape(parts[4]),
                frozenset(parts[5].split(",")),
                tail[0],
                _unescape(tail[1]),
                frozenset(tail[2].split(",")),
            )
        )
    return mounts


def _read_proc_cgroup() -> dict[str, str]:
    """Controller -> cgroup path of this process; the v2 (unified) entry is under ``""``."""
    out: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for name in controllers.split(",") if controllers else [""]:
                    out[name] = path
    except (OSError, ValueError):
        pass
    return out


def _mount_dir(mount: _Mount, path: str) -> str | None:
    """Where cgroup ``path`` (as in /proc/self/cgroup) is inside the mounted hierarchy."""
    root = mount.root.rstrip("/")
    if root and path != root and not path.startswith(root + "/"):
        return None
    rel = path[len(root) :].lstrip("/")
    return os.path.join(mount.mountpoint, rel) if rel else mount.mountpoint


def _write(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _probe_v1(
    controller: str, mounts: list[_Mount], paths: dict[str, str], notes: list[str]
) -> str | None:
    mount = next(
        (m for m in mounts if m.fstype == "cgroup" and controller in m.super_options), None
    )
    if mount is None or controller not in paths:
        return None
    base = _mount_dir(mount, paths[controller])
    if base is None or not os.path.isdir(base):
        notes.append(
            f"{controller} cgroup v1: our cgroup {paths[controller]!r} is not visible "
            f"under {mount.mountpoint}"
        )
        return None
    limit_file = "memory.limit_in_bytes" if controller == "memory" else "pids.max"
    probe = os.path.join(base, f"{CGROUP_PREFIX}{owner_tag()}.probe{threading.get_ident()}")
    try:
        os.mkdir(probe)
    except OSError as exc:
        notes.append(
            f"{controller} cgroup v1: cannot create a cgroup in {base} "
            f"({exc.strerror}); run as root for an exact {controller} limit"
        )
        return None
    try:
        _write(
            os.path.join(probe, limit_file), str(256 * MIB) if controller == "memory" else "1024"
        )
    except OSError as exc:
        notes.append(f"{controller} cgroup v1: cannot set {limit_file} ({exc.strerror})")
        return None
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(probe)
    return base


def _probe_v2(mounts: list[_Mount], notes: list[str]) -> tuple[str | None, tuple[str, ...]]:
    mount = next((m for m in mounts if m.fstype == "cgroup2"), None)
    if mount is None:
        return None, ()
    top = mount.mountpoint
    try:
        enabled = _read(os.path.join(top, "cgroup.subtree_control")).split()
    except OSError:
        return None, ()
    wanted = tuple(c for c in ("memory", "pids") if c in enabled)
    if not wanted:
        try:
            available = _read(os.path.join(top, "cgroup.controllers")).split()
        except OSError:
            available = []
        if "memory" in available:
            notes.append(
                f"cgroup v2: memory is not enabled in {top}/cgroup.subtree_control "
                f"(as root: echo '+memory +pids' > {top}/cgroup.subtree_control)"
            )
        return None, ()
    base = os.path.join(top, f"{CGROUP_PREFIX}{owner_tag()}")
    created = False
    probe = os.path.join(base, f"probe.{threading.get_ident()}")
    try:
        if not os.path.isdir(base):
            os.mkdir(base)
            created = True
        _write(os.path.join(base, "cgroup.subtree_control"), " ".join(f"+{c}" for c in wanted))
        os.mkdir(probe)
        ok = tuple(c for c in wanted if os.path.exists(os.path.join(probe, f"{c}.max")))
        os.rmdir(probe)
        return (base, ok) if ok else (None, ())
    except OSError as exc:
        notes.append(
            f"cgroup v2: cannot create cgroups under {top} ({exc.strerror}); "
            "run as root for exact memory and pids limits"
        )
        with contextlib.suppress(OSError):
            os.rmdir(probe)
        return None, ()
    finally:
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(base)


# Bits the namespace probe child reports.
_NS_OK, _NS_TMPFS, _NS_RO, _NS_LOOP, _NS_USERNS, _NS_PID = 1, 2, 4, 8, 16, 32


def _probe_namespaces(notes: list[str]) -> int:
    try:
        libc = _libc()
    except (OSError, ImportError) as exc:
        notes.append(f"namespaces: ctypes/libc not loadable ({exc})")
        return 0
    uid, gid, euid = os.getuid(), os.getgid(), os.geteuid()
    rfd, wfd = os.pipe()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            pid = os.fork()
    except OSError as exc:
        os.close(rfd)
        os.close(wfd)
        notes.append(f"namespaces: cannot fork a probe ({exc.strerror})")
        return 0
    if pid == 0:  # pragma: no cover - runs in the probe child
        bits = 0
        try:
            os.close(rfd)
            bits = _namespace_probe_child(libc, uid, gid, euid)
        finally:
            with contextlib.suppress(BaseException):
                os.write(wfd, bytes([bits]))
            os._exit(0)
    os.close(wfd)
    bits = 0
    try:
        import select

        ready, _, _ = select.select([rfd], [], [], 2.0)
        if ready:
            data = os.read(rfd, 1)
            bits = data[0] if data else 0
        else:
            notes.append("namespaces: the probe did not answer within 2 s")
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    finally:
        os.close(rfd)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)
    return bits


def _namespace_probe_child(libc: Any, uid: int, gid: int, euid: int) -> int:  # pragma: no cover
    bits = 0
    userns = False
    if euid != 0 or libc.unshare(CLONE_NEWNS) != 0:
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
            return 0
        userns = True
        try:
            _map_ids(uid, gid)
        except OSError:
            return 0
        bits |= _NS_USERNS
    if _mount(libc, None, "/", None, MS_REC | MS_PRIVATE) != 0:
        return bits
    bits |= _NS_OK
    if _mount(libc, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") == 0:
        bits |= _NS_TMPFS
    root = next((m for m in reversed(_read_mountinfo()) if m.mountpoint == "/"), None)
    if root is not None:
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | _mount_flags(root.options)
        if "ro" in root.options or _mount(libc, None, "/", None, flags) == 0:
            bits |= _NS_RO
    if not userns:
        try:
            os.close(os.open("/dev/loop-control", os.O_RDWR | os.O_CLOEXEC))
            bits |= _NS_LOOP
        except OSError:
            pass
    if libc.unshare(CLONE_NEWPID) == 0:
        # A PID namespace is only useful with a fresh /proc, which its pid 1 must mount.
        child = os.fork()
        if child == 0:
            ok = os.getpid() == 1 and _mount_proc(libc) == 0 and os.path.exists("/proc/1/stat")
            os._exit(0 if ok else 1)
        _, status = os.waitpid(child, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            bits |= _NS_PID
    return bits


def _find_mkfs() -> str | None:
    path = os.environ.get("PATH", os.defpath) + ":/usr/local/sbin:/usr/sbin:/sbin"
    return shutil.which("mkfs.ext4", path=path) or shutil.which("mke2fs", path=path)


def _ext4_supported() -> bool:
    try:
        return any(
            line.split()[-1] == "ext4"
            for line in _read("/proc/filesystems").splitlines()
            if line.strip()
        )
    except OSError:
        return False


def _run_probe() -> _Probe:
    notes: list[str] = []
    mounts = _read_mountinfo()
    paths = _read_proc_cgroup()
    _sweep_stale(mounts, paths)

    v2_base, v2_controllers = _probe_v2(mounts, notes)
    memory: MemoryMechanism = "rss-poll"
    pids: PidsMechanism = "none"
    memory_base: tuple[int, str] | None = None
    pids_base: tuple[int, str] | None = None
    if v2_base is not None and "memory" in v2_controllers:
        memory, memory_base = "cgroup-v2", (2, v2_base)
    else:
        base = _probe_v1("memory", mounts, paths, notes)
        if base is not None:
            memory, memory_base = "cgroup-v1", (1, base)
    if v2_base is not None and "pids" in v2_controllers:
        pids, pids_base = "cgroup-v2", (2, v2_base)
    else:
        base = _probe_v1("pids", mounts, paths, notes)
        if base is not None:
            pids, pids_base = "cgroup-v1", (1, base)
    if memory == "rss-poll":
        notes.append(
            "memory: no writable memory cgroup; polling the RSS of the process group "
            "(a fast allocator overshoots by what it allocates in one 5 ms poll)"
        )
    if pids == "none":
        notes.append("processes/threads: no writable pids cgroup; the 1,024 limit is not enforced")

    bits = _probe_namespaces(notes)
    mkfs = _find_mkfs()
    tmp: TmpMechanism = "tmpdir"
    backend: TmpBackend = "none"
    if bits & _NS_OK:
        tmp = "mount-namespace"
        if bits & _NS_LOOP and mkfs and _ext4_supported():
            backend = "ext4-loop"
        elif bits & _NS_TMPFS and memory == "rss-poll":
            backend = "tmpfs"
        else:
            backend = "bind"
            why = (
                "no loop devices"
                if not bits & _NS_LOOP
                else "mkfs.ext4 not found"
                if not mkfs
                else "no ext4 in the kernel"
            )
            notes.append(
                f"/tmp: {why}; a tmpfs would be charged to the memory cgroup, so /tmp "
                "is a private directory whose size the parent polls"
            )
        if not bits & _NS_PID:
            notes.append(
                "pid: no PID namespace with a fresh /proc here; handlers see and can signal "
                "the machine's other processes"
            )
    else:
        notes.append(
            "/tmp: no mount namespace (needs root or unprivileged user namespaces); "
            "/tmp is a private directory behind TMPDIR whose size the parent polls, "
            "and the rest of the file system stays writable"
        )
    landlock = _landlock_abi()
    if landlock and not bits & _NS_RO:
        notes.append(
            f"fs: no read-only root; Landlock (ABI {landlock}) lets handlers write only under "
            "/tmp, their TMPDIR and /dev"
        )
    if landlock and not (bits & _NS_OK and bits & _NS_PID):
        notes.append(
            f"pid: Landlock (ABI {landlock}) keeps handlers from reading or tracing other "
            "processes" + (" and from signalling them" if landlock >= _LANDLOCK_SCOPE_ABI else "")
        )
    mechanisms = Mechanisms(
        memory=memory,
        pids=pids,
        tmp=tmp,
        read_only_root=bool(bits & _NS_RO),
        landlock=landlock,
        landlock_fs=landlock > 0 and not bits & _NS_RO,
        tmp_backend=backend,
        user_namespace=bool(bits & _NS_USERNS),
        pid_namespace=bool(bits & _NS_OK and bits & _NS_PID),
        notes=tuple(notes),
    )
    return _Probe(mechanisms, memory_base, pids_base, v2_base, v2_controllers, mkfs)


_owner_cache: tuple[int, str] = (-1, "")


def _start_time(pid: int | str) -> int | None:
    """Start time of a process in clock ticks since boot (``/proc/<pid>/stat`` field 22)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return int(data[data.rfind(b")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def owner_tag() -> str:
    """``<pid>-<start time>-<pid namespace inode>``: names this process's cgroups so that a
    later sweep removes only those of dead owners, never those of a live process in another
    pid namespace (containers sharing the cgroup tree) or of a process that reused the pid."""
    global _owner_cache
    pid = os.getpid()
    if _owner_cache[0] != pid:
        try:
            ns = os.stat("/proc/self/ns/pid").st_ino
        except OSError:
            ns = 0
        _owner_cache = (pid, f"{pid}-{_start_time('self') or 0}-{ns}")
    return _owner_cache[1]


def _owner_dead(tag_pid: int, tag_start: int, tag_ns: int) -> bool:
    try:
        ns = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return False
    if tag_ns != ns or tag_pid == os.getpid():
        return False  # another pid namespace: we cannot tell, so leave it
    start = _start_time(tag_pid)
    return start is None or start != tag_start


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _cgroup_procs(directory: str) -> list[int]:
    try:
        return [int(x) for x in _read(os.path.join(directory, "cgroup.procs")).split()]
    except (OSError, ValueError):
        return []


def _kill_and_remove(directory: str, deadline: float) -> bool:
    """SIGKILL everything in a cgroup (and its children), then rmdir it. Never raises."""
    try:
        children = [e.path for e in os.scandir(directory) if e.is_dir(follow_symlinks=False)]
    except OSError:
        children = []
    for child in children:
        _kill_and_remove(child, deadline)
    kill_file = os.path.join(directory, "cgroup.kill")
    delay = 0.0001
    while True:
        pids = _cgroup_procs(directory)
        if not pids:
            break
        if os.path.exists(kill_file):
            with contextlib.suppress(OSError):
                _write(kill_file, "1")
        else:
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.02)
    while True:
        try:
            os.rmdir(directory)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)


_OWNER_NAME = re.compile(re.escape(CGROUP_PREFIX) + r"(\d+)-(\d+)-(\d+)(?:\.|$)")


def _sweep_stale(mounts: list[_Mount], paths: dict[str, str]) -> None:
    """Remove cgroups left by pytest-lambda processes that died without closing them."""
    bases: set[str] = set()
    for mount in mounts:
        if mount.fstype == "cgroup2":
            bases.add(mount.mountpoint)
        elif mount.fstype == "cgroup":
            for controller in ("memory", "pids"):
                if controller in mount.super_options and controller in paths:
                    d = _mount_dir(mount, paths[controller])
                    if d:
                        bases.add(d)
    deadline = time.monotonic() + 1.0
    for base in bases:
        try:
            entries = [e for e in os.scandir(base) if e.name.startswith(CGROUP_PREFIX)]
        except OSError:
            continue
        for entry in entries:
            match = _OWNER_NAME.match(entry.name)
            if match and _owner_dead(*(int(g) for g in match.groups())):
                _kill_and_remove(entry.path, deadline)


# ----------------------------------------------------------------------------------------
# Cgroups (parent side) and join (child side)
# ----------------------------------------------------------------------------------------

_cgroup_lock = threading.Lock()
_cgroup_counter = 0
_v2_users = 0


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:48]
    return cleaned or "env"


class Cgroup:
    """The cgroups of one execution environment (parent side).

    ``procs_file`` is what the environment passes to :func:`join` right after fork: one path,
    or several separated by ``os.pathsep`` when memory and pids are separate v1 hierarchies;
    ``None`` when neither is a cgroup. With ``memory="rss-poll"`` the memory methods return 0
    and ``False``; the parent polls :func:`group_rss_mb` instead.
    """

    procs_file: str | None

    def __init__(
        self, name: str, *, memory_mb: int, pids_max: int = 1024, mechanisms: Mechanisms
    ) -> None:
        if not isinstance(memory_mb, int) or memory_mb < 1:
            raise ValueError(f"memory_mb={memory_mb!r}: expected a positive number of MB")
        if not isinstance(pids_max, int) or pids_max < 1:
            raise ValueError(f"pids_max={pids_max!r}: expected a positive number of tasks")
        global _cgroup_counter, _v2_users
        self.name = name
        self.memory_mb = memory_mb
        self.pids_max = pids_max
        self.mechanisms = mechanisms
        self.procs_file = None
        self.directories: tuple[str, ...] = ()
        self._memory_dir: str | None = None
        self._memory_version = 0
        self._pids_dir: str | None = None
        self._peak_fd = -1
        self._peak_resettable = False
        self._peak_at_reset = 0
        self._last_peak = 0.0
        self._oom_count = 0
        self._closed = False
        self._uses_v2 = False
        if mechanisms.memory == "rss-poll" and mechanisms.pids == "none":
            return
        probe = _get_probe()
        with _cgroup_lock:
            _cgroup_counter += 1
            leaf = f"{CGROUP_PREFIX}{owner_tag()}.{_safe_name(name)}.{_cgroup_counter}"
        try:
            self._create(probe, leaf)
        except BaseException:
            self.close()
            raise

    def _create(self, probe: _Probe, leaf: str) -> None:
        global _v2_users
        mech = self.mechanisms
        made: list[str] = []
        want_v2: list[str] = []
        if mech.memory == "cgroup-v2":
            want_v2.append("memory")
        if mech.pids == "cgroup-v2":
            want_v2.append("pids")
        for controller in want_v2:
            if probe.v2_base is None or controller not in probe.v2_controllers:
                raise SandboxError(
                    f"{controller}=cgroup-v2 was requested but no writable cgroup v2 with "
                    f"{controller} was found; set {ENV_VAR}=memory=rss-poll,pids=none"
                )
        if want_v2 and probe.v2_base is not None:
            with _cgroup_lock:
                _v2_users += 1
                self._uses_v2 = True
                base = probe.v2_base
                try:
                    if not os.path.isdir(base):
                        os.mkdir(base)
                    _write(
                        os.path.join(base, "cgroup.subtree_control"),
                        " ".join(f"+{c}" for c in probe.v2_controllers),
                    )
                except OSError as exc:
                    raise SandboxError(f"cannot prepare cgroup v2 parent {base}: {exc}") from exc
            directory = os.path.join(base, leaf)
            self._mkdir(directory)
            made.append(directory)
            if "memory" in want_v2:
                self._memory_dir, self._memory_version = directory, 2
                self._set(directory, "memory.max", str(self.memory_mb * MIB))
                self._set(directory, "memory.swap.max", "0", optional=True)
                self._set(directory, "memory.oom.group", "1", optional=True)
                self._open_peak(directory)
            if "pids" in want_v2:
                self._pids_dir = directory
                self._set(directory, "pids.max", str(self.pids_max))
        if mech.memory == "cgroup-v1":
            if probe.memory_base is None or probe.memory_base[0] != 1:
                raise SandboxError(
                    f"memory=cgroup-v1 was requested but no writable v1 memory "
                    f"cgroup was found; set {ENV_VAR}=memory=rss-poll"
                )
            directory = os.path.join(probe.memory_base[1], leaf)
            self._mkdir(directory)
            made.append(directory)
            self._memory_dir, self._memory_version = directory, 1
            self._set(directory, "memory.limit_in_bytes", str(self.memory_mb * MIB))
            # Read after every invocation (Max Memory Used): kept open, read with pread.
            with contextlib.suppress(OSError):
                self._peak_fd = os.open(
                    os.path.join(directory, "memory.max_usage_in_bytes"),
                    os.O_RDWR | os.O_CLOEXEC,
                )
            self._set(
                directory, "memory.memsw.limit_in_bytes", str(self.memory_mb * MIB), optional=True
            )
        if mech.pids == "cgroup-v1":
            if probe.pids_base is None or probe.pids_base[0] != 1:
                raise SandboxError(
                    f"pids=cgroup-v1 was requested but no writable v1 pids "
                    f"cgroup was found; set {ENV_VAR}=pids=none"
                )
            directory = os.path.join(probe.pids_base[1], leaf)
            self._mkdir(directory)
            made.append(directory)
            self._pids_dir = directory
            self._set(directory, "pids.max", str(self.pids_max))
        self.directories = tuple(made)
        files = [os.path.join(d, "cgroup.procs") for d in made]
        if any(_SEP in f for f in files):
            raise SandboxError(f"cgroup path contains {_SEP!r}, which procs_file cannot carry")
        self.procs_file = _SEP.join(files) or None

    def _mkdir(self, directory: str) -> None:
        try:
            os.mkdir(directory)
        except OSError as exc:
            raise SandboxError(
                f"cannot create cgroup {directory}: {exc.strerror}; run as root, or set "
                f"{ENV_VAR}=memory=rss-poll,pids=none"
            ) from exc
        self.directories = (*self.directories, directory)

    @staticmethod
    def _set(directory: str, name: str, value: str, optional: bool = False) -> None:
        path = os.path.join(directory, name)
        try:
            _write(path, value)
        except OSError as exc:
            if optional:
                return
            raise SandboxError(f"cannot write {value!r} to {path}: {exc.strerror}") from exc

    def _open_peak(self, directory: str) -> None:
        path = os.path.join(directory, "memory.peak")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
            try:
                os.write(fd, b"reset\n")
                self._peak_resettable = True
            except OSError:
                pass
            self._peak_fd = fd
        except OSError:
            with contextlib.suppress(OSError):
                self._peak_fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    # -- measurements --------------------------------------------------------------------

    def _read_int(self, name: str) -> int | None:
        if self._memory_dir is None:
            return None
        try:
            return int(_read(os.path.join(self._memory_dir, name)).split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _raw_peak(self) -> int | None:
        if self._memory_version == 1 and self._peak_fd < 0:
            return self._read_int("memory.max_usage_in_bytes")
        if self._peak_fd >= 0:
            try:
                return int(os.pread(self._peak_fd, 64, 0).split()[0])
            except (OSError, ValueError, IndexError):
                return None
        return None

    def usage_mb(self) -> float:
        """Memory charged to the environment now (includes /tmp page cache, reclaimable)."""
        name = "memory.usage_in_bytes" if self._memory_version == 1 else "memory.current"
        value = self._read_int(name)
        return value / MIB if value is not None else 0.0

    def peak_memory_mb(self) -> float:
        """Highest memory charged since creation or the last :meth:`reset_peak`, in MB.

        Includes page cache, so /tmp writes count until reclaimed (they are reclaimed, not
        OOM-killed, when the handler needs the memory). cgroup v2 kernels older than 6.12
        cannot reset ``memory.peak``: there the value is the lifetime peak if no new peak was
        reached since the reset, and the exact peak otherwise.
        """
        if self._closed or self._memory_dir is None:
            return self._last_peak
        raw = self._raw_peak()
        if raw is None:
            return self._last_peak
        if self._memory_version == 2 and not self._peak_resettable and raw <= self._peak_at_reset:
            current = self._read_int("memory.current") or 0
            raw = max(current, self._peak_at_reset)
        self._last_peak = raw / MIB
        return self._last_peak

    def reset_peak(self) -> None:
        """Start a new "Max Memory Used" window (per invocation)."""
        if self._closed or self._memory_dir is None:
            return
        if self._memory_version == 1:
            with contextlib.suppress(OSError):
                if self._peak_fd >= 0:
                    os.pwrite(self._peak_fd, b"0", 0)
                else:
                    _write(os.path.join(self._memory_dir, "memory.max_usage_in_bytes"), "0")
        elif self._peak_resettable:
            with contextlib.suppress(OSError):
                os.write(self._peak_fd, b"reset\n")
        else:
            self._peak_at_reset = self._raw_peak() or 0
        self._last_peak = 0.0

    def oom_kill_count(self) -> int:
        """How many processes the kernel OOM killer has killed in this cgroup."""
        if self._closed or self._memory_dir is None:
            return self._oom_count
        name = "memory.oom_control" if self._memory_version == 1 else "memory.events"
        try:
            for line in _read(os.path.join(self._memory_dir, name)).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    self._oom_count = int(value)
        except (OSError, ValueError):
            pass
        return self._oom_count

    def oom_killed(self) -> bool:
        """The kernel OOM-killed something in this environment."""
        return self.oom_kill_count() > 0

    def pids(self) -> list[int]:
        """Processes in the environment's cgroups (empty without cgroups)."""
        found: set[int] = set()
        for directory in self.directories:
            found.update(_cgroup_procs(directory))
        return sorted(found)

    # -- teardown ------------------------------------------------------------------------

    def kill(self) -> None:
        """SIGKILL every process in the environment's cgroups. Never raises."""
        for directory in self.directories:
            pids = _cgroup_procs(directory)
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """Kill anything left, remove the cgroup directories. Idempotent; never raises."""
        global _v2_users
        if self._closed:
            return
        try:
            self.peak_memory_mb()
            self.oom_kill_count()
        except Exception:  # pragma: no cover - measurement is best effort
            pass
        self._closed = True
        deadline = time.monotonic() + 5.0
        for directory in reversed(self.directories):
            with contextlib.suppress(Exception):
                _kill_and_remove(directory, deadline)
        if self._peak_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._peak_fd)
            self._peak_fd = -1
        if self._uses_v2:
            with _cgroup_lock:
                _v2_users -= 1
                probe = _probe_cache
                if _v2_users == 0 and probe is not None and probe.v2_base is not None:
                    with contextlib.suppress(OSError):
                        os.rmdir(probe.v2_base)

    def __enter__(self) -> Cgroup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Cgroup({self.name!r}, memory_mb={self.memory_mb}, pids_max={self.pids_max}, "
            f"directories={self.directories!r}, closed={self._closed})"
        )


def join(procs_file: str | None) -> None:
    """Child side: move the calling process into the environment's cgroups.

    Call right after fork, before importing the handler. Raises :class:`SandboxError` when a
    cgroup cannot be joined (the limit would silently not apply).
    """
    if not procs_file:
        return
    pid = str(os.getpid())
    for path in procs_file.split(_SEP):
        try:
            _write(path, pid)
        except OSError as exc:
            raise SandboxError(f"cannot join cgroup {path}: {exc.strerror}") from exc


# ----------------------------------------------------------------------------------------
# RSS polling and /tmp usage (fallbacks)
# ----------------------------------------------------------------------------------------

_PAGE_SIZE: Final = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _scan_group(pgid: int) -> Iterator[tuple[int, int, int]]:
    """(pid, ppid, rss bytes) of every process whose process group is ``pgid``."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    for name in names:
        if not name.isdigit():
            continue
        try:
            fd = os.open(f"/proc/{name}/stat", os.O_RDONLY | os.O_CLOEXEC)
            try:
                data = os.read(fd, 1024)
            finally:
                os.close(fd)
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2 :].split()
        # After "pid (comm) ": state ppid pgrp ... ; rss (pages) is field 24 of stat.
        try:
            if int(fields[2]) == pgid:
                yield int(name), int(fields[1]), int(fields[21]) * _PAGE_SIZE
        except (IndexError, ValueError):
            continue


def group_rss_mb(pgid: int) -> float:
    """Memory of the processes in process group ``pgid``, MB: the resident set (VmRSS) of the
    largest, plus only the private pages of the others.

    The fallback memory meter. One read of ``/proc/<pid>/stat`` per process on the machine,
    and of ``smaps_rollup`` per extra process in the group: the children a handler forks share
    their parent's pages copy-on-write, and summing their full resident sets would count those
    pages once per process (a fork bomb at 2 GB would read as several GB). Never raises.
    """
    members = list(_scan_group(pgid))
    # With a PID namespace, the group leader and its one child (pid 1 of the namespace) only
    # wait: copies of the zygote that share its pages and dirty a few hundred KB. Their RSS
    # would count the zygote twice more; the handler's memory is in the other processes.
    skip: set[int] = set()
    for pid, ppid, _ in members:
        if ppid == pgid and _is_namespace_init(pid, pgid):
            skip = {pid, pgid}
            break
    counted = sorted(((rss, pid) for pid, _, rss in members if pid not in skip), reverse=True)
    if not counted:
        return 0.0
    total = counted[0][0]
    for rss, pid in counted[1:]:
        total += _private_bytes(pid, rss)
    return total / MIB


def _private_bytes(pid: int, rss: int) -> int:
    """Private (unshared) resident bytes of ``pid`` (``smaps_rollup``), else its RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            data = f.read()
    except OSError:
        return rss
    private = 0
    for line in data.splitlines():
        if line.startswith((b"Private_Clean:", b"Private_Dirty:")):
            try:
                private += int(line.split()[1]) * 1024
            except (IndexError, ValueError):
                return rss
    return private


def _ns_pids(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return line.split()[1:]
    except OSError:
        pass
    return []


def _is_namespace_init(pid: int, parent: int) -> bool:
    """``pid`` is pid 1 of a PID namespace one level below ``parent``'s."""
    inner, outer = _ns_pids(pid), _ns_pids(parent)
    return bool(outer) and len(inner) == len(outer) + 1 and inner[-1] == "1"


def group_pids(pgid: int) -> list[int]:
    """Pids of the processes in process group ``pgid`` (from /proc). Never raises."""
    return sorted(pid for pid, _, _ in _scan_group(pgid))


def open_sync_handle(path: str) -> int:
    """An fd on the file system at ``path`` for :func:`sync_fs`, or -1. Open it before the
    handler writes: ``syncfs`` reports the write-back errors since the fd was opened."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return -1


def sync_fs(handle: int) -> int:
    """``syncfs(2)`` the file system behind ``handle``; return 0, or the errno of a write-back
    error since the fd was opened (Linux 5.8+: EIO or ENOSPC when the disk behind a sparse
    /tmp image filled up and the handler's data never reached it)."""
    if handle < 0:
        return 0
    libc = _libc()
    if int(libc.syncfs(handle)) == 0:
        return 0
    return _errno() or errno.EIO


def image_growth(st: os.stat_result) -> int:
    """Bytes a sparse image (``os.stat`` of it) may still take on its disk."""
    return max(0, st.st_size - st.st_blocks * 512)


def image_headroom(image: str) -> tuple[int, int]:
    """``(bytes the sparse image at image may still grow by, bytes free for it on its disk)``.
    The parent asks the runtime to sync /tmp after each request while the second is not
    comfortably above the first (a full disk under a sparse image loses data silently)."""
    vfs = os.statvfs(image)
    return image_growth(os.stat(image)), vfs.f_bavail * vfs.f_frsize


def tmp_usage_mb(path: str) -> float:
    """Space used by the files under ``path`` (allocated blocks, hard links once), in MB.

    The fallback /tmp meter. ``path`` itself is not counted; symlinks are not followed.
    Never raises (a missing ``path`` is 0).
    """
    total = 0
    seen: set[tuple[int, int]] = set()
    stack = [path]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode):
                        key = (st.st_dev, st.st_ino)
                        if key in seen:
                            continue
                        seen.add(key)
                    total += st.st_blocks * 512
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(entry.path)
        except OSError:
            continue
    return total / MIB


# ----------------------------------------------------------------------------------------
# /tmp image (parent side)
# ----------------------------------------------------------------------------------------

#: mkfs output captured once per image size: (size in bytes, [(offset, data), ...]).
_Template = tuple[int, tuple[tuple[int, bytes], ...]]
_templates: dict[int, _Template] = {}
_template_lock = threading.Lock()

#: ext4 holds back min(2% of blocks, 4096 blocks) of free space (s_resv_clusters) from
#: ordinary writes; the image is made larger by that much plus the inode tables (1/64 at one
#: 256-byte inode per 16 KiB) and group metadata, then the reservation is tuned at mount time
#: so that an empty /tmp has exactly ``tmp_mb`` available.
_MKFS_OPTIONS: Final = (
    "-q",
    "-F",
    "-t",
    "ext4",
    # No journal: /tmp does not outlive its environment's storage slot, and mounting without
    # one is faster on every cold start.
    "-O",
    "^has_journal",
    "-b",
    "4096",
    "-I",
    "256",
    "-i",
    "16384",
    "-m",
    "0",
    "-O",
    "^has_journal,^resize_inode,extent,flex_bg,sparse_super,large_file,huge_file,"
    "dir_nlink,extra_isize,filetype,dir_index",
    "-E",
    "nodiscard,lazy_itable_init=1,root_owner=0:0",
    "-L",
    "lambda-tmp",
)


def _image_bytes(tmp_mb: int) -> int:
    target = tmp_mb * (MIB // _BLOCK)
    blocks = target + target // 60 + 1024
    blocks += min(blocks // 50, 4096) + 64 * (blocks // 32768 + 1)
    return blocks * _BLOCK


def _fs_type(path: str) -> str:
    real = os.path.realpath(path)
    best, fstype = -1, ""
    for mount in _read_mountinfo():
        mp = mount.mountpoint
        if (real == mp or real.startswith(mp.rstrip("/") + "/")) and len(mp) > best:
            best, fstype = len(mp), mount.fstype
    return fstype


def _make_template(size: int, mkfs: str, scratch_dir: str) -> _Template:
    scratch = os.path.join(
        scratch_dir, f".pytest-lambda-mkfs.{os.getpid()}.{threading.get_ident()}"
    )
    try:
        with open(scratch, "wb") as f:
            f.truncate(size)
        env = {**os.environ, "MKE2FS_CONFIG": os.devnull + ".absent"}
        result = subprocess.run(
            [mkfs, *_MKFS_OPTIONS, scratch],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            raise SandboxError(
                f"{mkfs} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )
        # Lambda's /tmp is empty and world-writable: settle both once in the template, so no
        # environment pays for the metadata writes on its cold start.
        debugfs = shutil.which("debugfs", path=os.path.dirname(mkfs) + os.pathsep + "/sbin")
        if debugfs is not None:
            subprocess.run(
                [debugfs, "-w", "-f", "-", scratch],
                input="rmdir lost+found\nsif / mode 041777\n",
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        chunks: list[tuple[int, bytes]] = []
        fd = os.open(scratch, os.O_RDONLY | os.O_CLOEXEC)
        try:
            offset = 0
            while offset < size:
                try:
                    start = os.lseek(fd, offset, os.SEEK_DATA)
                except OSError as exc:
                    if exc.errno == errno.ENXIO:
                        break
                    raise
                end = os.lseek(fd, start, os.SEEK_HOLE)
                data = os.pread(fd, end - start, start)
                # Keep only the blocks that are not all zero.
                for pos in range(0, len(data), 1 << 16):
                    piece = data[pos : pos + (1 << 16)]
                    if piece.count(0) != len(piece):
                        chunks.append((start + pos, piece))
                offset = end
        finally:
            os.close(fd)
        return size, tuple(chunks)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(scratch)


def prepare_tmp_image(tmp_dir: str, tmp_mb: int, *, fresh: bool = False) -> str:
    """Parent side: create the ext4 image that backs an environment's /tmp; return its path.

    The image is a sparse file ``tmp_dir/.pytest-lambda-tmp.ext4`` (moved to ``/var/tmp`` with
    a symlink left in ``tmp_dir`` when ``tmp_dir`` is itself on a tmpfs, so that a full /tmp
    does not hold the developer's RAM). ``mkfs.ext4`` runs once per size and process;
    later images are written from that template. An existing image of the same size is kept
    (its files persist, like Lambda's /tmp across an environment reset) unless ``fresh``.
    Never mount one image in two live environments: :func:`enter_sandbox` refuses.
    """
    if not isinstance(tmp_mb, int) or not 1 <= tmp_mb <= 65536:
        raise ValueError(f"tmp_mb={tmp_mb!r}: expected whole MB between 1 and 65536")
    probe = _get_probe()
    if probe.mkfs is None:
        raise SandboxError(
            f"mkfs.ext4 (e2fsprogs) is not installed; install it, or set {ENV_VAR}=tmp=tmpdir"
        )
    os.makedirs(tmp_dir, exist_ok=True)
    link = os.path.join(tmp_dir, IMAGE_NAME)
    size = _image_bytes(tmp_mb)
    if not fresh:
        try:
            if os.stat(link).st_size == size:
                return link
        except OSError:
            pass
    remove_tmp_image(tmp_dir)
    target = link
    if _fs_type(tmp_dir) in _TMPFS_TYPES:
        spill = os.path.join("/var/tmp", f"pytest-lambda-{os.getuid()}")
        os.makedirs(spill, mode=0o700, exist_ok=True)
        if _fs_type(spill) not in _TMPFS_TYPES:
            _sweep_spilled(spill)
            target = os.path.join(spill, f"tmp.{os.getpid()}.{time.monotonic_ns()}.ext4")
    with _template_lock:
        template = _templates.get(size)
        if template is None:
            template = _templates[size] = _make_template(size, probe.mkfs, os.path.dirname(target))
    fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.ftruncate(fd, template[0])
        for offset, data in template[1]:
            os.pwrite(fd, data, offset)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise
    os.close(fd)
    if target != link:
        os.symlink(target, link)
    return link


def _sweep_spilled(spill: str) -> None:
    """Delete spilled images whose creating process has died."""
    with contextlib.suppress(OSError):
        for name in os.listdir(spill):
            parts = name.split(".")
            if (
                len(parts) == 4
                and parts[0] == "tmp"
                and parts[1].isdigit()
                and not _pid_alive(int(parts[1]))
            ):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(spill, name))


def remove_tmp_image(tmp_dir: str) -> None:
    """Delete the image made by :func:`prepare_tmp_image` (and its spilled target). Never
    raises. Safe while an environment still has it mounted: the kernel keeps the file until
    the environment's last process exits."""
    link = os.path.join(tmp_dir, IMAGE_NAME)
    with contextlib.suppress(OSError):
        if os.path.islink(link):
            target = os.readlink(link)
            with contextlib.suppress(OSError):
                os.unlink(target)
            with contextlib.suppress(OSError):
                os.rmdir(os.path.dirname(target))  # the spill directory, once empty
        os.unlink(link)


# ----------------------------------------------------------------------------------------
# enter_sandbox (child side)
# ----------------------------------------------------------------------------------------

_libc_handle: ctypes.CDLL | None = None


def _libc() -> ctypes.CDLL:
    global _libc_handle
    if _libc_handle is None:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
        ]
        libc.unshare.argtypes = [ctypes.c_int]
        libc.prctl.argtypes = [
            ctypes.c_int,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_ulong,
        ]
        libc.capget.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        libc.capset.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        _libc_handle = libc
    return _libc_handle


def preload() -> None:
    """Load what :func:`enter_sandbox` needs (ctypes, libc symbols) ahead of time.

    For the zygote: every environment it forks then skips that cost. Never raises.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = _libc()
        libc.prctl(PR_CAPBSET_READ, 0, 0, 0, 0)
        for name in ("unshare", "mount", "capget", "capset", "syncfs"):
            getattr(libc, name)
        _read_mountinfo()


def _errno() -> int:
    import ctypes

    return ctypes.get_errno()


def _mount(
    libc: Any,
    source: str | None,
    target: str,
    fstype: str | None,
    flags: int,
    data: str | None = None,
) -> int:
    """mount(2); returns 0 or the errno."""
    rc = int(
        libc.mount(
            source.encode() if source is not None else None,
            os.fsencode(target),
            fstype.encode() if fstype is not None else None,
            flags,
            data.encode() if data is not None else None,
        )
    )
    return 0 if rc == 0 else (_errno() or errno.EIO)


def _check(rc: int, what: str) -> None:
    if rc:
        raise SandboxError(f"{what} failed: {os.strerror(rc)} (errno {rc})")


def _mount_flags(options: Iterable[str]) -> int:
    """MS_* flags that keep a mount's per-mount options across a bind remount."""
    table = {
        "nosuid": MS_NOSUID,
        "nodev": MS_NODEV,
        "noexec": MS_NOEXEC,
        "noatime": MS_NOATIME,
        "nodiratime": MS_NODIRATIME,
        "relatime": MS_RELATIME,
        "nosymfollow": MS_NOSYMFOLLOW,
    }
    opts = set(options)
    flags = 0
    for name, bit in table.items():
        if name in opts:
            flags |= bit
    if not opts & {"noatime", "relatime"}:
        flags |= MS_STRICTATIME
    return flags


def _map_ids(uid: int, gid: int) -> None:
    """Map our own uid and gid into the new user namespace (the only mapping allowed)."""
    libc = _libc()
    if int(libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)) != 1:
        # After a setuid() the process is not dumpable and /proc/self/*_map belong to root.
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/") or "/"
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


def _attach_loop(image_fd: int) -> tuple[str, int]:
    """Attach ``image_fd`` to a free loop device with autoclear; return (device, open fd).

    Keep the fd open until the file system is mounted: with ``LO_FLAGS_AUTOCLEAR`` the device
    detaches itself as soon as nothing holds it, and from then on the mount holds it.
    """
    ctl = os.open("/dev/loop-control", os.O_RDWR | os.O_CLOEXEC)
    try:
        for _attempt in range(32):
            number = fcntl.ioctl(ctl, LOOP_CTL_GET_FREE)
            device = f"/dev/loop{number}"
            try:
                loop_fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                time.sleep(0.001)  # devtmpfs has not created the node yet
                continue
            for flags in (LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO, LO_FLAGS_AUTOCLEAR):
                config = bytearray(_LOOP_CONFIG_SIZE)
                struct.pack_into("=I", config, 0, image_fd)
                struct.pack_into("=I", config, _LO_FLAGS_OFFSET, flags)
                try:
                    fcntl.ioctl(loop_fd, LOOP_CONFIGURE, bytes(config))
                    return device, loop_fd
                except OSError as exc:
                    if exc.errno == errno.EBUSY:
                        break  # another process took this device: ask for another one
                    if exc.errno != errno.EINVAL or not flags & LO_FLAGS_DIRECT_IO:
                        os.close(loop_fd)
                        raise
            os.close(loop_fd)
        raise SandboxError("no free loop device after 32 attempts")
    finally:
        os.close(ctl)


# -- spare images: one ready /tmp per size, so a cold start does not build and attach one ----

_spares: dict[int, tuple[str, str, int]] = {}  # tmp_mb -> (image path, loop device, loop fd)
_filling: dict[int, threading.Thread] = {}
_spare_lock = threading.Lock()


_swept = False


def _spare_dir() -> str:
    global _swept
    spill = os.path.join("/var/tmp", f"pytest-lambda-{os.getuid()}")
    os.makedirs(spill, mode=0o700, exist_ok=True)
    if not _swept:  # images of test processes that died without cleaning up
        _sweep_spilled(spill)
        _swept = True
    return spill


def _fill_spare(tmp_mb: int) -> None:
    path = ""
    scratch = os.path.join(_spare_dir(), f"spare-{os.getpid()}-{tmp_mb}")
    try:
        os.makedirs(scratch, exist_ok=True)
        image = prepare_tmp_image(scratch, tmp_mb, fresh=True)
        path = os.path.realpath(image)
        if path != image:  # spilled: keep the target, drop the link
            os.unlink(image)
        else:  # move it out of the scratch directory, named for the sweep of dead owners
            path = os.path.join(_spare_dir(), f"tmp.{os.getpid()}.{time.monotonic_ns()}.ext4")
            os.rename(image, path)
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            device, loop_fd = _attach_loop(fd)
        finally:
            os.close(fd)
        with _spare_lock:
            if tmp_mb not in _spares:
                _spares[tmp_mb] = (path, device, loop_fd)
                path = ""
                return
        os.close(loop_fd)
    except Exception:
        pass
    finally:
        if path:
            with contextlib.suppress(OSError):
                os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(scratch)
        with _spare_lock:
            _filling.pop(tmp_mb, None)


def _refill(tmp_mb: int) -> None:
    with _spare_lock:
        if tmp_mb in _spares or tmp_mb in _filling:
            return
        thread = threading.Thread(target=_fill_spare, args=(tmp_mb,), daemon=True)
        _filling[tmp_mb] = thread
    thread.start()


def release_spares() -> None:
    """Detach and delete the spare images (at exit; also safe to call any time)."""
    for thread in list(_filling.values()):
        thread.join(timeout=5)
    with _spare_lock:
        spares = list(_spares.values())
        _spares.clear()
    for path, _device, loop_fd in spares:
        with contextlib.suppress(OSError):
            os.close(loop_fd)  # autoclear: the device detaches with its last holder
        with contextlib.suppress(OSError):
            os.unlink(path)


atexit.register(release_spares)


def ready_tmp_image(tmp_dir: str, tmp_mb: int) -> tuple[str, int]:
    """Parent side: ``tmp_dir``'s /tmp image, attached to a loop device: (device, fd).

    A slot that already has an image keeps it (its files survive an environment reset, as in
    Lambda); a new slot takes the spare of its size, if one is ready, and a new spare is made
    in the background. Close the fd once the environment has mounted the device.
    """
    link = os.path.join(tmp_dir, IMAGE_NAME)
    spare = None
    if not os.path.lexists(link):
        with _spare_lock:
            spare = _spares.pop(tmp_mb, None)
    _refill(tmp_mb)
    if spare is not None:
        path, device, loop_fd = spare
        os.makedirs(tmp_dir, exist_ok=True)
        os.symlink(path, link)
        return device, loop_fd
    prepare_tmp_image(tmp_dir, tmp_mb)
    return attach_tmp_image(tmp_dir)


def take_tmp_image(tmp_mb: int) -> tuple[str, str, int]:
    """Parent side: a fresh /tmp image of ``tmp_mb`` attached to a loop device, tied to no
    slot yet, for an environment prepared ahead of its function: (image path, device, fd).

    The caller links it into a slot (``os.symlink(path, os.path.join(tmp_dir, IMAGE_NAME))``)
    when the environment is given to a function, or unlinks it and closes the fd if not.
    """
    for _attempt in range(3):
        with _spare_lock:
            spare = _spares.pop(tmp_mb, None)
            filling = _filling.get(tmp_mb)
        if spare is not None:
            _refill(tmp_mb)
            return spare
        if filling is None:
            _refill(tmp_mb)
            with _spare_lock:
                filling = _filling.get(tmp_mb)
        if filling is not None:
            filling.join(timeout=30)
    raise SandboxError(f"could not make a {tmp_mb} MB /tmp image")


def attach_tmp_image(tmp_dir: str) -> tuple[str, int]:
    """Parent side: attach the image of :func:`prepare_tmp_image` to a loop device ahead of
    the environment's mount; returns (device, fd). Keep the fd open until the environment has
    mounted it (or died): with autoclear the device goes away when the last holder does."""
    image_fd = os.open(os.path.join(tmp_dir, IMAGE_NAME), os.O_RDWR | os.O_CLOEXEC)
    try:
        # The lock goes with the loop device's reference to this open file: no second live
        # environment can mount the image (enter_sandbox waits on the same lock).
        fcntl.flock(image_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return _attach_loop(image_fd)
    finally:
        os.close(image_fd)


def _exact_ext4_size(device: str, tmp_mb: int) -> None:
    """Tune ext4's reserved clusters so that an empty /tmp has exactly ``tmp_mb`` available."""
    knob = f"/sys/fs/ext4/{os.path.basename(device)}/reserved_clusters"
    st = os.statvfs("/tmp")
    # f_bavail = f_blocks - used - reserved; an empty file system uses one block (the root
    # directory), so this makes f_bavail == tmp_mb on an empty /tmp.
    wanted = st.f_blocks - 1 - tmp_mb * MIB // st.f_frsize
    if wanted >= 0:
        with contextlib.suppress(OSError):
            _write(knob, str(wanted))


def _mount_tmp(
    libc: Any,
    mechanisms: Mechanisms,
    tmp_mb: int,
    tmp_dir: str,
    image_fd: int,
    loop_device: str | None = None,
) -> None:
    backend = mechanisms.tmp_backend
    flags = MS_NOSUID | MS_NODEV
    if backend == "ext4-loop":
        # The parent may have attached the image already (attach_tmp_image), while this
        # process was being forked; it holds the device until the mount does.
        device, loop_fd = (loop_device, -1) if loop_device else _attach_loop(image_fd)
        try:
            _check(
                _mount(libc, device, "/tmp", "ext4", flags, "noinit_itable"),
                f"mounting the /tmp image on {device}",
            )
        finally:
            if loop_fd >= 0:
                os.close(loop_fd)
        with contextlib.suppress(OSError):
            os.rmdir("/tmp/lost+found")  # only without debugfs (see _make_template)
        if stat.S_IMODE(os.stat("/tmp").st_mode) != 0o1777:
            os.chmod("/tmp", 0o1777)
        _exact_ext4_size(device, tmp_mb)
    elif backend == "tmpfs":
        _check(
            _mount(libc, "tmpfs", "/tmp", "tmpfs", flags, f"size={tmp_mb}m,mode=1777"),
            "mounting a tmpfs on /tmp",
        )
    elif backend == "bind":
        os.makedirs(tmp_dir, exist_ok=True)
        _check(
            _mount(libc, tmp_dir, "/tmp", None, MS_BIND | MS_REC),
            f"bind-mounting {tmp_dir} on /tmp",
        )


def _expose_read_only(libc: Any, path: str, handle: int) -> None:
    """Bind the directory behind ``handle`` (hidden by the private /tmp) at ``path``,
    read-only, as Lambda's code directory is."""
    os.makedirs(path, exist_ok=True)
    _check(
        _mount(libc, f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC),
        f"showing {path} inside the private /tmp",
    )
    _mount(libc, None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _remount_read_only(libc: Any, keep_writable: tuple[str, ...], protect_proc: bool) -> None:
    failures: list[str] = []
    for mount in _read_mountinfo():
        mp = mount.mountpoint
        if "ro" in mount.options or any(_under(mp, k) for k in keep_writable):
            continue
        rc = _mount(
            libc, None, mp, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _mount_flags(mount.options)
        )
        if rc in (0, errno.ENOENT, errno.EINVAL, errno.ENOTDIR, errno.EACCES):
            # ENOENT/EINVAL/ENOTDIR: hidden under another mount, nothing to protect.
            continue
        failures.append(f"{mp} ({os.strerror(rc)})")
    if failures:
        raise SandboxError("could not make read-only: " + ", ".join(failures))
    if protect_proc:
        _protect_proc(libc)


def _protect_proc(libc: Any) -> None:
    for path in ("/proc/sys", "/proc/sysrq-trigger"):
        if _mount(libc, path, path, None, MS_BIND) == 0:
            _mount(
                libc,
                None,
                path,
                None,
                MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
            )


#: /dev as Lambda has it: no shm, no block devices.
_DEV_NODES: Final = (
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
)
_DEV_LINKS: Final = (
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
)


def _replace_dev(libc: Any, read_only: bool) -> None:
    old = os.open("/dev", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if (
            _mount(
                libc,
                "tmpfs",
                "/dev",
                "tmpfs",
                MS_NOSUID | MS_NOEXEC,
                "mode=755,size=64k,nr_inodes=64",
            )
            != 0
        ):
            # Keep the host's /dev, but make /dev/shm an empty read-only directory.
            _mount(
                libc,
                "tmpfs",
                "/dev/shm",
                "tmpfs",
                MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "size=4k,nr_inodes=1,mode=555",
            )
            return
        for name, major, minor in _DEV_NODES:
            path = f"/dev/{name}"
            try:
                os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
                os.chmod(path, 0o666)
            except OSError:
                # No CAP_MKNOD (user namespace): bind the host node instead.
                with contextlib.suppress(OSError):
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o666))
                _mount(libc, f"/proc/self/fd/{old}/{name}", path, None, MS_BIND)
        for name, target in _DEV_LINKS:
            with contextlib.suppress(OSError):
                os.symlink(target, f"/dev/{name}")
        os.mkdir("/dev/pts", 0o755)
        if (
            _mount(
                libc,
                "devpts",
                "/dev/pts",
                "devpts",
                MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620",
            )
            != 0
        ):
            _mount(libc, f"/proc/self/fd/{old}/pts", "/dev/pts", None, MS_BIND | MS_REC)
        if read_only:
            _mount(
                libc, None, "/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC
            )
    finally:
        os.close(old)


def _drop_capabilities(libc: Any, keep: frozenset[int]) -> None:
    try:
        last = int(_read("/proc/sys/kernel/cap_last_cap"))
    except (OSError, ValueError):
        last = 40
    for cap in range(last + 1):
        if cap not in keep:
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    mask = sum(1 << c for c in keep)
    header = struct.pack("=Ii", _CAP_VERSION_3, 0)
    data = bytearray(24)
    import ctypes

    hbuf = ctypes.create_string_buffer(header, len(header))
    dbuf = ctypes.create_string_buffer(bytes(data), len(data))
    if int(libc.capget(hbuf, dbuf)) != 0:
        return
    words = list(struct.unpack("=6I", dbuf.raw))
    for i in range(2):
        part = (mask >> (32 * i)) & 0xFFFFFFFF
        for j in range(3):
            words[3 * i + j] &= part
    dbuf = ctypes.create_string_buffer(struct.pack("=6I", *words), 24)
    if int(libc.capset(hbuf, dbuf)) != 0:
        raise SandboxError(f"capset failed: {os.strerror(_errno())}")


# Landlock (include/uapi/linux/landlock.h; the syscall numbers are the same on every
# architecture: 444-446). Documented at https://docs.kernel.org/userspace-api/landlock.html.
_SYS_LANDLOCK_CREATE_RULESET: Final = 444
_SYS_LANDLOCK_ADD_RULE: Final = 445
_SYS_LANDLOCK_RESTRICT_SELF: Final = 446
_LANDLOCK_CREATE_RULESET_VERSION: Final = 1
_LANDLOCK_RULE_PATH_BENEATH: Final = 1
PR_SET_NO_NEW_PRIVS: Final = 38
#: ABI from which ``scoped`` exists (``LANDLOCK_SCOPE_SIGNAL``, Linux 6.12).
_LANDLOCK_SCOPE_ABI: Final = 6
_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET: Final = 1 << 0
_LANDLOCK_SCOPE_SIGNAL: Final = 1 << 1
_FS_WRITE_FILE: Final = 1 << 1
_FS_READ_FILE: Final = 1 << 2
#: EXECUTE, WRITE_FILE, READ_FILE, TRUNCATE, IOCTL_DEV: the rights a rule on a file may hold.
_FS_FILE_RIGHTS: Final = 1 | (1 << 1) | (1 << 2) | (1 << 14) | (1 << 15)
#: WRITE_FILE, REMOVE_DIR/FILE and MAKE_CHAR/DIR/REG/SOCK/FIFO/BLOCK/SYM (ABI 1).
_FS_WRITES_V1: Final = (1 << 1) | sum(1 << b for b in range(4, 13))
_FS_MAKE_BLOCK: Final = 1 << 11
_FS_REFER: Final = 1 << 13  # ABI 2
_FS_TRUNCATE: Final = 1 << 14  # ABI 3


def _landlock_abi() -> int:
    """The Landlock ABI version this kernel offers (0 if none, or not Linux)."""
    try:
        libc = _libc()
        abi = int(
            libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION)
        )
    except (OSError, AttributeError):
        return 0
    return max(abi, 0)


def _read_grants(hide: Iterable[str], writable: Iterable[str]) -> list[str]:
    """The paths beneath which reading files stays allowed when ``hide`` must not be read:
    every sibling of each hidden path and of each of its ancestors (existing now; a file
    created later directly in one of those ancestors is not readable), plus the writable
    directories that hold no hidden path."""
    hidden = set(hide)
    ancestors: set[str] = set()
    for path in hidden:
        parent = os.path.dirname(path)
        while parent not in ancestors:
            ancestors.add(parent)
            if parent == "/":
                break
            parent = os.path.dirname(parent)
    grants = [w for w in writable if not any(_under(h, w) for h in hidden)]
    for directory in sorted(ancestors):
        with contextlib.suppress(OSError):
            for name in os.listdir(directory):
                child = os.path.join(directory, name)
                if child not in ancestors and child not in hidden:
                    grants.append(child)
    return grants


def _landlock(
    libc: Any, mechanisms: Mechanisms, writable: tuple[str, ...], hide: tuple[str, ...] = ()
) -> None:
    """Restrict the calling process and its future children with a Landlock domain.

    Scoping (no PID namespace): a process in a Landlock domain cannot ptrace, nor read the
    ``/proc/<pid>/environ``, ``mem`` or ``maps`` of, a process outside it (ABI 1), nor signal
    it or connect to its abstract Unix sockets (ABI 6). Writes (no read-only root): every
    write right is handled, and granted only beneath ``writable`` (``/dev`` gets plain file
    writes only, so ``/dev/null`` works and nothing is created in ``/dev/shm``); writes
    elsewhere fail with EACCES. ``hide`` (no mount namespace to cover them): reading files is
    handled too, and granted beneath everything but those paths (:func:`_read_grants`).
    Needs ``no_new_privs``, which it sets.
    """
    import ctypes

    abi = mechanisms.landlock
    writes = 0
    if mechanisms.landlock_writes:
        writes = _FS_WRITES_V1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    rules: list[tuple[str, int]] = []
    if writes:
        rules += [(path, writes) for path in writable] + [("/dev", _FS_WRITE_FILE)]
    if hide:
        rules += [(path, _FS_READ_FILE) for path in _read_grants(hide, writable)]
        if not writes:
            # Writes stay allowed everywhere: grant them beneath the root.
            writes = _FS_WRITES_V1 | (_FS_REFER if abi >= 2 else 0)
            rules.append(("/", writes))
    elif not writes and abi >= 2:
        # From ABI 2 every domain denies linking or renaming a file into another directory
        # unless REFER is granted there ("always considered handled"): grant it everywhere.
        writes = _FS_REFER
        rules.append(("/", _FS_REFER))
    fs = writes | (_FS_READ_FILE if hide else 0)
    scoped = 0
    if mechanisms.landlock_scope and abi >= _LANDLOCK_SCOPE_ABI:
        scoped = _LANDLOCK_SCOPE_SIGNAL | _LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
    # Creating block devices (CAP_MKNOD anyway) is handled and granted nowhere, so that the
    # domain always handles something: the domain itself is what scopes ptrace.
    fs |= _FS_MAKE_BLOCK
    attr = struct.pack("=QQQ", fs, 0, scoped)
    size = 24 if abi >= _LANDLOCK_SCOPE_ABI else 16 if abi >= 4 else 8
    buf = ctypes.create_string_buffer(attr[:size], size)
    ruleset = int(libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, buf, ctypes.c_size_t(size), 0))
    if ruleset < 0:
        raise SandboxError(
            f"landlock_create_ruleset failed: {os.strerror(_errno())};"
            f" set {ENV_VAR}=landlock=off to run without it"
        )
    try:
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    access &= _FS_FILE_RIGHTS  # a rule on a file takes file rights only
                rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
                if access and libc.syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, 1, rule, 0) != 0:
                    raise SandboxError(
                        f"landlock_add_rule for {path} failed: {os.strerror(_errno())}"
                    )
            finally:
                os.close(fd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise SandboxError(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(_errno())}")
        if int(libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0)) != 0:
            raise SandboxError(f"landlock_restrict_self failed: {os.strerror(_errno())}")
    finally:
        os.close(ruleset)


#: Where developers keep credentials and profiles, relative to a home directory: hidden from
#: handlers (an empty read-only directory, or an empty file, mounted over each one that
#: exists). Lambda's file system has none of them.
_SECRET_HOME_PATHS: Final = (
    ".aws",
    ".ssh",
    ".netrc",
    ".pypirc",
    ".git-credentials",
    ".docker",
    ".kube",
    ".azure",
    ".config/gcloud",
    ".config/gh",
)
#: Environment variables of the test process that point at AWS credential or profile files.
_SECRET_FILE_VARIABLES: Final = (
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "BOTO_CONFIG",
)


_secret_cache: dict[tuple[str, ...], list[str]] = {}


def secret_paths(environ: Mapping[str, str] | None = None) -> list[str]:
    """Existing credential and profile paths of the developer (``environ``: the test
    process's environment), resolved; :func:`enter_sandbox` hides them (``hide=``).

    Looked up once per process for each value of the variables involved (a cold start must
    not pay ~0.1 ms of stat calls); a credential file created later in the session is hidden
    only by the environments of a later session."""
    if environ is None:
        environ = os.environ
    key = tuple(environ.get(v, "") for v in ("HOME", *_SECRET_FILE_VARIABLES))
    cached = _secret_cache.get(key)
    if cached is None:
        cached = _secret_cache[key] = _find_secret_paths(environ)
    return list(cached)


def _find_secret_paths(environ: Mapping[str, str]) -> list[str]:
    homes = [environ.get("HOME", "")]
    with contextlib.suppress(KeyError, ImportError):
        import pwd

        homes.append(pwd.getpwuid(os.getuid()).pw_dir)
    candidates = [os.path.join(h, p) for h in dict.fromkeys(homes) if h for p in _SECRET_HOME_PATHS]
    candidates += [environ[v] for v in _SECRET_FILE_VARIABLES if environ.get(v)]
    found: list[str] = []
    for path in candidates:
        real = os.path.realpath(path)
        if real not in found and real != os.devnull and os.path.lexists(real):
            found.append(real)
    return sorted(found)


def _hide(libc: Any, paths: Iterable[str]) -> None:
    for path in paths:
        try:
            directory = stat.S_ISDIR(os.stat(path).st_mode)
        except OSError:
            continue  # hidden by the private /tmp, or gone
        if directory:
            rc = _mount(
                libc,
                "tmpfs",
                path,
                "tmpfs",
                MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "size=4k,nr_inodes=1,mode=555",
            )
        else:
            rc = _mount(libc, os.devnull, path, None, MS_BIND)
        if rc not in (0, errno.ENOENT):
            raise SandboxError(f"could not hide {path} from the handler: {os.strerror(rc)}")


def _mount_proc(libc: Any) -> int:
    """Mount a /proc of the caller's PID namespace over /proc; returns 0 or the errno."""
    return _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _close_all_but(keep: int) -> None:
    """Close every file descriptor except ``keep``: a waiting process must hold no copy of
    the pipes whose end of file tells the parent that the runtime is gone."""
    os.closerange(0, keep)
    os.closerange(keep + 1, 1 << 20)


def _mirror(status: int) -> None:
    """Exit exactly as a process with wait status ``status`` did (signal or exit code)."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        import resource

        with contextlib.suppress(OSError, ValueError):
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the runtime dumped already
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_DFL)
        with contextlib.suppress(OSError, ValueError):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 1)


def _enter_pid_namespace(libc: Any, read_only: bool) -> None:
    """Put the runtime in a new PID namespace with a fresh /proc; returns in the runtime only.

    The calling process E (the environment process the parent knows) unshares a PID
    namespace and forks R, the namespace's pid 1, which mounts a /proc of the namespace and
    forks P, the runtime (pid 2), which returns. A pid 1 ignores signals it has no handler
    for, so the runtime must not be it. R reaps orphans; when P exits, R sends P's wait status
    to E and exits (the kernel then kills whatever else is left in the namespace), and E exits
    with the same status (re-raising the same signal), so the parent's view of E is its view
    of the runtime. E and R hold no other file descriptor. Killing E's process group or the
    cgroup kills all three; R also dies with E (``PR_SET_PDEATHSIG``), and the namespace with R.
    """
    if libc.unshare(CLONE_NEWPID) != 0:
        raise SandboxError(
            f"unshare() of a PID namespace failed: {os.strerror(_errno())};"
            f" set {ENV_VAR}=pid=host to run without one"
        )
    status_r, status_w = os.pipe()
    outer = os.fork()
    if outer != 0:  # E: wait for R, then exit as the runtime did
        try:
            _close_all_but(status_r)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            _, status = os.waitpid(outer, 0)
            data = b""
            with contextlib.suppress(OSError):
                os.set_blocking(status_r, False)
                data = os.read(status_r, 4)
            if len(data) == 4:
                status = struct.unpack("=i", data)[0]
            _mirror(status)
        finally:
            os._exit(1)
    # R: pid 1 of the namespace.
    os.close(status_r)
    error = ""
    try:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        rc = _mount_proc(libc)
        if rc:
            error = f"mounting a /proc for the PID namespace failed: {os.strerror(rc)}"
        elif read_only:
            _protect_proc(libc)
    except BaseException as exc:
        error = f"setting up the PID namespace failed: {exc!r}"
    runtime = os.fork()
    if runtime == 0:  # P: the runtime
        os.close(status_w)
        if error:
            raise SandboxError(f"{error}; set {ENV_VAR}=pid=host to run without one")
        return
    try:
        _close_all_but(status_w)
        # Nothing from inside may stop or interrupt pid 1 (Python's own SIGINT handler would).
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            if pid == runtime:
                with contextlib.suppress(OSError):
                    os.write(status_w, struct.pack("=i", status))
                break
    finally:
        os._exit(0)


def enter_sandbox(
    *,
    tmp_mb: int,
    tmp_dir: str,
    read_only: bool,
    mechanisms: Mechanisms,
    drop_capabilities: bool = True,
    expose: tuple[str, ...] = (),
    hide: tuple[str, ...] = (),
    loop_device: str | Callable[[], str | None] | None = None,
) -> str:
    """Child side: isolate the calling environment process; return the handler's /tmp path.

    Call after fork and :func:`join`, before the handler is imported, in a single-threaded
    process. With ``mechanisms.tmp == "mount-namespace"``: a private mount namespace (mounts
    made private first, so nothing reaches the host), a /tmp of exactly ``tmp_mb`` MB (ext4
    image from :func:`prepare_tmp_image` on a loop device, or a tmpfs, or ``tmp_dir``
    bind-mounted), a private /dev without ``shm``, and with ``read_only`` every other mount
    read-only (writes fail with EROFS; ``/proc/sys`` too). Returns ``"/tmp"``.

    With ``mechanisms.tmp == "tmpdir"`` it returns ``tmp_dir`` (created if needed): the caller
    sets ``TMPDIR`` and polls :func:`tmp_usage_mb`. ``read_only`` still applies if the machine
    has mount namespaces (``tmp_dir`` stays writable).

    ``hide`` (from :func:`secret_paths`) are covered by an empty read-only directory or file
    in the mount namespace: the developer's credentials and profiles.

    ``drop_capabilities`` removes every capability, as Lambda runs handlers with none (as
    root, ``CAP_SYS_ADMIN`` would undo all of the above and ``CAP_DAC_OVERRIDE`` would read
    any file). Where the mechanisms say so, a Landlock domain comes last (:func:`_landlock`).
    """
    if not isinstance(tmp_mb, int) or tmp_mb < 1:
        raise ValueError(f"tmp_mb={tmp_mb!r}: expected a positive number of MB")
    read_only = read_only and mechanisms.read_only_root
    if not mechanisms.namespaces or (mechanisms.tmp == "tmpdir" and not read_only):
        os.makedirs(tmp_dir, exist_ok=True)
        if drop_capabilities and os.geteuid() == 0:
            _drop_capabilities(_libc(), frozenset())
        if mechanisms.landlock and (
            mechanisms.landlock_scope or mechanisms.landlock_writes or hide
        ):
            _landlock(_libc(), mechanisms, (os.path.realpath(tmp_dir), "/tmp"), hide)
        return tmp_dir

    libc = _libc()
    image_fd = -1
    if callable(loop_device):
        loop_device = loop_device()  # the parent attached it while this process was forked
    if (
        mechanisms.tmp == "mount-namespace"
        and mechanisms.tmp_backend == "ext4-loop"
        and not loop_device
    ):
        image = os.path.join(tmp_dir, IMAGE_NAME)
        if not os.path.exists(image):
            # The parent should have prepared it (cheaper, and it owns the clean-up).
            prepare_tmp_image(tmp_dir, tmp_mb)
        try:
            # Opened before unshare: an open-for-write file in our own copy of the mount would
            # make the read-only remount of that mount fail with EBUSY.
            image_fd = os.open(image, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            raise SandboxError(
                f"no /tmp image at {image}: call prepare_tmp_image() in the parent first"
            ) from None
        deadline = time.monotonic() + _IMAGE_LOCK_WAIT_S
        while True:
            try:
                # Held by the loop device for as long as the file system is mounted.
                fcntl.flock(image_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(image_fd)
                    raise SandboxError(
                        f"{image} is mounted by another live environment; "
                        "each environment needs its own image"
                    ) from None
                time.sleep(0.005)
    try:
        uid, gid = os.getuid(), os.getgid()
        flags = CLONE_NEWUSER | CLONE_NEWNS if mechanisms.user_namespace else CLONE_NEWNS
        if libc.unshare(flags) != 0:
            rc = _errno()
            hint = " (the process must be single-threaded)" if rc == errno.EINVAL else ""
            raise SandboxError(
                f"unshare() of a mount namespace failed: {os.strerror(rc)}{hint};"
                f" set {ENV_VAR}=tmp=tmpdir,fs=rw to run without one"
            )
        if mechanisms.user_namespace:
            _map_ids(uid, gid)
        _check(_mount(libc, None, "/", None, MS_REC | MS_PRIVATE), "making mounts private")

        keep: tuple[str, ...] = ("/proc", "/dev")
        if mechanisms.tmp == "mount-namespace":
            # The function's code may live under the host's /tmp (pytest's tmp_path): keep a
            # handle on it, so it can be shown again, read-only, inside the private /tmp.
            candidates = sorted(
                p
                for p in dict.fromkeys(os.path.realpath(e) for e in expose)
                if _under(p, "/tmp") and os.path.isdir(p)
            )
            # A directory inside one already shown is shown with it.
            hidden: list[str] = []
            for path in candidates:
                if not any(_under(path, shown) for shown in hidden):
                    hidden.append(path)
            handles = [os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for p in hidden]
            try:
                _mount_tmp(libc, mechanisms, tmp_mb, tmp_dir, image_fd, loop_device)
                for path, handle in zip(hidden, handles, strict=True):
                    _expose_read_only(libc, path, handle)
            finally:
                for handle in handles:
                    os.close(handle)
            keep = (*keep, "/tmp")
            result = "/tmp"
        else:
            os.makedirs(tmp_dir, exist_ok=True)
            result = os.path.realpath(tmp_dir)
            _check(_mount(libc, result, result, None, MS_BIND | MS_REC), f"bind-mounting {result}")
            keep = (*keep, result)
        _hide(libc, hide)
        if read_only:
            # With a PID namespace, pid 1 mounts a fresh /proc and protects that one.
            _remount_read_only(libc, keep, protect_proc=not mechanisms.pid_namespace)
        _replace_dev(libc, read_only)
    finally:
        if image_fd >= 0:
            os.close(image_fd)
    if mechanisms.pid_namespace:
        _enter_pid_namespace(libc, read_only)
    if drop_capabilities and (mechanisms.user_namespace or os.geteuid() == 0):
        _drop_capabilities(libc, frozenset())
    if mechanisms.landlock_scope or (mechanisms.landlock_writes and not read_only):
        _landlock(libc, mechanisms, (result, "/tmp"))
    return result
