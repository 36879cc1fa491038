"""The Lex V2 source: the documented input event field by field, SAM's three samples, the
dialog state it derives, bad input. Powertools has no Lex V2 model, so these tests are the
oracle."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from pytest_lambda.errors import EventBuildError
from pytest_lambda.sources import build, get

REGION = "eu-west-1"
ACCOUNT = "111122223333"

# https://docs.aws.amazon.com/lexv2/latest/dg/lambda-input-format.html (general format, in its
# order); proposedNextState only for a dialog hook that elicits a slot, requestAttributes only
# when the client sent some.
DOC_KEYS = [
    "messageVersion",
    "invocationSource",
    "inputMode",
    "responseContentType",
    "sessionId",
    "inputTranscript",
    "bot",
    "interpretations",
    "proposedNextState",
    "requestAttributes",
    "sessionState",
    "transcriptions",
]
BOT_KEYS = ["id", "name", "localeId", "version", "aliasId", "aliasName"]
INTENT_KEYS = {"slots", "confirmationState", "name", "state"}
INTENT_STATES = {
    "Failed",
    "Fulfilled",
    "FulfillmentInProgress",
    "InProgress",
    "ReadyForFulfillment",
    "Waiting",
}


def _event(variant: str | None = None, seed: int = 0, **params: Any) -> dict[str, Any]:
    return build("lex_v2", variant, seed=seed, region=REGION, account_id=ACCOUNT, **params)


def _check_slot(slot: Any, *, interpreted: bool = True) -> None:
    if slot is None:
        return
    assert set(slot) == {"shape", "value"}
    assert slot["shape"] in ("Scalar", "List")
    expected = {"originalValue", "resolvedValues"} | (
        {"interpretedValue"} if interpreted else set()
    )
    assert set(slot["value"]) == expected
    assert all(isinstance(v, str) for v in slot["value"]["resolvedValues"])


def _check_intent(intent: dict[str, Any]) -> None:
    assert set(intent) == INTENT_KEYS
    assert intent["state"] in INTENT_STATES
    assert intent["confirmationState"] in ("Confirmed", "Denied", "None")
    for slot in intent["slots"].values():
        _check_slot(slot)


@pytest.mark.parametrize("variant", list(get("lex_v2").variants))
def test_every_variant_has_the_documented_fields_and_types(variant: str) -> None:
    event = _event(variant)
    assert [k for k in DOC_KEYS if k in event] == list(event)
    assert {"proposedNextState", "requestAttributes"} | set(event) == set(DOC_KEYS)
    assert event["messageVersion"] == "1.0"
    assert event["invocationSource"] in ("DialogCodeHook", "FulfillmentCodeHook")
    assert event["inputMode"] in ("DTMF", "Speech", "Text")
    assert list(event["bot"]) == BOT_KEYS
    assert re.fullmatch(r"[0-9A-Z]{10}", event["bot"]["id"])
    for interpretation in event["interpretations"]:
        assert set(interpretation) <= {
            "interpretationSource",
            "intent",
            "nluConfidence",
            "sentimentResponse",
        }
        assert interpretation["interpretationSource"] in ("Bedrock", "Lex")
        _check_intent(interpretation["intent"])
    state = event["sessionState"]
    assert list(state) == ["activeContexts", "sessionAttributes", "intent", "originatingRequestId"]
    _check_intent(state["intent"])
    uuid.UUID(state["originatingRequestId"])
    for transcription in event["transcriptions"]:
        assert set(transcription) == {
            "transcription",
            "transcriptionConfidence",
            "resolvedContext",
            "resolvedSlots",
        }
        assert 0 <= transcription["transcriptionConfidence"] <= 1
        for slot in transcription["resolvedSlots"].values():
            _check_slot(slot, interpreted=False)


def test_banking_bot_is_sams_sample() -> None:
    # samcli/lib/generated_sample_events/events/lex-v2/BankingBot.json
    event = _event("banking_bot")
    assert get("lex_v2").default_variant == "banking_bot"
    assert event["invocationSource"] == "FulfillmentCodeHook"
    assert event["inputTranscript"] == "01/01/1990"
    assert event["bot"]["name"] == "BankingBot"
    assert (event["bot"]["aliasId"], event["bot"]["aliasName"]) == ("TSTALIASID", "TestBotAlias")
    assert (event["bot"]["version"], event["bot"]["localeId"]) == ("DRAFT", "en_US")
    assert "proposedNextState" not in event
    intent = event["sessionState"]["intent"]
    assert intent["name"] == "CheckBalance"
    assert intent["state"] == "ReadyForFulfillment"
    assert intent["slots"]["dateofBirth"] == {
        "shape": "Scalar",
        "value": {
            "originalValue": "01/01/1990",
            "resolvedValues": ["1990-01-01"],
            "interpretedValue": "1990-01-01",
        },
    }
    assert intent["slots"]["accountType"]["value"]["interpretedValue"] == "Savings"
    names = [(i["intent"]["name"], i.get("nluConfidence")) for i in event["interpretations"]]
    assert names == [("CheckBalance", 1.0), ("FallbackIntent", None), ("Welcome", 0.23)]
    # The utterance "01/01/1990" resolved the date of birth only.
    [transcription] = event["transcriptions"]
    assert transcription["transcription"] == "01/01/1990"
    assert transcription["transcriptionConfidence"] == 1
    assert transcription["resolvedContext"] == {"intent": "CheckBalance"}
    assert transcription["resolvedSlots"] == {
        "dateofBirth": {
            "shape": "Scalar",
            "value": {"originalValue": "01/01/1990", "resolvedValues": ["1990-01-01"]},
        }
    }


@pytest.mark.parametrize(
    ("variant", "intent", "first_slot", "slots", "utterance", "other"),
    [
        (
            "book_car",
            "BookCar",
            "PickUpCity",
            {"PickUpCity", "PickUpDate", "ReturnDate", "DriverAge", "CarType"},
            "Book a car",
            ("BookHotel", 0.51),
        ),
        (
            "book_hotel",
            "BookHotel",
            "Location",
            {"Location", "CheckInDate", "Nights", "RoomType"},
            "Book a hotel",
            ("BookCar", 0.42),
        ),
    ],
)
def test_booktrip_variants_are_sams_first_turn(
    variant: str,
    intent: str,
    first_slot: str,
    slots: set[str],
    utterance: str,
    other: tuple[str, float],
) -> None:
    # samcli/lib/generated_sample_events/events/lex-v2/LexBookCar.json, LexBookHotel.json
    event = _event(variant)
    assert event["invocationSource"] == "DialogCodeHook"
    assert event["inputTranscript"] == utterance
    assert event["bot"]["name"] == "BookTrip"
    current = event["sessionState"]["intent"]
    assert current["name"] == intent
    assert current["state"] == "InProgress"
    assert current["slots"] == dict.fromkeys(slots)
    assert event["proposedNextState"] == {
        "dialogAction": {"slotToElicit": first_slot, "type": "ElicitSlot"},
        "intent": current,
        "prompt": {"attempt": "Initial"},
    }
    alternative = event["interpretations"][2]
    assert (alternative["intent"]["name"], alternative["nluConfidence"]) == other
    # The other sample intent is listed with its own (empty) slots.
    assert all(v is None for v in alternative["intent"]["slots"].values())
    assert alternative["intent"]["slots"]
    assert event["transcriptions"][0]["resolvedSlots"] == {}


def test_top_interpretation_and_session_intent_agree() -> None:
    for variant in get("lex_v2").variants:
        event = _event(variant)
        assert event["interpretations"][0]["intent"] == event["sessionState"]["intent"]
        assert event["interpretations"][1]["intent"]["name"] == "FallbackIntent"
        assert "nluConfidence" not in event["interpretations"][1]


def test_parameters_reach_the_event() -> None:
    event = _event(
        bot_name="PizzaBot",
        intent="OrderPizza",
        slots={"Size": "Large", "Crust": None},
        original_values={"Size": "a large one"},
        invocation_source="DialogCodeHook",
        input_mode="Speech",
        session_id="session-42",
        bot_id="ABCDEFGHIJ",
        bot_alias_id="PRODALIAS1",
        bot_alias_name="prod",
        bot_version="4",
        locale_id="en_GB",
        session_attributes={"cart": "[]"},
        request_attributes={"x-amz-lex:accept-content-types": "PlainText"},
        nlu_confidence=0.93,
        alternative_intents={"CancelOrder": 0.11},
    )
    assert event["sessionId"] == "session-42"
    assert event["bot"] == {
        "id": "ABCDEFGHIJ",
        "name": "PizzaBot",
        "localeId": "en_GB",
        "version": "4",
        "aliasId": "PRODALIAS1",
        "aliasName": "prod",
    }
    assert event["inputMode"] == "Speech"
    assert event["responseContentType"] == "audio/pcm"
    assert event["inputTranscript"] == "a large one"
    assert event["requestAttributes"] == {"x-amz-lex:accept-content-types": "PlainText"}
    assert event["sessionState"]["sessionAttributes"] == {"cart": "[]"}
    assert event["interpretations"][0]["nluConfidence"] == 0.93
    assert event["interpretations"][2]["intent"] == {
        "slots": {},
        "confirmationState": "None",
        "name": "CancelOrder",
        "state": "InProgress",
    }
    assert event["proposedNextState"]["dialogAction"]["slotToElicit"] == "Crust"
    size = event["sessionState"]["intent"]["slots"]["Size"]
    assert size["value"] == {
        "originalValue": "a large one",
        "resolvedValues": ["Large"],
        "interpretedValue": "Large",
    }
    # Speech recognition reports its own confidence below 1.
    assert 0.8 <= event["transcriptions"][0]["transcriptionConfidence"] < 1
    assert set(event["transcriptions"][0]["resolvedSlots"]) == {"Size"}


def test_alternatives_default_to_the_samples_only() -> None:
    custom = _event(bot_name="PizzaBot", intent="OrderPizza", slots={"Size": None})
    assert [i["intent"]["name"] for i in custom["interpretations"]] == [
        "OrderPizza",
        "FallbackIntent",
    ]
    none = _event(alternative_intents={})
    assert [i["intent"]["name"] for i in none["interpretations"]] == [
        "CheckBalance",
        "FallbackIntent",
    ]
    ranked = _event(alternative_intents={"Low": 0.1, "High": 0.6})
    assert [i["intent"]["name"] for i in ranked["interpretations"][2:]] == ["High", "Low"]


def test_confirmation_turn() -> None:
    event = _event(invocation_source="DialogCodeHook", confirmation_state="Confirmed")
    assert event["inputTranscript"] == "yes"
    assert event["sessionState"]["intent"]["confirmationState"] == "Confirmed"
    assert "proposedNextState" not in event


def test_sentiment_response_on_the_top_interpretation() -> None:
    event = _event(sentiment="NEGATIVE")
    response = event["interpretations"][0]["sentimentResponse"]
    assert response["sentiment"] == "NEGATIVE"
    scores = response["sentimentScore"]
    assert set(scores) == {"mixed", "negative", "neutral", "positive"}
    assert max(scores, key=scores.__getitem__) == "negative"
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-6)
    assert all("sentimentResponse" not in i for i in event["interpretations"][1:])


def test_ids_are_seeded_and_the_event_is_timeless() -> None:
    first, again, other = _event(seed=5), _event(seed=5), _event(seed=6)
    assert first == again
    assert re.fullmatch(r"[0-9]{15}", first["sessionId"])
    assert first["sessionId"] != other["sessionId"]
    assert (
        first["sessionState"]["originatingRequestId"]
        != other["sessionState"]["originatingRequestId"]
    )
    assert first["bot"]["id"] != other["bot"]["id"]
    later = build(
        "lex_v2", seed=5, now=datetime(2031, 1, 1, tzinfo=timezone.utc), region="ap-south-1"
    )
    assert later == first
    assert "arn:" not in json.dumps(first)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"bot_name": "Banking Bot"}, r"bot_name 'Banking Bot' is not a Lex V2 name"),
        ({"bot_alias_name": ""}, r"bot_alias_name ''"),
        ({"bot_id": "abc"}, r"bot_id 'abc' is not a Lex V2 id"),
        ({"bot_alias_id": "TSTALIASID1"}, r"bot_alias_id 'TSTALIASID1'"),
        ({"bot_version": "$LATEST"}, r"bot_version '\$LATEST'.*'DRAFT'"),
        ({"locale_id": "en-US"}, r"locale_id 'en-US'.*'en_US'"),
        ({"intent": "Check Balance"}, r"intent 'Check Balance'"),
        ({"alternative_intents": {"FallbackIntent": 0.1}}, r"always adds FallbackIntent"),
        ({"alternative_intents": {"CheckBalance": 0.1}}, r"repeats the matched intent"),
        ({"alternative_intents": {"Welcome": 1.5}}, r"'Welcome' is 1.5, out of range"),
        (
            {"nlu_confidence": 0.2, "alternative_intents": {"Welcome": 0.5}},
            r"scores above the matched one",
        ),
        ({"slots": {"bad slot": "x"}}, r"slots= key 'bad slot'"),
        ({"original_values": {"pin": "1234"}}, r"original_values names \['pin'\]"),
        ({"session_id": "x"}, r"session_id 'x'"),
        (
            {"confirmation_state": "Denied"},
            r"never fulfils an intent the user denied",
        ),
        ({"input_transcript": ""}, r"input_transcript is empty"),
        ({"input_mode": "Voice"}, r"parameter 'input_mode' expects"),
        ({"slots": {"accountType": 1}}, r"parameter 'slots' expects"),
    ],
)
def test_bad_input_raises_a_helpful_error(params: dict[str, Any], match: str) -> None:
    with pytest.raises(EventBuildError, match=match):
        _event(**params)
