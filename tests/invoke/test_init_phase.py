"""The init phase's 10 s limit and Lambda's suppressed init (lambda-behavior.md section 5)."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_lambda import LambdaFunction
from pytest_lambda.invoke import _sandbox

HANDLERS = str(Path(__file__).resolve().parents[2] / "fixtures" / "handlers")
# /tmp survives the reset with the ext4 image, a bind mount or TMPDIR; not with a tmpfs.
TMP_SURVIVES_RESET = _sandbox.detect().tmp_backend != "tmpfs"


def test_an_init_over_10_s_is_retried_inside_the_invocation() -> None:
    with LambdaFunction("slow_first_init.handler", code_dir=HANDLERS, timeout=5) as fn:
        result = fn.invoke({})
    assert re.search(
        r"^INIT_REPORT Init Duration: 10000\.00 ms\tPhase: init\tStatus: timeout$",
        result.logs,
        re.M,
    ), result.logs
    assert result.cold_start
    assert result.report is not None
    assert result.report.init_duration_ms is None  # the init ran inside the invocation
    if TMP_SURVIVES_RESET:
        # The second init found the marker in /tmp and was quick: the handler ran.
        assert result.function_error is None, result.logs
        assert 0 < result.payload["remaining_ms"] <= 5000
    else:
        # The second init slept 11 s again, past the 5 s function timeout.
        assert result.error_type == "Sandbox.Timedout"
        assert re.search(r"Phase: invoke\tStatus: timeout", result.logs)
