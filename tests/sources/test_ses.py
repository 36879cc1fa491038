"""The SES inbound-email source: invariants, Powertools validation, bad input."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import SESEvent
from aws_lambda_powertools.utilities.parser.models import SesModel
from hypothesis import given
from hypothesis import strategies as st

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, get

FIXED_NOW = datetime(2024, 3, 1, 12, 30, 45, 678_000, tzinfo=timezone.utc)
REGION = "eu-west-1"
ACCOUNT = "111122223333"
SEEDS = range(6)
VERDICTS = ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED")
# Subjects: any single-line text (SES keeps the header value as it is).
SUBJECTS = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)))


def _event(variant: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    return build(
        "ses", variant, seed=seed, now=FIXED_NOW, region=REGION, account_id=ACCOUNT, **params
    )


def _ses(seed: int = 0, **params: Any) -> dict[str, Any]:
    records = _event(seed=seed, **params)["Records"]
    assert len(records) == 1
    ses: dict[str, Any] = records[0]["ses"]
    return ses


def _headers(mail: dict[str, Any]) -> dict[str, str]:
    names = [h["name"] for h in mail["headers"]]
    assert len(names) == len(set(names)), "a header appears twice"
    return {h["name"]: h["value"] for h in mail["headers"]}


@pytest.mark.parametrize("variant", list(get("ses").variants))
@pytest.mark.parametrize("seed", SEEDS)
def test_every_variant_validates_with_the_powertools_model(variant: str, seed: int) -> None:
    model = SesModel.model_validate(_event(variant, seed))
    record = model.Records[0]
    assert record.eventSource == "aws:ses"
    assert record.ses.receipt.action.type == "Lambda"


@pytest.mark.parametrize("verdict", VERDICTS)
def test_every_verdict_validates_with_the_powertools_model(verdict: str) -> None:
    event = _event(spam=verdict, virus=verdict, spf=verdict, dkim=verdict, dmarc=verdict)
    receipt = SesModel.model_validate(event).Records[0].ses.receipt
    assert receipt.spamVerdict.status == receipt.dmarcVerdict.status == verdict


def test_record_constants() -> None:
    record = _event()["Records"][0]
    assert record["eventSource"] == "aws:ses"
    assert record["eventVersion"] == "1.0"
    assert set(record["ses"]) == {"mail", "receipt"}


@pytest.mark.parametrize("seed", SEEDS)
def test_headers_agree_with_common_headers_and_the_envelope(seed: int) -> None:
    mail = _ses(seed)["mail"]
    headers = _headers(mail)
    common = mail["commonHeaders"]
    assert headers["From"] == common["from"][0]
    assert len(common["from"]) == 1
    assert headers["To"] == ", ".join(common["to"])
    assert headers["Subject"] == common["subject"]
    assert headers["Date"] == common["date"]
    assert headers["Message-ID"] == common["messageId"]
    assert headers["Return-Path"] == f"<{common['returnPath']}>"
    assert common["returnPath"] == mail["source"]
    assert mail["source"] in headers["From"]
    assert f"with SMTP id {mail['messageId']} " in headers["Received"]
    assert f"for {mail['destination'][0]};" in headers["Received"]
    assert f"inbound-smtp.{REGION}.amazonaws.com" in headers["Received"]
    assert mail["headersTruncated"] is False


def test_sender_and_recipients_with_display_names() -> None:
    ses = _ses(
        sender='"Doe, John" <john.doe@example.net>',
        recipients=["Support <support@example.com>", "sales@example.com"],
        subject="Quote request",
    )
    mail, receipt = ses["mail"], ses["receipt"]
    assert mail["source"] == "john.doe@example.net"
    assert mail["destination"] == ["support@example.com", "sales@example.com"]
    assert receipt["recipients"] == mail["destination"]
    assert mail["commonHeaders"]["from"] == ['"Doe, John" <john.doe@example.net>']
    assert mail["commonHeaders"]["to"] == ["Support <support@example.com>", "sales@example.com"]
    assert _headers(mail)["To"] == "Support <support@example.com>, sales@example.com"
    assert mail["commonHeaders"]["subject"] == "Quote request"
    assert mail["commonHeaders"]["messageId"].endswith("@example.net>")


def test_message_id_is_40_lower_case_alphanumerics_unless_given() -> None:
    assert re.fullmatch(r"[a-z0-9]{40}", _ses()["mail"]["messageId"])
    assert _ses(message_id="o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1")["mail"]["messageId"] == (
        "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"
    )


def test_times_are_ordered_and_formatted() -> None:
    ses = _ses()
    mail, receipt = ses["mail"], ses["receipt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", mail["timestamp"])
    assert receipt["timestamp"] == mail["timestamp"]
    received = datetime.strptime(mail["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc
    )
    assert received + timedelta(milliseconds=receipt["processingTimeMillis"]) == FIXED_NOW
    assert receipt["processingTimeMillis"] > 0
    date = mail["commonHeaders"]["date"]
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000", date)
    assert parsedate_to_datetime(date) < received


def test_verdicts_flow_into_receipt_and_headers() -> None:
    ses = _ses(spam="FAIL", virus="GRAY", spf="FAIL", dkim="GRAY", dmarc="PROCESSING_FAILED")
    receipt, headers = ses["receipt"], _headers(ses["mail"])
    assert receipt["spamVerdict"] == {"status": "FAIL"}
    assert receipt["virusVerdict"] == {"status": "GRAY"}
    assert receipt["spfVerdict"] == {"status": "FAIL"}
    assert receipt["dkimVerdict"] == {"status": "GRAY"}
    assert receipt["dmarcVerdict"] == {"status": "PROCESSING_FAILED"}
    assert headers["X-SES-Spam-Verdict"] == "FAIL"
    assert headers["X-SES-Virus-Verdict"] == "GRAY"
    assert headers["Received-SPF"].startswith("fail (spfCheck: ")
    results = headers["Authentication-Results"]
    assert results.startswith("amazonses.com; spf=fail ")
    assert " dkim=none " in results
    assert " dmarc=temperror " in results
    assert "dmarcPolicy" not in receipt


def test_dmarc_policy_only_when_dmarc_fails() -> None:
    assert "dmarcPolicy" not in _ses()["receipt"]
    assert _ses(dmarc="FAIL")["receipt"]["dmarcPolicy"] == "none"
    receipt = _ses(dmarc="FAIL", dmarc_policy="reject")["receipt"]
    assert receipt["dmarcPolicy"] == "reject"
    assert list(receipt).index("dmarcPolicy") == list(receipt).index("dmarcVerdict") + 1


def test_lambda_action_names_the_function_in_region_and_account() -> None:
    action = _ses(function_name="process-mail", invocation_type="RequestResponse")["receipt"][
        "action"
    ]
    assert action == {
        "type": "Lambda",
        "functionArn": "arn:aws:lambda:eu-west-1:111122223333:function:process-mail",
        "invocationType": "RequestResponse",
    }
    assert _ses()["receipt"]["action"]["invocationType"] == "Event"


@given(subject=SUBJECTS)
def test_subject_reaches_header_and_common_headers(subject: str) -> None:
    mail = _ses(subject=subject)["mail"]
    assert _headers(mail)["Subject"] == subject
    assert mail["commonHeaders"]["subject"] == subject


def test_powertools_data_class_reads_the_event_back() -> None:
    event = SESEvent(_event(sender="jane@example.com", recipients=["a@example.org"], subject="S"))
    mail = event.record.ses.mail
    assert mail.source == "jane@example.com"
    assert mail.common_headers.get_from == ["jane@example.com"]
    assert mail.common_headers.to == ["a@example.org"]
    assert mail.common_headers.subject == "S"
    assert event.record.ses.receipt.spf_verdict.status == "PASS"
    assert event.record.ses.receipt.action.function_arn.endswith(":function:IncomingEmail")


def test_same_seed_same_event_and_other_seeds_change_the_ids() -> None:
    assert _event(seed=2) == _event(seed=2)
    first, other = _ses(seed=2)["mail"], _ses(seed=3)["mail"]
    assert first["messageId"] != other["messageId"]
    assert first["commonHeaders"]["messageId"] != other["commonHeaders"]["messageId"]
    uuid.UUID(first["commonHeaders"]["messageId"][1:].split("@")[0])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"sender": "not an address"}, r"sender 'not an address' is not an e-mail address"),
        ({"recipients": ["ok@example.com", "nope"]}, r"recipient 'nope' is not an e-mail"),
        ({"recipients": []}, r"recipients is empty"),
        ({"subject": "a\r\nBcc: x@example.com"}, r"subject .* contains a line break"),
        ({"message_id": "has space"}, r"message_id 'has space' is not an SES message id"),
        ({"dmarc_policy": "reject"}, r"dmarc_policy='reject' with dmarc='PASS'.*dmarc='FAIL'"),
        ({"function_name": "arn:aws:lambda:x"}, r"function_name .* not a Lambda function name"),
        ({"spam": "pass"}, r"parameter 'spam' expects 'PASS' \| 'FAIL'"),
        ({"invocation_type": "DryRun"}, r"parameter 'invocation_type' expects 'Event'"),
        ({"recipients": "a@example.com"}, r"parameter 'recipients' expects"),
    ],
)
def test_bad_input_raises_a_helpful_error(params: dict[str, Any], match: str) -> None:
    with pytest.raises(EventBuildError, match=match):
        _event(**params)
