"""The lambda_function fixture, its markers and options, and logs on failing tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

HANDLERS = Path(__file__).resolve().parents[2] / "fixtures" / "handlers"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    src = pytester.path / "src"
    src.mkdir()
    for name in ("echo.py", "sleep.py", "raise_value_error.py", "env_dump.py", "print_and_log.py"):
        shutil.copy(HANDLERS / name, src / name)
    return pytester


def test_the_issue_example(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.mark.lambda_timeout(2)
        @pytest.mark.lambda_memory(256)
        def test_resize(lambda_function, lambda_event):
            fn = lambda_function("echo.handler", code_dir="src")
            result = fn.invoke(lambda_event("s3", "put"))
            assert result.function_error is None, result.logs
            assert result.report.max_memory_used_mb < 256
            assert result.payload["memory"] == "256"
            assert 1000 < result.payload["remaining_ms"] <= 2000
        """
    )
    project.runpytest().assert_outcomes(passed=1)


def test_markers_and_options_reach_the_function(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nlambda_memory = 512\nlambda_timeout = 20\n")
    project.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.lambda_env(STAGE="test", SHARED="module")

        @pytest.mark.lambda_env(SHARED="function")
        @pytest.mark.lambda_ephemeral_storage(1024)
        def test_env(lambda_function):
            fn = lambda_function("env_dump.handler", code_dir="src")
            env = fn.invoke({}).payload
            assert env["STAGE"] == "test" and env["SHARED"] == "function"
            assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
            assert fn.config.ephemeral_storage == 1024 and fn.config.timeout == 7

        def test_keyword_beats_marker(lambda_function):
            fn = lambda_function("env_dump.handler", code_dir="src", memory=1024,
                                 environment={"STAGE": "kw"})
            env = fn.invoke({}).payload
            assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"
            assert env["STAGE"] == "kw"
        """
    )
    project.runpytest("--lambda-timeout", "7").assert_outcomes(passed=2)


def test_timeout_marker_is_enforced(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.mark.lambda_timeout(1)
        def test_hang(lambda_function):
            result = lambda_function("sleep.handler", code_dir="src").invoke({"seconds": 30})
            assert result.error_type == "Sandbox.Timedout"
            assert result.error_message.endswith("Task timed out after 1.00 seconds")
        """
    )
    result = project.runpytest("--durations=1")
    result.assert_outcomes(passed=1)


def test_failing_test_shows_the_lambda_logs(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        def test_fails(lambda_function):
            fn = lambda_function("print_and_log.handler", code_dir="src")
            fn.invoke({})
            raise AssertionError("look at the logs")
        """
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Captured lambda logs call*",
            "START RequestId: * Version: $LATEST",
            "*END RequestId: *",
            "REPORT RequestId: *\tDuration: * ms\tBilled Duration: * ms\tMemory Size: 128 MB*",
        ]
    )


def test_inline_isolation_marker_lets_mocks_reach_the_handler(project: pytest.Pytester) -> None:
    (project.path / "src" / "clock_user.py").write_text(
        "import time\n\ndef handler(event, context):\n    return time.time()\n"
    )
    project.makepyfile(
        """
        import pytest
        from freezegun import freeze_time

        @pytest.mark.lambda_isolation("inline")
        @freeze_time("2020-01-01")
        def test_inline(lambda_function):
            fn = lambda_function("clock_user.handler", code_dir="src")
            assert fn.invoke({}).payload == 1577836800.0

        @freeze_time("2020-01-01")
        def test_process_warns(lambda_function):
            fn = lambda_function("clock_user.handler", code_dir="src")
            with pytest.warns(Warning, match="freezegun .* does not reach the handler"):
                result = fn.invoke({})
            assert result.payload > 1577836800.0
        """
    )
    project.runpytest().assert_outcomes(passed=2)


def test_functions_are_closed_after_the_test(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import os, pytest
        FNS = []

        def test_one(lambda_function):
            fn = lambda_function("echo.handler", code_dir="src")
            fn.invoke({})
            FNS.append(fn)
            assert fn._idle

        def test_closed_after():
            fn = FNS[0]
            assert fn._closed and not fn._idle and not fn._busy
        """
    )
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_bad_markers_are_clear(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        @pytest.mark.lambda_isolation("docker")
        def test_iso(lambda_function):
            lambda_function("echo.handler", code_dir="src")

        @pytest.mark.lambda_env("X")
        def test_env(lambda_function):
            lambda_function("echo.handler", code_dir="src")

        @pytest.mark.lambda_ephemeral_storage(100)
        def test_tmp(lambda_function):
            pass
        """
    )
    result = project.runpytest()
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines_random(
        [
            "*Invalid isolation 'docker' from @pytest.mark.lambda_isolation*",
            "*@pytest.mark.lambda_env takes keyword arguments only*",
            "*Invalid ephemeral storage 100 from @pytest.mark.lambda_ephemeral_storage*"
            "512 to 10,240*",
        ]
    )
