"""Exceptions and the warning class of pytest-lambda.

Each error also inherits the builtin a user would naturally catch (``ValueError``,
``LookupError``, ``TypeError``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "EventBuildError",
    "InvalidMarkerError",
    "InvocationError",
    "PytestLambdaError",
    "PytestLambdaWarning",
    "UnknownSourceError",
    "close_matches",
]


class PytestLambdaError(Exception):
    """Root of every error raised by pytest-lambda."""


class ConfigError(PytestLambdaError, ValueError):
    """A function setting (timeout, memory, seed, ...) is out of AWS's bounds or malformed."""


class InvalidMarkerError(ConfigError, TypeError):
    """A ``@pytest.mark.lambda_*`` marker was given arguments it does not take."""


class UnknownSourceError(PytestLambdaError, LookupError):
    """An event source or variant name that is not registered."""


class EventBuildError(PytestLambdaError, ValueError):
    """An event could not be built from the given parameters."""


class InvocationError(PytestLambdaError):
    """An invocation ended in an error; raised by ``Invocation.raise_for_error()``.

    ``.invocation`` holds the whole result, logs included.
    """

    def __init__(self, invocation: object) -> None:
        self.invocation = invocation
        error_type = getattr(invocation, "error_type", None) or "Error"
        message = getattr(invocation, "error_message", None) or ""
        logs = getattr(invocation, "logs", "")
        super().__init__(f"{error_type}: {message}" + (f"\n--- logs ---\n{logs}" if logs else ""))


class PytestLambdaWarning(UserWarning):
    """Something will not behave as the test probably expects."""


def close_matches(word: str, choices: Iterable[str]) -> str:
    """Return a ``Did you mean: ...?`` sentence, or an empty string when nothing is close."""
    import difflib

    matches = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    if not matches:
        return ""
    return "Did you mean: " + ", ".join(repr(m) for m in matches) + "?"
