"""The moto bridge (``pytest_lambda.integrations.moto``): one server per process that the test,
the simulators and every handler environment share.

Handlers come from ``fixtures/handlers/`` (``sqs_send.py``, ``s3_uppercase.py``,
``aws_identity.py``) and use a plain ``boto3.client(...)``: whatever reaches moto does so
through the environment the bridge gives them. Facts and pitfalls checked here are those of
``/work/shared/reference/integration-notes.md`` sections 1-4 (moto 5.x server mode, freezegun,
time-machine).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import freezegun
import pytest
import time_machine
from botocore.config import Config

from pytest_lambda import LambdaFunction
from pytest_lambda.errors import ConfigError, PytestLambdaWarning
from pytest_lambda.integrations import moto as bridge_module
from pytest_lambda.integrations.moto import MotoServer, active, handler_environment, moto_server

HANDLERS = Path(__file__).resolve().parents[2] / "fixtures" / "handlers"
CODE_DIR = str(HANDLERS)

ISOLATIONS = [
    pytest.param("process", id="process"),
    pytest.param("inline", id="inline"),
]


@pytest.fixture
def server() -> MotoServer:
    """The process's server, empty, not activated (tests activate it themselves)."""
    process_server = moto_server()
    process_server.reset()
    return process_server


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


# -- handler, simulator and test share one state --------------------------------------------


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_handler_sends_to_sqs_and_the_test_reads_it_back(
    moto_server: MotoServer, isolation: str
) -> None:
    sqs = moto_server.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    with LambdaFunction(
        "sqs_send.handler", code_dir=CODE_DIR, isolation=isolation, timeout=20
    ) as fn:
        result = fn.invoke({"queue": "orders", "body": f"from {isolation}"})
    assert result.function_error is None, result.logs
    assert result.payload["endpoint"] == moto_server.endpoint_url
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in messages] == [
        (result.payload["message_id"], f"from {isolation}")
    ]


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_handler_reads_and_writes_s3(moto_server: MotoServer, isolation: str) -> None:
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="docs")
    s3.put_object(Bucket="docs", Key="a/b.txt", Body=b"hello moto")
    with LambdaFunction(
        "s3_uppercase.handler", code_dir=CODE_DIR, isolation=isolation, timeout=20
    ) as fn:
        result = fn.invoke({"bucket": "docs", "key": "a/b.txt"})
    assert result.payload == {"key": "upper/a/b.txt", "size": 10}, result.logs
    body = s3.get_object(Bucket="docs", Key="upper/a/b.txt")["Body"].read()
    assert body == b"HELLO MOTO"


def test_the_tests_own_plain_boto3_client_reaches_the_same_moto(moto_server: MotoServer) -> None:
    # No endpoint_url, no keys: only the environment the fixture set.
    plain = boto3.client("sqs")
    plain.create_queue(QueueName="made-by-plain-client")
    urls = moto_server.client("sqs").list_queues()["QueueUrls"]
    assert [url.rsplit("/", 1)[1] for url in urls] == ["made-by-plain-client"]
    assert os.environ["AWS_ENDPOINT_URL"] == moto_server.endpoint_url
    assert os.environ["AWS_REGION"] == os.environ["AWS_DEFAULT_REGION"] == "us-east-1"


def test_the_developers_credentials_never_reach_the_handler(
    server: MotoServer, monkeypatch: pytest.MonkeyPatch, developer_credentials: dict[str, str]
) -> None:
    developer = {
        **developer_credentials,
        "AWS_ENDPOINT_URL_STS": "https://sts.eu-west-3.amazonaws.com",
    }
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", developer["AWS_ENDPOINT_URL_STS"])
    with server.activated():
        with LambdaFunction("aws_identity.handler", code_dir=CODE_DIR, timeout=20) as fn:
            result = fn.invoke({})
        own = boto3.session.Session()
        own_key = own.get_credentials().access_key
        own_identity = own.client("sts").get_caller_identity()
    assert result.payload == {
        "access_key": "testing",
        "method": "env",
        "profile": None,
        "endpoint": server.endpoint_url,
        "account": "123456789012",
        "arn": "arn:aws:sts::123456789012:user/moto",
    }, result.logs
    assert own_key == "testing"
    assert own_identity["Account"] == server.account_id
    # Restored exactly after the activation.
    assert {name: os.environ.get(name) for name in developer} == developer
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_service_specific_endpoints_and_the_ignore_switch_are_lifted(
    server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both would send a plain client elsewhere (AWS SDKs reference, service-specific endpoints).
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    with server.activated():
        assert "AWS_ENDPOINT_URL_SQS" not in os.environ
        boto3.client("sqs").create_queue(QueueName="reached")
    assert os.environ["AWS_ENDPOINT_URL_SQS"] == "http://127.0.0.1:9"
    assert os.environ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] == "true"
    assert server.client("sqs").list_queues()["QueueUrls"][0].endswith("/reached")


def test_activations_nest_and_handlers_get_the_bridge_only_while_one_is_active(
    server: MotoServer,
) -> None:
    assert active() is None
    assert handler_environment("eu-west-1") == {}
    with server.activated(patch_environ=False):
        assert active() is server
        assert "AWS_ENDPOINT_URL" not in os.environ
        with MotoServer.start(region="eu-west-1") as inner:
            assert active() is inner
            assert os.environ["AWS_ENDPOINT_URL"] == inner.endpoint_url
            assert os.environ["AWS_REGION"] == "eu-west-1"
        assert active() is server
        assert "AWS_ENDPOINT_URL" not in os.environ
        assert handler_environment("eu-west-1") == {
            "AWS_ENDPOINT_URL": server.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    assert active() is None


def test_a_users_mock_aws_wipes_the_shared_state(moto_server: MotoServer) -> None:
    # Documented pitfall (integration-notes 1.2): mock_aws resets moto's one state on start.
    from moto import mock_aws

    sqs = moto_server.client("sqs")
    sqs.create_queue(QueueName="made-before")
    with mock_aws():
        pass
    assert sqs.list_queues().get("QueueUrls", []) == []
    sqs.create_queue(QueueName="made-after")  # the bridge itself keeps working
    assert len(sqs.list_queues()["QueueUrls"]) == 1


# -- state and ids ----------------------------------------------------------------------------


def test_reset_empties_every_service(server: MotoServer) -> None:
    server.client("sqs").create_queue(QueueName="q")
    server.client("s3").create_bucket(Bucket="bucket-b")
    server.reset()
    assert server.client("sqs").list_queues().get("QueueUrls", []) == []
    assert server.client("s3").list_buckets()["Buckets"] == []


def test_a_seed_makes_moto_ids_repeat(server: MotoServer) -> None:
    def first_ids(seed: int) -> tuple[str, str]:
        server.reset(seed=seed)
        sqs = server.client("sqs")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        message_id = sqs.send_message(QueueUrl=url, MessageBody="x")["MessageId"]
        receipt = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
        return message_id, receipt

    assert first_ids(7) == first_ids(7)
    assert first_ids(8)[0] != first_ids(7)[0]


# -- moto's own event-source pushes are detached ------------------------------------------------


def _moto_function(server: MotoServer) -> str:
    role = server.client("iam").create_role(
        RoleName="lambda-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    server.client("lambda").create_function(
        FunctionName="consumer",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return "consumer"


@pytest.fixture
def pushes() -> Iterator[dict[str, mock.MagicMock]]:
    """Spies on moto's three ESM push entry points (never reaching Docker)."""
    from moto.awslambda.models import LambdaBackend

    with (
        mock.patch.object(LambdaBackend, "send_sqs_batch", return_value=True) as sqs_push,
        mock.patch.object(LambdaBackend, "send_dynamodb_items", return_value="x") as ddb_push,
        mock.patch.object(LambdaBackend, "send_kinesis_message", return_value=None) as kin_push,
    ):
        yield {"sqs": sqs_push, "dynamodb": ddb_push, "kinesis": kin_push}


@pytest.mark.parametrize("bridge_active", [True, False], ids=["bridge", "no-bridge-control"])
def test_an_sqs_mapping_made_with_boto3_is_stored_but_moto_never_pushes(
    server: MotoServer, pushes: dict[str, mock.MagicMock], bridge_active: bool
) -> None:
    function = _moto_function(server)
    sqs, lam = server.client("sqs"), server.client("lambda")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    with server.activated(patch_environ=False) if bridge_active else nullcontext():
        mapping = lam.create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName=function,
            BatchSize=5,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
        sqs.send_message(QueueUrl=url, MessageBody="job-1")
    stored = lam.get_event_source_mapping(UUID=mapping["UUID"])
    assert (stored["BatchSize"], stored["FunctionResponseTypes"]) == (
        5,
        ["ReportBatchItemFailures"],
    )
    assert pushes["sqs"].call_count == (0 if bridge_active else 1)
    if bridge_active:
        message = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])
        assert message["Messages"][0]["Body"] == "job-1"
        assert message["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "1"


@pytest.mark.parametrize("bridge_active", [True, False], ids=["bridge", "no-bridge-control"])
def test_a_dynamodb_stream_mapping_keeps_its_records_readable(
    server: MotoServer, pushes: dict[str, mock.MagicMock], bridge_active: bool
) -> None:
    function = _moto_function(server)
    ddb, streams = server.client("dynamodb"), server.client("dynamodbstreams")
    table = ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    stream_arn = table["LatestStreamArn"]
    with server.activated(patch_environ=False) if bridge_active else nullcontext():
        server.client("lambda").create_event_source_mapping(
            EventSourceArn=stream_arn, FunctionName=function, StartingPosition="TRIM_HORIZON"
        )
        ddb.put_item(TableName="orders", Item={"id": {"S": "o-1"}})
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    # moto clears a shard's records after its own push (integration-notes 2.4).
    assert len(records) == (1 if bridge_active else 0)
    assert pushes["dynamodb"].call_count == (0 if bridge_active else 1)


def test_a_kinesis_mapping_is_never_pushed(
    server: MotoServer, pushes: dict[str, mock.MagicMock]
) -> None:
    function = _moto_function(server)
    kinesis = server.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    with server.activated(patch_environ=False):
        server.client("lambda").create_event_source_mapping(
            EventSourceArn=arn, FunctionName=function, StartingPosition="TRIM_HORIZON"
        )
        kinesis.put_record(StreamName="clicks", Data=b"c1", PartitionKey="p")
    assert pushes["kinesis"].call_count == 0
    assert len(server.client("lambda").list_event_source_mappings()["EventSourceMappings"]) == 1


# -- long polling under a frozen clock -------------------------------------------------------------


def _long_poll_queue(server: MotoServer) -> tuple[Any, str]:
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="slow", Attributes={"ReceiveMessageWaitTimeSeconds": "20"})[
        "QueueUrl"
    ]
    # A failure of the guard is a read timeout after 5 s, never a hung test.
    bounded = boto3.client(
        "sqs",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(read_timeout=5, retries={"max_attempts": 1}),
    )
    return bounded, url


@pytest.mark.parametrize("library", ["freezegun", "time-machine"])
def test_a_long_poll_under_a_frozen_clock_answers_at_once_and_warns(
    server: MotoServer, library: str
) -> None:
    sqs, url = _long_poll_queue(server)
    instant = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    freeze = (
        freezegun.freeze_time(instant)
        if library == "freezegun"
        else time_machine.travel(instant, tick=False)
    )

    def poll() -> tuple[dict[str, Any], dict[str, Any]]:
        with server.activated(patch_environ=False), freeze:
            empty = sqs.receive_message(QueueUrl=url)  # the queue's 20 s wait
            sqs.send_message(QueueUrl=url, MessageBody="there")
            return empty, sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)

    with pytest.warns(PytestLambdaWarning, match=r"'slow' long-polls \(WaitTimeSeconds=20") as seen:
        empty, full = poll()
    assert "Messages" not in empty
    assert [m["Body"] for m in full["Messages"]] == ["there"]
    # One warning, for the empty poll only, issued when the activation ended.
    assert [str(w.message).split(":")[0] for w in seen] == [
        "ReceiveMessage on SQS queue 'slow' long-polls (WaitTimeSeconds=20, from the call or "
        f"the queue's ReceiveMessageWaitTimeSeconds) while the clock is frozen by {library} "
        "(tick=False)"
    ]


def test_a_long_poll_on_a_moving_clock_is_left_alone(server: MotoServer) -> None:
    sqs, url = _long_poll_queue(server)
    with server.activated(patch_environ=False), freezegun.freeze_time("2024-05-01", tick=True):
        started = datetime.now(timezone.utc)
        empty = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
        waited = (datetime.now(timezone.utc) - started).total_seconds()
    assert "Messages" not in empty
    assert waited >= 1  # moto really waited: no warning (filterwarnings=error would fail)


# -- lifetime, outside pytest, bad input ---------------------------------------------------------


def test_stop_closes_the_socket_and_is_idempotent() -> None:
    server = MotoServer()
    port = server.port
    server.client("sqs").list_queues()
    assert not _refused(port)
    server.stop()
    server.stop()
    assert _refused(port)
    with pytest.raises(ConfigError, match="is stopped"):
        server.client("sqs")
    with pytest.raises(ConfigError, match="Cannot activate the stopped moto server"):
        server.activated().__enter__()


def test_usable_outside_pytest(tmp_path: Path) -> None:
    script = tmp_path / "standalone.py"
    script.write_text(
        textwrap.dedent(
            """
            import json, os, socket, sys
            import boto3
            from pytest_lambda import LambdaFunction
            from pytest_lambda.integrations.moto import MotoServer

            os.environ["AWS_PROFILE"] = "work"
            with MotoServer.start() as server:
                boto3.client("sqs").create_queue(QueueName="standalone")
                with LambdaFunction("sqs_send.handler", code_dir=sys.argv[1], timeout=20) as fn:
                    sent = fn.invoke({"queue": "standalone", "body": "hi"}).payload
                url = server.client("sqs").get_queue_url(QueueName="standalone")["QueueUrl"]
                body = server.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"]
                port = server.port
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                listening = True
            except ConnectionRefusedError:
                listening = False
            print(json.dumps({"body": body, "sent": "message_id" in sent,
                              "listening": listening, "profile": os.environ.get("AWS_PROFILE"),
                              "modules": "pytest" in sys.modules}))
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script), CODE_DIR],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert json.loads(out.splitlines()[-1]) == {
        "body": "hi",
        "sent": True,
        "listening": False,
        "profile": "work",
        "modules": False,
    }


def test_bad_input_gets_a_config_error_naming_the_value_and_the_fix(server: MotoServer) -> None:
    with pytest.raises(ConfigError, match=r"Invalid region 'us_east_1' .* 'us-east-1'"):
        MotoServer(region="us_east_1")
    with pytest.raises(ConfigError, match=r"Invalid port 70000 .* use 0 \(a free port\)"):
        MotoServer(port=70000)
    with pytest.raises(ConfigError, match=rf"127.0.0.1:{server.port}: .* Use port=0"):
        MotoServer(port=server.port)
    with pytest.raises(ConfigError, match=r"Unknown AWS service 'sqss' .* Did you mean: 'sqs'"):
        server.client("sqss")
    with pytest.raises(ConfigError, match=r"Invalid seed 'x' for reset\(\): use an integer"):
        server.reset(seed="x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"already runs with region 'us-east-1'"):
        moto_server(region="eu-west-1")


def test_missing_moto_is_named_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bridge_module, "_find_spec", lambda name: None)
    monkeypatch.delitem(sys.modules, "flask", raising=False)
    with pytest.raises(ConfigError, match=r"flask missing\)\. .*pytest-aws-lambda\[moto\]"):
        MotoServer()
