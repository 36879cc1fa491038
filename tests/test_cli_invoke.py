"""`pytest-lambda invoke`: payload on stdout, logs on stderr, exit 1 on a function error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HANDLERS = str(Path(__file__).resolve().parent.parent / "fixtures" / "handlers")


def run(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_lambda", "invoke", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_payload_on_stdout_logs_on_stderr(tmp_path):
    event = tmp_path / "event.json"
    event.write_text('{"name": "Ada"}')
    result = run(
        "echo.handler",
        "--code-dir",
        HANDLERS,
        "--event",
        str(event),
        "--memory",
        "256",
        "--env",
        "STAGE=dev",
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["event"] == {"name": "Ada"}
    assert payload["memory"] == "256"
    assert "START RequestId:" in result.stderr
    assert "\tMemory Size: 256 MB\t" in result.stderr


def test_event_from_stdin_and_the_env_flag():
    result = run(
        "env_dump.handler", "--code-dir", HANDLERS, "--event", "-", "--env", "STAGE=dev", stdin="{}"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["STAGE"] == "dev"


def test_function_error_exits_1_with_the_error_payload():
    result = run("raise_value_error.handler", "--code-dir", HANDLERS)
    assert result.returncode == 1
    error = json.loads(result.stdout)
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert error["errorType"] == "ValueError"
    # the platform logs non-runtime error types as Runtime.Unknown
    assert "Status: error\tError Type: Runtime.Unknown" in result.stderr


def test_timeout_flag_is_enforced():
    result = run(
        "sleep.handler",
        "--code-dir",
        HANDLERS,
        "--timeout",
        "1",
        "--event",
        "-",
        stdin='{"seconds": 30}',
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["errorType"] == "Sandbox.Timedout"
    assert "Status: timeout" in result.stderr


def test_bad_input_is_a_usage_error():
    result = run("echo.handler", "--code-dir", HANDLERS, "--memory", "64")
    assert result.returncode == 2
    assert "Invalid memory '64' from --memory" in result.stderr
    result = run("echo.handler", "--event", "/nonexistent/event.json")
    assert result.returncode == 2
    assert "cannot read --event" in result.stderr
    result = run("echo.handler", "--env", "NOEQUALS")
    assert result.returncode == 2
    assert "is not NAME=VALUE" in result.stderr
