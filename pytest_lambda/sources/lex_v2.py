"""Amazon Lex V2 code hook events: a bot locale invokes its function during a conversation.

Shapes: https://docs.aws.amazon.com/lexv2/latest/dg/lambda-input-format.html and the common
structures page (intent, slots, session state), checked against SAM CLI's three ``lex-v2``
templates (console captures), whose bots, intents, slots and alternatives the variants keep.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from ..errors import EventBuildError
from ._core import BuildContext, Event, event_source
from .lex import Sentiment, sentiment_scores, utterance_for

__all__ = ["build"]

# CreateBot/CreateIntent/CreateSlot/CreateBotAlias names: 1-100 of ^([0-9a-zA-Z][_-]?)+$.
# https://docs.aws.amazon.com/lexv2/latest/APIReference/API_CreateBot.html
_NAME_RE = re.compile(r"^([0-9a-zA-Z][_-]?)+$")
_INTENT_RE = re.compile(r"^(AMAZON\.)?([0-9a-zA-Z][_-]?)+$")
# Bot and alias ids are 10 characters; the console's test alias is always TSTALIASID.
_ID_RE = re.compile(r"^[0-9A-Z]{10}$")
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_VERSION_RE = re.compile(r"^(DRAFT|[0-9]+)$")
# Locale ids: en_US, de_DE, es_419, ... https://docs.aws.amazon.com/lexv2/latest/dg/how-languages.html
_LOCALE_RE = re.compile(r"^[a-z]{2}_([A-Z]{2}|419)$")
# RecognizeText sessionId: 2-100 characters of [0-9a-zA-Z._:-].
# https://docs.aws.amazon.com/lexv2/latest/APIReference/API_runtime_RecognizeText.html
_SESSION_RE = re.compile(r"^[0-9a-zA-Z._:-]{2,100}$")

# The sample bots behind SAM's templates: slots in elicitation order, each with the value Lex
# interprets and what the user said.
_SAMPLES: dict[str, dict[str, tuple[str, str]]] = {
    "CheckBalance": {
        "accountType": ("Savings", "savings"),
        "dateofBirth": ("1990-01-01", "01/01/1990"),
    },
    "BookCar": {
        "PickUpCity": ("Chicago", "chicago"),
        "PickUpDate": ("2030-11-08", "november 8th 2030"),
        "ReturnDate": ("2030-11-10", "november 10th 2030"),
        "DriverAge": ("21", "21"),
        "CarType": ("Economy", "economy"),
    },
    "BookHotel": {
        "Location": ("Chicago", "chicago"),
        "CheckInDate": ("2030-11-08", "november 8th 2030"),
        "Nights": ("4", "four"),
        "RoomType": ("Queen", "queen"),
    },
}
# The weaker interpretations SAM's samples show for each intent (intent -> nluConfidence).
_SAMPLE_ALTERNATIVES: dict[str, dict[str, float]] = {
    "CheckBalance": {"Welcome": 0.23},
    "BookCar": {"BookHotel": 0.51},
    "BookHotel": {"BookCar": 0.42},
}
_SAMPLE_UTTERANCES = {
    "CheckBalance": "What's my balance?",
    "BookCar": "Book a car",
    "BookHotel": "Book a hotel",
}


def _slot(value: str | None, original: str | None, *, interpreted: bool = True) -> Any:
    if value is None:
        return None
    inner: dict[str, Any] = {"originalValue": original or value, "resolvedValues": [value]}
    if interpreted:
        inner["interpretedValue"] = value
    return {"shape": "Scalar", "value": inner}


def _intent(
    name: str,
    slots: Mapping[str, str | None],
    originals: Mapping[str, str],
    state: str,
    confirmation: str,
) -> dict[str, Any]:
    return {
        "slots": {n: _slot(v, originals.get(n)) for n, v in slots.items()},
        "confirmationState": confirmation,
        "name": name,
        "state": state,
    }


def _check_name(what: str, value: str, pattern: re.Pattern[str] = _NAME_RE) -> None:
    if not 1 <= len(value) <= 100 or not pattern.match(value):
        raise EventBuildError(
            f"lex_v2: {what} {value!r} is not a Lex V2 name. Fix: 1-100 letters and digits, "
            "each optionally followed by '_' or '-' (e.g. 'BookCar')."
        )


def _check(
    *,
    bot_name: str,
    bot_id: str | None,
    bot_alias_id: str,
    bot_alias_name: str,
    bot_version: str,
    locale_id: str,
    intent: str,
    slots: Mapping[str, str | None],
    originals: Mapping[str, str],
    session_id: str | None,
    nlu_confidence: float,
    alternatives: Mapping[str, float],
    invocation_source: str,
    confirmation_state: str,
) -> None:
    _check_name("bot_name", bot_name)
    _check_name("bot_alias_name", bot_alias_name)
    for what, value in (("bot_id", bot_id), ("bot_alias_id", bot_alias_id)):
        if value is not None and not _ID_RE.match(value):
            raise EventBuildError(
                f"lex_v2: {what} {value!r} is not a Lex V2 id. Fix: 10 upper-case letters and "
                "digits such as 'J866BA0UQC' ('TSTALIASID' is the console's test alias)."
            )
    if not _VERSION_RE.match(bot_version):
        raise EventBuildError(
            f"lex_v2: bot_version {bot_version!r} is not a Lex V2 bot version. "
            "Fix: 'DRAFT' or a version number such as '3'."
        )
    if not _LOCALE_RE.match(locale_id):
        raise EventBuildError(
            f"lex_v2: locale_id {locale_id!r} is not a Lex V2 locale id. "
            "Fix: an underscore form such as 'en_US', 'de_DE' or 'es_419'."
        )
    _check_name("intent", intent, _INTENT_RE)
    for name in alternatives:
        _check_name("alternative_intents= key", name, _INTENT_RE)
    if intent in alternatives or "FallbackIntent" in alternatives:
        raise EventBuildError(
            f"lex_v2: alternative_intents {sorted(alternatives)} repeats "
            f"{'the matched intent' if intent in alternatives else 'FallbackIntent'}; Lex lists "
            "each intent once and always adds FallbackIntent itself. Fix: drop it."
        )
    for name in slots:
        _check_name("slots= key", name)
    filled = [n for n, v in slots.items() if v is not None]
    unknown = sorted(set(originals) - set(filled))
    if unknown:
        raise EventBuildError(
            f"lex_v2: original_values names {unknown}, which are not filled slots of {intent!r} "
            f"(filled: {filled}). Fix: give an original value only for a slot that has a value."
        )
    if session_id is not None and not _SESSION_RE.match(session_id):
        raise EventBuildError(
            f"lex_v2: session_id {session_id!r} is not a Lex V2 session id. Fix: 2-100 "
            "characters of letters, digits and ._:-."
        )
    for param, name, score in [
        ("nlu_confidence", intent, nlu_confidence),
        *(("alternative_intents", n, s) for n, s in alternatives.items()),
    ]:
        if not 0.0 <= score <= 1.0:
            raise EventBuildError(
                f"lex_v2: {param}: the nluConfidence of {name!r} is {score!r}, out of range. "
                "Fix: a number from 0 to 1."
            )
    if any(score > nlu_confidence for score in alternatives.values()):
        raise EventBuildError(
            f"lex_v2: an alternative intent scores above the matched one ({alternatives} vs "
            f"{nlu_confidence}); Lex picks the best-scoring intent. Fix: lower the alternatives "
            "or raise nlu_confidence."
        )
    if invocation_source == "FulfillmentCodeHook" and confirmation_state == "Denied":
        raise EventBuildError(
            "lex_v2: confirmation_state='Denied' with invocation_source='FulfillmentCodeHook': "
            "Lex never fulfils an intent the user denied. Fix: 'DialogCodeHook' for the denial "
            "turn, or 'Confirmed'/'None'."
        )


@event_source(
    "lex_v2",
    doc="https://docs.aws.amazon.com/lexv2/latest/dg/lambda-input-format.html",
    variants={
        "banking_bot": {},
        "book_car": {
            "bot_name": "BookTrip",
            "intent": "BookCar",
            "slots": dict.fromkeys(_SAMPLES["BookCar"]),
            "invocation_source": "DialogCodeHook",
        },
        "book_hotel": {
            "bot_name": "BookTrip",
            "intent": "BookHotel",
            "slots": dict.fromkeys(_SAMPLES["BookHotel"]),
            "invocation_source": "DialogCodeHook",
        },
    },
)
def build(
    ctx: BuildContext,
    *,
    bot_name: str = "BankingBot",
    intent: str = "CheckBalance",
    slots: dict[str, str | None] | None = None,
    original_values: dict[str, str] | None = None,
    invocation_source: Literal["DialogCodeHook", "FulfillmentCodeHook"] = "FulfillmentCodeHook",
    confirmation_state: Literal["None", "Confirmed", "Denied"] = "None",
    input_mode: Literal["Text", "Speech", "DTMF"] = "Text",
    input_transcript: str | None = None,
    session_id: str | None = None,
    bot_id: str | None = None,
    bot_alias_id: str = "TSTALIASID",
    bot_alias_name: str = "TestBotAlias",
    bot_version: str = "DRAFT",
    locale_id: str = "en_US",
    session_attributes: dict[str, str] | None = None,
    request_attributes: dict[str, str] | None = None,
    nlu_confidence: float = 1.0,
    alternative_intents: dict[str, float] | None = None,
    sentiment: Sentiment | None = None,
) -> Event:
    """Lex V2 -> Lambda: one code hook call for ``intent`` of ``bot_name``.

    The default is SAM's BankingBot sample: ``CheckBalance`` ready for fulfilment after the user
    typed their date of birth, with ``Welcome`` as a weaker interpretation; ``book_car`` and
    ``book_hotel`` are the first turn of SAM's BookTrip bot, every slot still empty, with the
    ``proposedNextState`` that elicits the first one. ``slots`` maps slot names (in elicitation
    order) to interpreted values (``None`` = empty); ``slots=None`` means the sample bot's slots
    for CheckBalance/BookCar/BookHotel, else none. ``original_values`` is what the user said for
    a slot (the sample phrasing, else the value). ``input_transcript=None`` takes the original
    value of the last filled slot (``yes``/``no`` after a confirmation, an utterance naming the
    intent when nothing is filled); ``transcriptions[].resolvedSlots`` are the slots whose words
    it contains. The intent's ``state`` is ``ReadyForFulfillment`` for a fulfilment hook, else
    ``InProgress``. ``alternative_intents`` maps other intents to their ``nluConfidence``
    (``None``: the samples' alternatives for their intents, else none; ``FallbackIntent`` is
    always listed, without a score). ``session_id`` defaults to a
    console-style 15-digit id, ``bot_id`` to a random 10-character id.
    ``request_attributes`` appears only when given (console events carry none).
    ``sentiment`` adds the top interpretation's ``sentimentResponse``.
    """
    sample = _SAMPLES.get(intent, {})
    slot_values: dict[str, str | None] = (
        {name: value for name, (value, _) in sample.items()} if slots is None else dict(slots)
    )
    originals: dict[str, str] = (
        {n: said for n, (v, said) in sample.items() if slot_values.get(n) == v}
        if original_values is None
        else dict(original_values)
    )
    alternatives = dict(
        _SAMPLE_ALTERNATIVES.get(intent, {}) if alternative_intents is None else alternative_intents
    )
    _check(
        bot_name=bot_name,
        bot_id=bot_id,
        bot_alias_id=bot_alias_id,
        bot_alias_name=bot_alias_name,
        bot_version=bot_version,
        locale_id=locale_id,
        intent=intent,
        slots=slot_values,
        originals=originals,
        session_id=session_id,
        nlu_confidence=nlu_confidence,
        alternatives=alternatives,
        invocation_source=invocation_source,
        confirmation_state=confirmation_state,
    )
    filled = [n for n, v in slot_values.items() if v is not None]
    if input_transcript is None:
        if confirmation_state != "None":
            input_transcript = "yes" if confirmation_state == "Confirmed" else "no"
        elif filled:
            input_transcript = originals.get(filled[-1]) or slot_values[filled[-1]]
        else:
            input_transcript = _SAMPLE_UTTERANCES.get(intent) or utterance_for(intent)
    if not input_transcript:
        raise EventBuildError(
            "lex_v2: input_transcript is empty; Lex only invokes a code hook for an utterance. "
            "Fix: pass the user's text."
        )
    state = "ReadyForFulfillment" if invocation_source == "FulfillmentCodeHook" else "InProgress"

    top: dict[str, Any] = {
        "interpretationSource": "Lex",
        "intent": _intent(intent, slot_values, originals, state, confirmation_state),
        "nluConfidence": nlu_confidence,
    }
    if sentiment is not None:
        scores = sentiment_scores(ctx, sentiment)
        top["sentimentResponse"] = {
            "sentiment": sentiment,
            "sentimentScore": {name.lower(): score for name, score in scores.items()},
        }
    # FallbackIntent is always a candidate, and Lex gives it no score.
    interpretations: list[dict[str, Any]] = [
        top,
        {"interpretationSource": "Lex", "intent": _intent("FallbackIntent", {}, {}, state, "None")},
    ]
    for name, score in sorted(alternatives.items(), key=lambda item: -item[1]):
        empty = dict.fromkeys(_SAMPLES.get(name, {}))
        interpretations.append(
            {
                "interpretationSource": "Lex",
                "intent": _intent(name, empty, {}, state, "None"),
                "nluConfidence": score,
            }
        )

    said = input_transcript.lower()
    resolved = {
        n: _slot(v, originals.get(n), interpreted=False)
        for n, v in slot_values.items()
        if v is not None and (originals.get(n) or v).lower() in said
    }
    event: dict[str, Any] = {
        "messageVersion": "1.0",
        "invocationSource": invocation_source,
        "inputMode": input_mode,
        # Typed input gets a text reply; spoken and DTMF (telephony) input an audio stream.
        "responseContentType": "text/plain; charset=utf-8" if input_mode == "Text" else "audio/pcm",
        "sessionId": session_id or ctx.digits(15),
        "inputTranscript": input_transcript,
        "bot": {
            "id": bot_id or ctx.chars(10, _ID_ALPHABET),
            "name": bot_name,
            "localeId": locale_id,
            "version": bot_version,
            "aliasId": bot_alias_id,
            "aliasName": bot_alias_name,
        },
        "interpretations": interpretations,
    }
    empty_slots = [n for n, v in slot_values.items() if v is None]
    # Present only for a dialog hook whose predicted next step elicits a slot (AWS docs).
    if invocation_source == "DialogCodeHook" and confirmation_state == "None" and empty_slots:
        event["proposedNextState"] = {
            "dialogAction": {"slotToElicit": empty_slots[0], "type": "ElicitSlot"},
            "intent": _intent(intent, slot_values, originals, state, confirmation_state),
            "prompt": {"attempt": "Initial"},
        }
    if request_attributes is not None:
        event["requestAttributes"] = dict(request_attributes)
    event["sessionState"] = {
        "activeContexts": [],
        "sessionAttributes": dict(session_attributes or {}),
        "intent": _intent(intent, slot_values, originals, state, confirmation_state),
        "originatingRequestId": ctx.uuid(),
    }
    event["transcriptions"] = [
        {
            "transcription": input_transcript,
            # Typed text and keypad digits are certain; speech recognition has its confidence.
            "transcriptionConfidence": 1
            if input_mode != "Speech"
            else round(ctx.rng.uniform(0.8, 0.99), 2),
            "resolvedContext": {"intent": intent},
            "resolvedSlots": resolved,
        }
    ]
    return event
