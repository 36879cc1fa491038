"""Amazon Lex V1 code hook events: a bot invokes a function to validate or fulfil an intent.

Shapes: https://docs.aws.amazon.com/lex/latest/dg/lambda-input-response-format.html, checked
against a captured console event (key order, ``requestAttributes: null``, ``slotDetails``,
``alternativeIntents`` with ``AMAZON.FallbackIntent``, ``kendraResponse: null``,
``activeContexts: []``) and SAM CLI's four ``lex`` templates (whose intents and slots the
variants keep; SAM writes ``DriverAge``/``Nights`` as numbers, Lex sends every slot as a string).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from ..errors import EventBuildError
from ._core import BuildContext, Event, event_source

__all__ = ["build", "sentiment_scores"]

Sentiment = Literal["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"]

# PutBot/PutIntent/PutBotAlias name patterns; slot names may also hold '-' and '.'.
# https://docs.aws.amazon.com/lex/latest/dg/API_PutBot.html (name: 2-50, ^([A-Za-z]_?)+$)
# https://docs.aws.amazon.com/lex/latest/dg/API_PutIntent.html (name: 1-100, same pattern)
# https://docs.aws.amazon.com/lex/latest/dg/API_Slot.html (name: 1-100, ^([A-Za-z](-|_|.)?)+$)
_BOT_RE = re.compile(r"^([A-Za-z]_?)+$")
_INTENT_RE = re.compile(r"^(AMAZON\.)?([A-Za-z]_?)+$")  # built-ins: AMAZON.HelpIntent, ...
_SLOT_RE = re.compile(r"^([A-Za-z](-|_|\.)?)+$")
_VERSION_RE = re.compile(r"^(\$LATEST|[0-9]+)$")
# PostText/PostContent userId: 2-100 characters of [0-9a-zA-Z._:-].
# https://docs.aws.amazon.com/lex/latest/dg/API_runtime_PostText.html
_USER_RE = re.compile(r"^[0-9a-zA-Z._:-]{2,100}$")
# The console's test window sends a 32-character lower-case user id (seen in captured events).
_CONSOLE_USER_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

# The blueprint intents behind SAM's four templates: slots in elicitation order, each with the
# value Lex resolves and what the user said (slotDetails.originalValue).
_SAMPLES: dict[str, dict[str, tuple[str, str]]] = {
    "OrderFlowers": {
        "FlowerType": ("roses", "roses"),
        "PickupDate": ("2030-11-08", "november 8th 2030"),
        "PickupTime": ("10:00", "10 am"),
    },
    "BookCar": {
        "PickUpCity": ("Chicago", "chicago"),
        "PickUpDate": ("2030-11-08", "november 8th 2030"),
        "ReturnDate": ("2030-11-08", "same day"),
        "CarType": ("economy", "economy"),
        "DriverAge": ("21", "21"),
    },
    "BookHotel": {
        "Location": ("Chicago", "chicago"),
        "CheckInDate": ("2030-11-08", "november 8th 2030"),
        "Nights": ("4", "four"),
        "RoomType": ("queen", "queen"),
    },
    "MakeAppointment": {
        "AppointmentType": ("whitening", "whitening"),
        "Date": ("2030-11-08", "november 8th 2030"),
        "Time": ("10:00", "10 am"),
    },
}
_SAMPLE_UTTERANCES = {
    "OrderFlowers": "I would like to order some flowers",
    "BookCar": "Make a car reservation",
    "BookHotel": "Book a hotel",
    "MakeAppointment": "I would like to book an appointment",
}


def sentiment_scores(ctx: BuildContext, label: str) -> dict[str, float]:
    """Amazon Comprehend-like scores (``Positive``, ``Negative``, ``Neutral``, ``Mixed``) that
    sum to about 1, with ``label`` the most likely (seeded)."""
    names = ("Positive", "Negative", "Neutral", "Mixed")
    weights = {name: ctx.rng.uniform(0.01, 0.3) for name in names}
    winner = label.capitalize()
    weights[winner] = sum(weights.values()) + ctx.rng.uniform(0.05, 0.5)
    total = sum(weights.values())
    return {name: round(weights[name] / total, 8) for name in names}


def utterance_for(intent: str) -> str:
    """A user utterance that names ``intent`` (``BookCar`` -> ``I want to book car``)."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", intent.removeprefix("AMAZON.")).replace("_", " ")
    return f"I want to {' '.join(words.lower().split())}"


def _check_name(what: str, value: str, pattern: re.Pattern[str], limits: str) -> None:
    if not pattern.match(value):
        raise EventBuildError(f"lex: {what} {value!r} is not a name Lex V1 accepts. Fix: {limits}.")


def _check(
    *,
    bot_name: str,
    intent: str,
    slots: Mapping[str, str | None],
    original_values: Mapping[str, str],
    bot_alias: str,
    bot_version: str,
    user_id: str | None,
    invocation_source: str,
    confirmation_status: str,
    nlu_confidence: float | None,
) -> None:
    if not 2 <= len(bot_name) <= 50:
        raise EventBuildError(
            f"lex: bot_name {bot_name!r} has {len(bot_name)} characters; Lex V1 bot names have "
            "2 to 50. Fix: a name such as 'OrderFlowers'."
        )
    _check_name("bot_name", bot_name, _BOT_RE, "letters, each optionally followed by '_'")
    if len(intent) > 100:
        raise EventBuildError(f"lex: intent {intent!r} is longer than 100 characters.")
    _check_name(
        "intent", intent, _INTENT_RE, "letters, each optionally followed by '_' (e.g. 'BookCar')"
    )
    if bot_alias != "$LATEST":
        _check_name("bot_alias", bot_alias, _BOT_RE, "'$LATEST' or an alias name such as 'prod'")
    if not _VERSION_RE.match(bot_version):
        raise EventBuildError(
            f"lex: bot_version {bot_version!r} is not a Lex V1 bot version. "
            "Fix: '$LATEST' or a published version number such as '3'."
        )
    for name in slots:
        if not 1 <= len(name) <= 100 or not _SLOT_RE.match(name):
            raise EventBuildError(
                f"lex: slots= holds the slot name {name!r}, which Lex V1 does not accept. "
                "Fix: 1-100 letters, each optionally followed by '-', '_' or '.'."
            )
    filled = [n for n, v in slots.items() if v is not None]
    unknown = sorted(set(original_values) - set(filled))
    if unknown:
        raise EventBuildError(
            f"lex: original_values names {unknown}, which are not filled slots of {intent!r} "
            f"(filled: {filled}). Fix: give an original value only for a slot that has a value."
        )
    if user_id is not None and not _USER_RE.match(user_id):
        raise EventBuildError(
            f"lex: user_id {user_id!r} is not a Lex runtime user id. Fix: 2-100 characters of "
            "letters, digits and ._:- (what the client passed to PostText/PostContent)."
        )
    if invocation_source == "FulfillmentCodeHook" and confirmation_status == "Denied":
        raise EventBuildError(
            "lex: confirmation_status='Denied' with invocation_source='FulfillmentCodeHook': "
            "Lex never fulfils an intent the user denied. Fix: use 'DialogCodeHook' for the "
            "denial turn, or 'Confirmed'/'None' for fulfilment."
        )
    if nlu_confidence is not None and not 0.0 <= nlu_confidence <= 1.0:
        raise EventBuildError(
            f"lex: nlu_confidence={nlu_confidence!r} is not a confidence score. "
            "Fix: a number from 0 to 1, or None for a bot without confidence scores."
        )


def _slot_details(slots: Mapping[str, str | None], originals: Mapping[str, str]) -> dict[str, Any]:
    return {
        name: None
        if value is None
        else {"resolutions": [{"value": value}], "originalValue": originals.get(name, value)}
        for name, value in slots.items()
    }


def _summary(
    intent: str, slots: Mapping[str, str | None], action: str, slot_to_elicit: str | None
) -> dict[str, Any]:
    """One IntentSummary: https://docs.aws.amazon.com/lex/latest/dg/API_runtime_IntentSummary.html"""
    return {
        "intentName": intent,
        "checkpointLabel": None,
        "slots": dict(slots),
        "confirmationStatus": "None",
        "dialogActionType": action,
        "fulfillmentState": None,
        "slotToElicit": slot_to_elicit,
    }


@event_source(
    "lex",
    doc="https://docs.aws.amazon.com/lex/latest/dg/lambda-input-response-format.html",
    variants={
        "order_flowers": {},
        "book_car": {"bot_name": "BookTrip", "intent": "BookCar"},
        "book_hotel": {"bot_name": "BookTrip", "intent": "BookHotel"},
        "make_appointment": {"bot_name": "MakeAppointment", "intent": "MakeAppointment"},
    },
)
def build(
    ctx: BuildContext,
    *,
    bot_name: str = "OrderFlowers",
    intent: str = "OrderFlowers",
    slots: dict[str, str | None] | None = None,
    original_values: dict[str, str] | None = None,
    invocation_source: Literal["DialogCodeHook", "FulfillmentCodeHook"] = "DialogCodeHook",
    confirmation_status: Literal["None", "Confirmed", "Denied"] = "None",
    input_transcript: str | None = None,
    user_id: str | None = None,
    bot_alias: str = "$LATEST",
    bot_version: str = "$LATEST",
    output_dialog_mode: Literal["Text", "Voice"] = "Text",
    session_attributes: dict[str, str] | None = None,
    request_attributes: dict[str, str] | None = None,
    nlu_confidence: float | None = 1.0,
    sentiment: Sentiment | None = None,
) -> Event:
    """Lex V1 -> Lambda: one code hook call for ``intent`` of ``bot_name``.

    The default is the OrderFlowers getting-started bot (the example of AWS's own Lex pages) at
    the turn where the user gives the last slot; the other variants are SAM's BookTrip and
    MakeAppointment samples at the same turn. ``slots`` maps slot names to resolved values
    (``None`` = not given yet); ``slots=None`` means the blueprint's slots for the four sample
    intents, else none. ``original_values`` is what the user said for a slot
    (``slotDetails.originalValue``; the blueprint phrasing, else the value itself).
    ``input_transcript`` defaults to the utterance of this turn: the original value of the last
    filled slot, ``yes``/``no`` to a confirmation prompt, or an utterance naming the intent when
    no slot is filled. ``recentIntentSummaryView`` holds the state before this turn
    (``ElicitSlot`` for that slot, ``ConfirmIntent``, or null on the first turn). ``user_id`` is
    the client's user id (a console-style random id by default). ``request_attributes=None``
    gives ``null``, as Lex sends when the client set none. ``nlu_confidence`` adds
    ``nluIntentConfidenceScore`` and the ``AMAZON.FallbackIntent`` alternative (``None`` for a
    bot without confidence scores); ``sentiment`` adds the ``sentimentResponse`` of a bot with
    sentiment analysis on.
    """
    sample = _SAMPLES.get(intent, {})
    slot_values: dict[str, str | None] = (
        {name: value for name, (value, _) in sample.items()} if slots is None else dict(slots)
    )
    originals: dict[str, str] = (
        {n: said for n, (v, said) in sample.items() if slot_values.get(n) == v and said != v}
        if original_values is None
        else dict(original_values)
    )
    _check(
        bot_name=bot_name,
        intent=intent,
        slots=slot_values,
        original_values=originals,
        bot_alias=bot_alias,
        bot_version=bot_version,
        user_id=user_id,
        invocation_source=invocation_source,
        confirmation_status=confirmation_status,
        nlu_confidence=nlu_confidence,
    )
    user = user_id or ctx.chars(32, _CONSOLE_USER_ALPHABET)
    filled = [name for name, value in slot_values.items() if value is not None]
    recent: list[dict[str, Any]] | None
    if confirmation_status != "None":
        # This turn answered the confirmation prompt: before it, Lex was confirming the intent.
        recent = [_summary(intent, slot_values, "ConfirmIntent", None)]
        transcript = "yes" if confirmation_status == "Confirmed" else "no"
    elif filled:
        last = filled[-1]
        recent = [_summary(intent, {**slot_values, last: None}, "ElicitSlot", last)]
        transcript = originals.get(last) or slot_values[last] or ""
    else:
        recent = None  # the first turn of the session: no intent summary yet
        transcript = _SAMPLE_UTTERANCES.get(intent) or utterance_for(intent)
    if input_transcript is not None:
        transcript = input_transcript
    if not transcript:
        raise EventBuildError(
            "lex: input_transcript is empty; Lex only invokes a code hook for an utterance. "
            "Fix: pass the user's text."
        )

    current: dict[str, Any] = {
        "name": intent,
        "slots": slot_values,
        "slotDetails": _slot_details(slot_values, originals),
        "confirmationStatus": confirmation_status,
    }
    event: dict[str, Any] = {
        "messageVersion": "1.0",
        "invocationSource": invocation_source,
        "userId": user,
        "sessionAttributes": dict(session_attributes or {}),
        "requestAttributes": None if request_attributes is None else dict(request_attributes),
        "bot": {"name": bot_name, "alias": bot_alias, "version": bot_version},
        "outputDialogMode": output_dialog_mode,
        "currentIntent": current,
    }
    if nlu_confidence is not None:
        current["nluIntentConfidenceScore"] = nlu_confidence
        # Lex lists the fallback intent as an alternative, with a null score.
        event["alternativeIntents"] = [
            {
                "name": "AMAZON.FallbackIntent",
                "slots": {},
                "slotDetails": {},
                "confirmationStatus": "None",
                "nluIntentConfidenceScore": None,
            }
        ]
    event["inputTranscript"] = transcript
    event["recentIntentSummaryView"] = recent
    if sentiment is not None:
        scores = sentiment_scores(ctx, sentiment)
        # Lex V1 passes Comprehend's SentimentScore as one string, in this form (captured).
        event["sentimentResponse"] = {
            "sentimentLabel": sentiment,
            "sentimentScore": "{" + ",".join(f"{k}: {v}" for k, v in scores.items()) + "}",
        }
    event["kendraResponse"] = None
    event["activeContexts"] = []
    return event
