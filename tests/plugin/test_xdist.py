"""The plugin under pytest-xdist: one zygote and one moto server per worker, nothing shared
between workers, the same seeds per test whatever the number of workers, nothing left after.

A small user project is run in subprocesses; each of its tests writes what it saw (worker,
pids, ports, directories, events, ids) to a JSON file, and the tests here compare those
records. The default suite runs it once under ``-n 2`` (a few seconds); the slow tests
(``-m slow``) run it three times (``-n 2``, ``-n 2`` again, ``-n 0``) and compare the runs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_lambda.plugin import EventFactory

pytest.importorskip("xdist")
pytest.importorskip("moto")

#: Three pytest sessions in subprocesses: 30-80 s on 2 cores under load.
slow = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
HANDLERS = REPO / "fixtures" / "handlers"
#: Events read the clock (by design): pinned, so that the seed decides everything else.
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)

PROJECT = textwrap.dedent(
    """
    import json
    import os
    from datetime import datetime, timezone
    from pathlib import Path

    import pytest

    from pytest_lambda.invoke import _controller

    HANDLERS = {handlers!r}
    OUT = Path(os.environ["SOAK_XDIST_OUT"])
    NOW = datetime.fromisoformat({now!r})


    def STAT(pid):
        return Path(f"/proc/{{pid}}/stat").read_text()


    @pytest.mark.parametrize("n", range(6))
    def test_invoke(n, lambda_function, lambda_event, lambda_context, moto_server, tmp_path):
        # now= pinned: events read the clock (by design); the seed decides everything else
        event = lambda_event("sqs", body=f"message {{n}}", now=NOW)
        context = lambda_context()
        fn = lambda_function("echo.handler", code_dir=HANDLERS)
        result = fn.invoke({{"n": n}})
        assert result.status_code == 200 and result.payload["event"] == {{"n": n}}
        sqs = moto_server.client("sqs")
        url = sqs.create_queue(QueueName=f"q{{n}}")["QueueUrl"]
        message_id = sqs.send_message(QueueUrl=url, MessageBody="x")["MessageId"]
        zygote = _controller.zygote().process.pid
        record = {{
            "test": os.environ["PYTEST_CURRENT_TEST"].split(" ")[0],
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
            "pid": os.getpid(),
            "zygote": zygote,
            "zygote_parent": int(STAT(zygote).rsplit(")", 1)[1].split()[1]),
            "moto_port": moto_server.port,
            "fn_tmp": fn._tmp_root,
            "tmp_path": str(tmp_path),
            "event": event,
            "request_id": context.aws_request_id,
            "message_id": message_id,
        }}
        name = record["test"].replace("/", "_").replace(":", "_")
        (OUT / f"{{name}}.json").write_text(json.dumps(record))
    """
)


def _run(project: Path, out: Path, *args: str) -> list[dict[str, Any]]:
    out.mkdir()
    env = {**os.environ, "SOAK_XDIST_OUT": str(out)}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    records = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    assert len(records) == 6, done.stdout
    return records


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    project = tmp_path_factory.mktemp("xdist_project")
    _write_project(project)
    return {
        "n2": _run(project, project / "out-n2-a", "-n", "2"),
        "n2 again": _run(project, project / "out-n2-b", "-n", "2"),
        "n0": _run(project, project / "out-n0", "-n", "0"),
    }


def _by_worker(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    workers: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        workers.setdefault(record["worker"], []).append(record)
    return workers


def _write_project(project: Path) -> None:
    (project / "test_project.py").write_text(
        PROJECT.format(handlers=str(HANDLERS), now=NOW.isoformat())
    )
    (project / "pytest.ini").write_text("[pytest]\n")


def _assert_one_zygote_and_moto_server_per_worker(records: list[dict[str, Any]]) -> None:
    workers = _by_worker(records)
    assert sorted(workers) == ["gw0", "gw1"]
    zygotes, ports, pids = set(), set(), set()
    for records in workers.values():
        # one of each per worker, whatever number of tests it ran
        assert len({r["pid"] for r in records}) == 1
        assert len({r["zygote"] for r in records}) == 1
        assert len({r["moto_port"] for r in records}) == 1
        # the zygote is the worker's own child, not another worker's
        assert {r["zygote_parent"] for r in records} == {records[0]["pid"]}
        pids.add(records[0]["pid"])
        zygotes.add(records[0]["zygote"])
        ports.add(records[0]["moto_port"])
    assert len(pids) == len(zygotes) == len(ports) == 2


def _assert_no_shared_directory(records: list[dict[str, Any]]) -> None:
    fn_tmps = [r["fn_tmp"] for r in records]
    assert len(set(fn_tmps)) == len(fn_tmps)
    workers = _by_worker(records)
    tmp_parents = {w: {str(Path(r["tmp_path"]).parent) for r in rs} for w, rs in workers.items()}
    assert tmp_parents["gw0"].isdisjoint(tmp_parents["gw1"])


def _assert_nothing_left(records: list[dict[str, Any]]) -> None:
    for record in records:
        for pid in (record["pid"], record["zygote"]):
            assert not Path(f"/proc/{pid}").exists() or _is_zombie_free_reuse(pid, record)
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", record["moto_port"])) != 0
        assert not Path(record["fn_tmp"]).exists()


def test_two_workers_in_the_default_suite(tmp_path: Path) -> None:
    """One ``-n 2`` run (a few seconds): all pass; each worker has its own zygote (its own
    child) and moto server; no directory is shared; each test's events are the ones its id
    and the base seed give, whichever worker ran it; nothing is left afterwards."""
    _write_project(tmp_path)
    records = _run(tmp_path, tmp_path / "out", "-n", "2", "--lambda-seed", "7")
    _assert_one_zygote_and_moto_server_per_worker(records)
    _assert_no_shared_directory(records)
    for record in records:
        n = int(record["test"].rsplit("[", 1)[1].rstrip("]"))
        expected = EventFactory(7, record["test"])("sqs", body=f"message {n}", now=NOW)
        assert record["event"] == expected, record["test"]
    assert len({r["request_id"] for r in records}) == len(records)
    assert len({r["message_id"] for r in records}) == len(records)
    _assert_nothing_left(records)


@slow
def test_each_worker_has_one_zygote_and_one_moto_server_of_its_own(runs: Any) -> None:
    _assert_one_zygote_and_moto_server_per_worker(runs["n2"])


@slow
def test_workers_share_no_directory(runs: Any) -> None:
    _assert_no_shared_directory(runs["n2"])


@slow
def test_seeds_are_the_same_per_test_across_runs_and_worker_counts(runs: Any) -> None:
    def seen(records: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        return {r["test"]: (r["event"], r["request_id"], r["message_id"]) for r in records}

    first = seen(runs["n2"])
    assert len(first) == 6
    # different tests get different seeds
    assert len({json.dumps(v, sort_keys=True) for v in first.values()}) == 6
    assert seen(runs["n2 again"]) == first
    assert seen(runs["n0"]) == first


@slow
def test_nothing_is_left_running_after_the_runs(runs: Any) -> None:
    for records in runs.values():
        _assert_nothing_left(records)


def _is_zombie_free_reuse(pid: int, record: dict[str, Any]) -> bool:
    """A pid that exists again belongs to some other process (pid reuse), not to ours."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"pytest_lambda.invoke._zygote" not in cmdline and b"xdist" not in cmdline
