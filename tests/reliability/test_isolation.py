"""Isolation from the test process: what a hostile handler can see and reach.

The handlers are ``fixtures/handlers/isolation/snoop.py`` (looks for secrets in its environment,
in ``/proc`` and in files, and tries writes) and ``sdk_identity.py`` (what boto3 would use).

The secrets must be in the *exec-time* environment of the process that runs the functions for
``/proc/<pid>/environ`` to hold them, so those checks run a small driver script in a fresh
interpreter started with the secrets, a fake ``~/.aws`` and its own ``TMPDIR``; afterwards the
driver's processes, cgroups and temporary files must all be gone.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_lambda import LambdaFunction
from pytest_lambda.function_config import FAKE_CREDENTIALS
from pytest_lambda.invoke import _sandbox

REPO = Path(__file__).resolve().parents[2]
HANDLERS = REPO / "fixtures" / "handlers" / "isolation"
#: A machine without namespaces (non-root, no unprivileged user namespaces: Ubuntu 24.04's
#: default), with Landlock (Linux 5.13+) and without.
FALLBACK = "memory=rss-poll,pids=none,tmp=tmpdir,fs=landlock"
NOTHING = "memory=rss-poll,pids=none,tmp=tmpdir,fs=rw,landlock=off"

DRIVER = textwrap.dedent(
    """
    import json, os, sys
    from pytest_lambda import LambdaFunction
    from pytest_lambda.invoke import _sandbox

    cfg = json.loads(sys.argv[1])
    needles = os.environ["ISOLATION_NEEDLES"].split(",")
    me = os.getpid()
    mech = _sandbox.detect()
    out = {"pid": me, "euid": os.geteuid(), "describe": mech.describe(),
           "read_only_root": mech.read_only_root, "user_namespace": mech.user_namespace,
           "namespaces": mech.namespaces, "landlock_scope": mech.landlock_scope,
           "landlock_writes": mech.landlock_writes}
    event = {"needles": needles, "scan_proc": True, "write": cfg["write"],
             "read": ["/proc/self/environ", f"/proc/{me}/environ", f"/proc/{me}/cmdline",
                      "/proc/1/environ", *cfg["credentials"]]}
    with LambdaFunction("snoop.handler", code_dir=cfg["code_dir"], timeout=20) as fn:
        first = fn.invoke(event)
        out["first"] = {"function_error": first.function_error, "payload": first.payload,
                        "logs": first.logs[-3000:]}
        parent = first.payload["ppid"] if first.function_error is None else 0
        zygote = fn.invoke({"needles": needles, "read": [f"/proc/{parent}/environ"]})
        out["zygote"] = zygote.payload
        again = fn.invoke({})
        out["again"] = {"function_error": again.function_error, "cold": again.cold_start,
                        "status": again.status_code, "payload": again.payload}
    print(json.dumps(out))
    """
)


def _our_cgroups(pids: list[int]) -> list[str]:
    found = []
    for root, dirs, _files in os.walk("/sys/fs/cgroup"):
        for name in dirs:
            if name.startswith(_sandbox.CGROUP_PREFIX) and any(
                name.startswith(f"{_sandbox.CGROUP_PREFIX}{pid}-") for pid in pids
            ):
                found.append(os.path.join(root, name))
        dirs[:] = [d for d in dirs if not d.startswith(_sandbox.CGROUP_PREFIX)]
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        alive = [p for p in pids if p > 1 and _alive(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.02)


class Run:
    """One driver run: the secrets it had, the paths it tried to write, and what it saw."""

    def __init__(self, tmp: Path, spec: str) -> None:
        self.token = secrets.token_hex(12)
        self.needles = {
            "AWS_PROFILE": f"dev-profile-{self.token}",
            "AWS_ACCESS_KEY_ID": f"AKIA{self.token.upper()}",
            "AWS_SECRET_ACCESS_KEY": f"real-secret-{self.token}",
            "MY_APP_DB_PASSWORD": f"db-password-{self.token}",
            "credentials-file": f"file-secret-{self.token}",
        }
        # Outside /tmp, so that the private /tmp does not hide it by chance.
        self.outside = Path(f"/var/tmp/pytest-lambda-isolation-{self.token}")
        home = self.outside / "home"
        (home / ".aws").mkdir(parents=True)
        self.outside.chmod(0o755)
        (home / ".aws" / "credentials").write_text(
            f"[dev-profile-{self.token}]\naws_access_key_id = AKIA{self.token.upper()}\n"
            f"aws_secret_access_key = {self.needles['credentials-file']}\n"
        )
        (home / ".aws" / "config").write_text(f"[profile dev-profile-{self.token}]\n")
        code = tmp / "project" / "src"
        code.mkdir(parents=True)
        (code / "snoop.py").write_bytes((HANDLERS / "snoop.py").read_bytes())
        self.tmpdir = tmp / "driver-tmp"
        self.tmpdir.mkdir()
        self.targets = {
            "code_dir": code / "inside.txt",
            "tmp_path": tmp / "outside.txt",
            "repo": REPO / "fixtures" / f"isolation-probe-{self.token}.txt",
            # The developer's home, outside /tmp wherever the repository is checked out.
            "home": home / f"isolation-probe-{self.token}.txt",
        }
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "TMPDIR": str(self.tmpdir),
            "PYTHONPATH": str(REPO),
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_PROFILE": self.needles["AWS_PROFILE"],
            "AWS_ACCESS_KEY_ID": self.needles["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": self.needles["AWS_SECRET_ACCESS_KEY"],
            "MY_APP_DB_PASSWORD": self.needles["MY_APP_DB_PASSWORD"],
            "ISOLATION_NEEDLES": ",".join(self.needles.values()),
            _sandbox.ENV_VAR: spec,
        }
        self.credentials = [str(home / ".aws" / "credentials"), str(home / ".aws" / "config")]
        cfg = {
            "code_dir": str(code),
            "write": [str(p) for p in self.targets.values()],
            "credentials": self.credentials,
        }
        try:
            done = subprocess.run(
                [sys.executable, "-c", DRIVER, json.dumps(cfg)],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            home_written = self.targets["home"].exists()
            shutil.rmtree(self.outside, ignore_errors=True)
        assert done.returncode == 0, done.stderr[-3000:]
        self.out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        first = self.out["first"]
        assert first["function_error"] is None, first
        self.seen: dict[str, Any] = first["payload"]
        # Only test files may be left by a failed check; never leave one in the repository.
        for path in self.targets.values():
            self.written = getattr(self, "written", {})
            self.written[path] = path.exists()
            if path.exists() and REPO in path.parents:
                path.unlink()
        self.written[self.targets["home"]] = home_written

    @property
    def guaranteed_proc(self) -> bool:
        """Root (the handler has no capabilities, the test process has them all), a user
        namespace, or a Landlock domain: the test process's ``/proc/<pid>/environ`` is out
        of reach."""
        return bool(
            self.out["euid"] == 0 or self.out["user_namespace"] or self.out["landlock_scope"]
        )


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("", id="strongest"),
        pytest.param(FALLBACK, id="landlock-fallback"),
        pytest.param(NOTHING, id="no-landlock-fallback"),
    ],
)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return Run(tmp_path_factory.mktemp("isolation"), request.param)


def test_handler_environ_holds_none_of_the_test_process_secrets(run: Run) -> None:
    seen = run.seen
    assert seen["environ_hits"] == []
    assert seen["read"]["/proc/self/environ"]["found"] == []
    # The zygote, the environment's parent, was started with a scrubbed environment.
    zygote = run.out["zygote"]["read"]
    ((path, result),) = zygote.items()
    assert path == f"/proc/{seen['ppid']}/environ" and seen["ppid"] != run.out["pid"]
    assert result.get("found", []) == [], result


def test_test_process_environ_is_out_of_reach_through_proc(run: Run) -> None:
    seen = run.seen
    if not run.guaranteed_proc:
        # Non-root, no namespaces, no Landlock: the documented gap (README "Guarantees").
        assert run.out["pid"] in seen["proc"]["environ_readable"]
        assert seen["proc"]["hits"] != []
        return
    # EACCES: the process is visible but not readable; ENOENT: the environment's own PID
    # namespace does not even show it (pid=namespace in the mechanisms).
    assert seen["read"][f"/proc/{run.out['pid']}/environ"] in (
        {"errno": errno.EACCES, "error": "Permission denied"},
        {"errno": errno.ENOENT, "error": "No such file or directory"},
    )
    assert seen["read"]["/proc/1/environ"]["errno"] == errno.EACCES
    assert run.out["pid"] not in seen["proc"]["environ_readable"]
    assert seen["proc"]["hits"] == []


def test_developer_credential_files_are_hidden(run: Run) -> None:
    reads = run.seen["read"]
    if run.out["namespaces"]:
        # An empty read-only directory is mounted over ~/.aws.
        for path in run.credentials:
            assert reads[path] == {"errno": errno.ENOENT, "error": "No such file or directory"}
    elif run.out["landlock_scope"] or run.out["landlock_writes"]:
        for path in run.credentials:
            assert reads[path] == {"errno": errno.EACCES, "error": "Permission denied"}
    else:
        # No mount namespace and no Landlock: the documented gap (README "Guarantees").
        assert run.needles["credentials-file"] in reads[run.credentials[0]]["found"]


def test_the_handler_has_no_capabilities(run: Run) -> None:
    # As on Lambda, and as root too: none permitted, effective or ambient. The bounding set
    # is emptied where there is a capability to empty it with (root, or a user namespace);
    # an unprivileged process without one can gain nothing from it.
    names = ["CapPrm", "CapEff", "CapAmb"]
    if run.out["euid"] == 0 or run.out["user_namespace"]:
        names.append("CapBnd")
    seen = run.seen["capabilities"]
    assert {name: seen[name] for name in names} == dict.fromkeys(names, "0000000000000000")


def test_cmdline_of_the_test_process_holds_no_secret(run: Run) -> None:
    # /proc/<pid>/cmdline is world-readable; the secrets only ever travel in the environment.
    # (with a PID namespace the test process is not visible at all: ENOENT)
    cmdline = run.seen["read"][f"/proc/{run.out['pid']}/cmdline"]
    assert cmdline.get("found") == [] or cmdline.get("errno") == errno.ENOENT, cmdline


def test_writes_outside_tmp_never_reach_the_test_files(run: Run) -> None:
    writes = run.seen["write"]
    assert (
        run.written == dict.fromkeys(run.targets.values(), False) or not run.out["read_only_root"]
    ), writes
    if run.out["landlock_writes"]:
        # Landlock: writes only beneath /tmp, TMPDIR and /dev. The home directory is refused,
        # and so is the repository unless it is checked out under the host's /tmp (as in CI),
        # like tmp_path and this test's code directory (documented).
        eacces = {"errno": errno.EACCES, "error": "Permission denied"}
        assert writes[str(run.targets["home"])] == eacces
        assert run.written[run.targets["home"]] is False
        if not str(REPO).startswith("/tmp/"):
            assert writes[str(run.targets["repo"])] == eacces
            assert run.written[run.targets["repo"]] is False
    if run.out["read_only_root"]:
        erofs = {"errno": errno.EROFS, "error": "Read-only file system"}
        assert writes[str(run.targets["code_dir"])] == erofs
        assert writes[str(run.targets["repo"])] == erofs
        assert writes[str(run.targets["home"])] == erofs
        # tmp_path lies under the host's /tmp, which the private /tmp hides (ENOENT), or
        # read-only when /tmp is only a private TMPDIR.
        assert writes[str(run.targets["tmp_path"])] in (
            erofs,
            {"errno": errno.ENOENT, "error": "No such file or directory"},
            "ok",  # a private /tmp's copy of the parent directory, never the test's file
        )


def test_next_invocation_works_and_nothing_is_left(run: Run) -> None:
    again = run.out["again"]
    assert again["status"] == 200 and again["function_error"] is None and not again["cold"]
    pids = [run.out["pid"], run.seen["ppid"]]
    assert _wait_gone(pids) == []
    assert _our_cgroups(pids) == []
    assert sorted(p.name for p in run.tmpdir.iterdir()) == []


# -- in the test process itself: environment variables and the AWS SDK -----------------------


@pytest.fixture
def developer(
    developer_credentials: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.setenv("SOME_TEST_SETTING", "only-for-the-test-process")
    return {**developer_credentials, "SOME_TEST_SETTING": "only-for-the-test-process"}


def test_sdk_without_the_bridge_finds_only_fake_credentials(developer: dict[str, str]) -> None:
    pytest.importorskip("boto3")
    with LambdaFunction("sdk_identity.handler", code_dir=str(HANDLERS), timeout=20) as fn:
        result = fn.invoke({})
        assert result.function_error is None, result.logs
        assert result.payload == {
            "access_key": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "method": "env",
            "profile": None,
            "available_profiles": [],
            "endpoint": "https://sts.us-east-1.amazonaws.com",
            "config_file": os.devnull,
            "credentials_file": os.devnull,
            "credentials_file_bytes": 0,
            "config_file_bytes": 0,
        }
        assert not result.cold_start or fn.invoke({}).cold_start is False
    with LambdaFunction("env_dump.handler", code_dir=str(HANDLERS.parent)) as fn:
        env = fn.invoke({}).payload
    assert "SOME_TEST_SETTING" not in env and "AWS_PROFILE" not in env
    assert not set(developer.values()) & set(env.values())


def test_sdk_with_the_bridge_reaches_only_the_moto_endpoint(developer: dict[str, str]) -> None:
    pytest.importorskip("moto")
    from pytest_lambda.integrations.moto import moto_server

    server = moto_server()
    with (
        server.activated(),
        LambdaFunction("sdk_identity.handler", code_dir=str(HANDLERS), timeout=20) as fn,
    ):
        result = fn.invoke({"call": True})
        assert fn.invoke({}).cold_start is False
    assert result.function_error is None, result.logs
    payload = result.payload
    assert payload["endpoint"] == server.endpoint_url
    assert payload["access_key"] == "testing" and payload["method"] == "env"
    assert payload["account"] == server.account_id
    assert payload["profile"] is None and payload["available_profiles"] == []
    assert payload["credentials_file_bytes"] == 0 and payload["config_file_bytes"] == 0
