"""The plugin as a user meets it: fixtures, options, ini keys, markers, header."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_example_project_passes(pytester: pytest.Pytester) -> None:
    pytester.copy_example("example_project")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        [
            "lambda: seed=0 timeout=3s memory=256MB tmp=512MB isolation=process",
            "lambda enforcement: memory=* pids=* tmp=* fs=*",
        ]
    )


def test_plugin_loads_through_the_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(lambda_event):\n    assert lambda_event('sqs')\n")
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.lambda_timeout(seconds)*", "@pytest.mark.lambda_memory(mb)*"]
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("-p", "no:lambda")
    result.assert_outcomes(errors=1)


def test_events_are_reproducible_per_test_and_distinct_within_a_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import json, pathlib
        def test_a(lambda_event):
            first, second = lambda_event("sqs"), lambda_event("sqs")
            assert first["Records"][0]["messageId"] != second["Records"][0]["messageId"]
            pathlib.Path("out_a.txt").write_text(first["Records"][0]["messageId"])
        def test_b(lambda_event):
            pathlib.Path("out_b.txt").write_text(lambda_event("sqs")["Records"][0]["messageId"])
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)
    a1, b1 = (pytester.path / "out_a.txt").read_text(), (pytester.path / "out_b.txt").read_text()
    assert a1 != b1, "two tests got the same ids"
    pytester.runpytest().assert_outcomes(passed=2)
    assert (pytester.path / "out_a.txt").read_text() == a1, "not reproducible across runs"
    pytester.runpytest("--lambda-seed", "5").assert_outcomes(passed=2)
    assert (pytester.path / "out_a.txt").read_text() != a1, "--lambda-seed ignored"


def test_faker_seed_fixture_is_respected(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        @pytest.fixture(autouse=True)
        def faker_seed():
            return 1234
        """
    )
    pytester.makepyfile(
        """
        import pathlib
        def test_a(lambda_event):
            pathlib.Path("out.txt").write_text(lambda_event("sqs")["Records"][0]["messageId"])
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    with_faker_seed = (pytester.path / "out.txt").read_text()
    pytester.runpytest("--lambda-seed", "1234").assert_outcomes(passed=1)
    assert (pytester.path / "out.txt").read_text() == with_faker_seed


def test_freeze_time_reaches_event_timestamps(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from freezegun import freeze_time
        @freeze_time("2020-02-29 23:59:59")
        def test_a(lambda_event):
            event = lambda_event("s3", "put")
            assert event["Records"][0]["eventTime"] == "2020-02-29T23:59:59.000Z"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_marker_beats_option_beats_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlambda_timeout = 30\nlambda_memory = 1024\n")
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.lambda_timeout(2)
        @pytest.mark.lambda_memory(256)
        def test_marker(lambda_context):
            ctx = lambda_context()
            assert ctx.get_remaining_time_in_millis() <= 2000
            assert ctx.memory_limit_in_mb == "256"
        def test_option(lambda_context):
            ctx = lambda_context()
            assert 5000 < ctx.get_remaining_time_in_millis() <= 6000
            assert ctx.memory_limit_in_mb == "1024"
        """
    )
    result = pytester.runpytest("--lambda-timeout", "6")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["lambda: seed=0 timeout=6s memory=1024MB *"])


def test_ini_value_applies_without_option(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlambda_timeout = 30\n")
    pytester.makepyfile(
        """
        def test_ini(lambda_context):
            assert 29000 < lambda_context().get_remaining_time_in_millis() <= 30000
            assert lambda_context().memory_limit_in_mb == "128"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_bad_option_fails_at_start_with_where_and_bounds(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass\n")
    result = pytester.runpytest("--lambda-memory", "100")
    assert result.ret != 0
    result.stderr.fnmatch_lines(
        ["*Invalid memory '100' from --lambda-memory: Lambda accepts whole MB from 128 to 10,240*"]
    )
    pytester.makeini("[pytest]\nlambda_timeout = forever\n")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines(
        ["*Invalid timeout 'forever' from ini lambda_timeout: expected a number*"]
    )


def test_bad_marker_names_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.lambda_timeout(901)
        def test_too_long(lambda_context):
            pass
        @pytest.mark.lambda_memory(256, 512)
        def test_two_values(lambda_context):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*Invalid timeout 901 from @pytest.mark.lambda_timeout on "
            "test_bad_marker_names_the_test.py::test_too_long: Lambda accepts 1 to 900 seconds*",
            "*@pytest.mark.lambda_memory takes exactly one positional value*",
        ]
    )


def test_lambda_event_errors_are_clear_in_a_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_typo(lambda_event):
            lambda_event("sqs", bodyy="x")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*EventBuildError: Event source 'sqs' has no parameter 'bodyy'.*"])


def test_lambda_context_overrides_and_reproducible_request_ids(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pathlib
        def test_ctx(lambda_context):
            ctx = lambda_context(function_name="resize", function_version="7")
            assert ctx.function_name == "resize" and ctx.function_version == "7"
            assert "[7]" in ctx.log_stream_name
            assert lambda_context().aws_request_id != ctx.aws_request_id
            pathlib.Path("rid.txt").write_text(ctx.aws_request_id)
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    first = (pytester.path / "rid.txt").read_text()
    pytester.runpytest().assert_outcomes(passed=1)
    assert (pytester.path / "rid.txt").read_text() == first
