"""The canonical events/ tree is what `pytest-lambda sync events` writes."""

from __future__ import annotations

from pathlib import Path

from pytest_lambda.cli import canonical_events, main

EVENTS = Path(__file__).resolve().parent.parent / "events"


def test_events_tree_is_up_to_date(capsys):
    code = main(["sync", str(EVENTS), "--check"])
    err = capsys.readouterr().err
    assert code == 0, f"{err}\nRun: pytest-lambda sync events"


def test_every_source_and_variant_has_a_file_and_nothing_else():
    files = {p.relative_to(EVENTS).as_posix() for p in EVENTS.glob("*/*.json")}
    assert files == set(canonical_events())
