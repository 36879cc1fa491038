"""The one place that reads time.

Two clocks, on purpose:

* :func:`utc_now` is the *test's* notion of now. It follows freezegun and time-machine, so
  events built under ``freeze_time`` carry the frozen instant.
* :func:`monotonic` is the *real* elapsed-time clock for deadlines. freezegun patches
  ``time.monotonic`` and ``time.perf_counter`` (and rewrites module-level aliases of them);
  neither freezegun nor time-machine patches ``time.clock_gettime(CLOCK_MONOTONIC)``
  (measured, reference/integration-notes.md section 4.1), so deadlines use that.
"""

from __future__ import annotations

import datetime as _dt
import time as _time

__all__ = ["monotonic", "utc_now"]


def utc_now() -> _dt.datetime:
    """Timezone-aware UTC now, as the test sees it (frozen if freezegun/time-machine is active)."""
    # Looked up through the module at call time so freezegun's replacement of
    # ``datetime.datetime`` applies.
    return _dt.datetime.now(_dt.timezone.utc)


def monotonic() -> float:
    """Seconds on the real monotonic clock, untouched by freezegun and time-machine."""
    return _time.clock_gettime(_time.CLOCK_MONOTONIC)
