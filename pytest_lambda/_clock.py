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

__all__ = ["monotonic", "real_epoch", "utc_now"]


def utc_now() -> _dt.datetime:
    """Timezone-aware UTC now, as the test sees it (frozen if freezegun/time-machine is active)."""
    # Looked up through the module at call time so freezegun's replacement of
    # ``datetime.datetime`` applies.
    return _dt.datetime.now(_dt.timezone.utc)


def monotonic() -> float:
    """Seconds on the real monotonic clock, untouched by freezegun and time-machine."""
    return _time.clock_gettime(_time.CLOCK_MONOTONIC)


# The wall clock as of this import, tied to the monotonic clock: real epoch seconds later on,
# even while freezegun or time-machine fake time.time() (Lambda's deadlines are real).
_EPOCH_AT_MONOTONIC_ZERO = _time.time() - _time.clock_gettime(_time.CLOCK_MONOTONIC)


def real_epoch() -> float:
    """Real seconds since the epoch, whatever time the test has frozen."""
    return _EPOCH_AT_MONOTONIC_ZERO + monotonic()
