"""The pytest-lambda command line: event, --list, SAM names, sync."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from pytest_lambda.cli import main
from pytest_lambda.sources import registry
from pytest_lambda.sources._sam import SAM_EVENTS


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_event_prints_json_with_a_json_body_escaped(capsys):
    code, out, err = run(
        capsys, "event", "sqs", "--body", '{"id": 1, "q": "a \\"quote\\""}', "--seed", "1"
    )
    assert code == 0 and err == ""
    record = json.loads(out)["Records"][0]
    assert record["body"] == '{"id": 1, "q": "a \\"quote\\""}'
    assert json.loads(record["body"]) == {"id": 1, "q": 'a "quote"'}
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()


def test_same_seed_same_output(capsys):
    first = run(capsys, "event", "s3", "put", "--seed", "3", "--now", "2024-01-01T00:00:00Z")[1]
    second = run(capsys, "event", "s3", "put", "--seed", "3", "--now", "2024-01-01T00:00:00Z")[1]
    assert first == second
    assert json.loads(first)["Records"][0]["eventTime"] == "2024-01-01T00:00:00.000Z"


def test_flags_are_typed_from_the_builder_signature(capsys):
    code, out, _ = run(
        capsys,
        "event",
        "sqs",
        "fifo",
        "--records",
        "3",
        "--queue-name",
        "jobs",
        "--message-attributes",
        '{"n": 1}',
        "--no-fifo",
        "--seed",
        "1",
    )
    assert code == 0
    records = json.loads(out)["Records"]
    assert len(records) == 3
    assert records[0]["eventSourceARN"].endswith(":jobs")
    assert "SequenceNumber" not in records[0]["attributes"]
    assert records[0]["messageAttributes"]["n"]["dataType"] == "Number"


def test_list_shows_every_source_variant_and_sam_name(capsys):
    code, out, _ = run(capsys, "event", "--list")
    assert code == 0
    for slug, info in registry().items():
        for variant in info.variants:
            assert any(line.split()[:2] == [slug, variant] for line in out.splitlines()), (
                slug,
                variant,
            )
    assert "apigateway aws-proxy" in out and "sqs receive-message" in out


@pytest.mark.parametrize(("service", "event"), sorted(SAM_EVENTS))
def test_every_sam_pair_answers(capsys, service, event):
    code, out, err = run(capsys, "event", service, event, "--seed", "1")
    assert code == 0, err
    assert json.loads(out)


def test_sam_option_names_apply(capsys):
    code, out, _ = run(
        capsys,
        "event",
        "s3",
        "put",
        "--bucket",
        "b-1",
        "--key",
        "a b",
        "--region",
        "eu-west-1",
        "--partition",
        "aws",
        "--seed",
        "1",
    )
    record = json.loads(out)["Records"][0]
    assert (record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]) == ("b-1", "a+b")
    assert record["awsRegion"] == "eu-west-1"
    code, out, _ = run(
        capsys,
        "event",
        "sqs",
        "receive-message",
        "--queue-name",
        "q1",
        "--account-id",
        "111122223333",
        "--seed",
        "1",
    )
    assert (
        json.loads(out)["Records"][0]["eventSourceARN"] == "arn:aws:sqs:us-east-1:111122223333:q1"
    )
    code, out, _ = run(
        capsys,
        "event",
        "apigateway",
        "aws-proxy",
        "--querystringparameters",
        '{"foo": "bar"}',
        "--method",
        "PUT",
        "--seed",
        "1",
    )
    assert code == 0
    event = json.loads(out)
    assert event["queryStringParameters"] == {"foo": "bar"} and event["httpMethod"] == "PUT"


def test_set_overrides_fields(capsys):
    _, out, _ = run(
        capsys,
        "event",
        "sqs",
        "--set",
        "Records[0].awsRegion=eu-west-1",
        "--set",
        'Records.0.attributes.ApproximateReceiveCount="9"',
        "--seed",
        "1",
    )
    record = json.loads(out)["Records"][0]
    assert record["awsRegion"] == "eu-west-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "9"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["event", "sqss"], "Did you mean: 'sqs'?"),
        (["event", "sqs", "fifoo"], "no variant 'fifoo'"),
        (["event", "sqs", "--bodyy", "x"], "Did you mean: '--body'?"),
        (["event", "sqs", "--records", "many"], "invalid int value: 'many'"),
        (["event", "sqs", "--message-attributes", "{bad"], "--message-attributes expects JSON"),
        (["event", "sqs", "--set", "Records[5].body=x"], "has no index 5"),
        (["event", "sqs", "--set", "nopath"], "is not PATH=VALUE"),
        (["event", "sqs", "--now", "yesterday"], "is not an ISO 8601 instant"),
        (["event", "sqs", "--region", "moon"], "is not an AWS region name"),
        (["event", "sqs", "--records", "0"], "records=0 is out of range"),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ],
)
def test_bad_input_is_a_usage_error_with_nothing_on_stdout(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_output_file_is_written_only_when_the_event_builds(capsys, tmp_path):
    target = tmp_path / "event.json"
    assert run(capsys, "event", "sqs", "--records", "0", "-o", str(target))[0] == 2
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert run(capsys, "event", "sqs", "-o", str(target))[0] == 0
    assert json.loads(target.read_text())["Records"]


def test_sync_writes_then_checks_then_detects_drift(capsys, tmp_path):
    root = tmp_path / "events"
    assert run(capsys, "sync", str(root), "--check")[0] == 1
    assert not root.exists(), "--check wrote something"
    assert run(capsys, "sync", str(root))[0] == 0
    code, _, err = run(capsys, "sync", str(root), "--check")
    assert code == 0, err
    (root / "sqs" / "fifo.json").write_text("{}\n")
    (root / "sqs" / "gone.json").write_text("{}\n")
    code, _, err = run(capsys, "sync", str(root), "--check")
    assert code == 1
    assert f"{root / 'sqs' / 'fifo.json'}: out of date" in err
    assert f"{root / 'sqs' / 'gone.json'}: no such source or variant" in err
    assert "Fix: pytest-lambda sync" in err
    assert run(capsys, "sync", str(root))[0] == 0
    assert run(capsys, "sync", str(root), "--check")[0] == 0
    assert not (root / "sqs" / "gone.json").exists()


def test_python_dash_m_and_help():
    result = subprocess.run(
        [sys.executable, "-m", "pytest_lambda", "event", "sqs", "--seed", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Records"][0]["eventSource"] == "aws:sqs"
    result = subprocess.run(
        [sys.executable, "-m", "pytest_lambda", "event", "s3", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "--bucket" in result.stdout and "--key" in result.stdout


def test_every_builder_parameter_is_a_flag(capsys):
    for slug, info in registry().items():
        code, out, _ = run(capsys, "event", slug, "--help")
        assert code == 0
        for name in info.parameters:
            assert f"--{name.replace('_', '-')}" in out, (slug, name)
