"""Function settings and where they come from: marker > command line > ini > AWS default.

Every value is checked against AWS's bounds (``limits.py``) with an error that names the value,
where it came from and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError
from .limits import EPHEMERAL_STORAGE_MB, MEMORY_MB, QUOTAS_URL, TIMEOUT_S

__all__ = [
    "SETTINGS",
    "Setting",
    "parse_ephemeral_storage",
    "parse_isolation",
    "parse_memory",
    "parse_seed",
    "parse_timeout",
]


def _number(value: object, where: str, what: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"Invalid {what} {value!r} {where}: expected a number.")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ConfigError(f"Invalid {what} {value!r} {where}: expected a number.") from None
    if not math.isfinite(number):
        raise ConfigError(f"Invalid {what} {value!r} {where}: expected a finite number.")
    return number


def parse_timeout(value: object, where: str) -> float:
    """Seconds, up to 900. AWS takes whole seconds from 1; smaller and fractional values are
    accepted so that tests of timeouts run fast."""
    seconds = _number(value, where, "timeout")
    low, high, _ = TIMEOUT_S
    if not 0 < seconds <= high:
        raise ConfigError(
            f"Invalid timeout {value!r} {where}: Lambda accepts {low} to {high} seconds "
            f"(docs: {QUOTAS_URL})."
        )
    return seconds


def _whole_mb(value: object, where: str, what: str, bounds: tuple[int, int, int]) -> int:
    number = _number(value, where, what)
    low, high, _ = bounds
    if number != int(number) or not low <= number <= high:
        raise ConfigError(
            f"Invalid {what} {value!r} {where}: Lambda accepts whole MB from {low} to {high:,} "
            f"(docs: {QUOTAS_URL})."
        )
    return int(number)


def parse_memory(value: object, where: str) -> int:
    """Whole MB, 128 to 10,240."""
    return _whole_mb(value, where, "memory", MEMORY_MB)


def parse_ephemeral_storage(value: object, where: str) -> int:
    """Whole MB of /tmp, 512 to 10,240."""
    return _whole_mb(value, where, "ephemeral storage", EPHEMERAL_STORAGE_MB)


def parse_isolation(value: object, where: str) -> str:
    """``process`` (limits enforced in a worker process) or ``inline`` (the test process)."""
    text = str(value).strip()
    if text not in ("process", "inline"):
        raise ConfigError(
            f"Invalid isolation {value!r} {where}: use 'process' (limits enforced) or "
            "'inline' (the handler runs in the test process; mocks apply)."
        )
    return text


def parse_seed(value: object, where: str) -> int:
    """A non-negative whole number."""
    if isinstance(value, bool):
        raise ConfigError(f"Invalid seed {value!r} {where}: expected a whole number >= 0.")
    try:
        seed = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ConfigError(
            f"Invalid seed {value!r} {where}: expected a whole number >= 0."
        ) from None
    if seed < 0:
        raise ConfigError(f"Invalid seed {value!r} {where}: expected a whole number >= 0.")
    return seed


@dataclass(frozen=True)
class Setting:
    """One setting: its marker (if any), command-line option, ini key, parser and default."""

    name: str
    option: str
    ini: str
    marker: str | None
    parse: Callable[[object, str], Any]
    default: Any
    help: str


SETTINGS: dict[str, Setting] = {
    "timeout": Setting(
        "timeout",
        "--lambda-timeout",
        "lambda_timeout",
        "lambda_timeout",
        parse_timeout,
        TIMEOUT_S[2],
        f"function timeout in seconds (AWS default {TIMEOUT_S[2]})",
    ),
    "memory": Setting(
        "memory",
        "--lambda-memory",
        "lambda_memory",
        "lambda_memory",
        parse_memory,
        MEMORY_MB[2],
        f"function memory in MB (AWS default {MEMORY_MB[2]})",
    ),
    "ephemeral_storage": Setting(
        "ephemeral_storage",
        "--lambda-ephemeral-storage",
        "lambda_ephemeral_storage",
        "lambda_ephemeral_storage",
        parse_ephemeral_storage,
        EPHEMERAL_STORAGE_MB[2],
        f"/tmp size in MB (AWS default {EPHEMERAL_STORAGE_MB[2]})",
    ),
    "isolation": Setting(
        "isolation",
        "--lambda-isolation",
        "lambda_isolation",
        "lambda_isolation",
        parse_isolation,
        "process",
        "where handlers run: process (default; limits enforced) or inline (the test process)",
    ),
    "seed": Setting(
        "seed",
        "--lambda-seed",
        "lambda_seed",
        None,
        parse_seed,
        0,
        "base seed for generated events and ids (default 0; each test derives its own)",
    ),
}
