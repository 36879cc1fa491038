"""SAM CLI ``sam local generate-event SERVICE EVENT`` names, mapped onto our sources.

Filled in below; see reference/peers.md section 3 for SAM's list.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SAM_EVENTS", "SamEvent"]


class SamEvent(NamedTuple):
    slug: str
    variant: str
    options: dict[str, str]  # SAM option name (without --) -> our parameter name


SAM_EVENTS: dict[tuple[str, str], SamEvent] = {}
