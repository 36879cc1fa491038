"""LambdaContext against the real Python runtime's (awslambdaric lambda_context.py)."""

from __future__ import annotations

import re
import time

import pytest

from pytest_lambda import ClientContext, CognitoIdentity, LambdaContext


def test_attributes_have_the_runtime_types():
    ctx = LambdaContext(
        function_name="resize",
        memory_limit_in_mb=256,
        timeout=10,
        region="eu-west-1",
        account_id="111122223333",
    )
    assert ctx.memory_limit_in_mb == "256"  # a string in the real runtime
    assert ctx.function_version == "$LATEST"
    assert ctx.invoked_function_arn == "arn:aws:lambda:eu-west-1:111122223333:function:resize"
    assert ctx.log_group_name == "/aws/lambda/resize"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", ctx.log_stream_name)
    assert re.fullmatch(r"[0-9a-f-]{36}", ctx.aws_request_id)
    assert isinstance(ctx.identity, CognitoIdentity)
    assert ctx.identity.cognito_identity_id is None
    assert ctx.client_context is None
    assert ctx.tenant_id is None


def test_remaining_time_counts_down_and_stops_at_zero():
    ctx = LambdaContext(timeout=0.3)
    first = ctx.get_remaining_time_in_millis()
    assert 200 < first <= 300
    time.sleep(0.05)
    assert ctx.get_remaining_time_in_millis() < first
    time.sleep(0.3)
    assert ctx.get_remaining_time_in_millis() == 0


def test_remaining_time_keeps_counting_under_freezegun():
    freezegun = pytest.importorskip("freezegun")
    with freezegun.freeze_time("2020-01-01"):
        ctx = LambdaContext(timeout=5)
        first = ctx.get_remaining_time_in_millis()
        time.sleep(0.05)
        assert ctx.get_remaining_time_in_millis() < first


def test_client_context_from_json_as_the_runtime_parses_it():
    ctx = LambdaContext(client_context={"custom": {"k": "v"}, "client": {"app_title": "App"}})
    assert isinstance(ctx.client_context, ClientContext)
    assert ctx.client_context.custom == {"k": "v"}
    assert ctx.client_context.env is None
    assert ctx.client_context.client is not None
    assert ctx.client_context.client.app_title == "App"
    assert ctx.client_context.client.installation_id is None


def test_repr_matches_the_runtime_format():
    ctx = LambdaContext(aws_request_id="rid", function_name="f", log_stream_name="s")
    assert repr(ctx) == (
        "LambdaContext([aws_request_id=rid,log_group_name=/aws/lambda/f,log_stream_name=s,"
        "function_name=f,memory_limit_in_mb=128,function_version=$LATEST,"
        "invoked_function_arn=arn:aws:lambda:us-east-1:123456789012:function:f,"
        "client_context=None,identity=CognitoIdentity([cognito_identity_id=None,"
        "cognito_identity_pool_id=None]),tenant_id=None])"
    )


def test_log_writes_without_a_newline(capsys):
    LambdaContext().log("hello")
    LambdaContext().log(42)
    assert capsys.readouterr().out == "hello42"


def test_attributes_can_be_set_as_on_the_runtime_class_but_identity_is_slotted():
    ctx = LambdaContext()
    ctx.extra = 1  # awslambdaric's LambdaContext has no __slots__
    assert ctx.extra == 1
    with pytest.raises(AttributeError):
        ctx.identity.extra = 1  # CognitoIdentity does


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"timeout": 0}, "positive number"),
        ({"timeout": True}, "positive number"),
        ({"memory_limit_in_mb": "lots"}, "whole number of MB"),
    ],
)
def test_bad_values_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LambdaContext(**kwargs)
