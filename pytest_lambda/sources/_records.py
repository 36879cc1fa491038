"""Helpers for batch sources that deliver a ``Records[]`` list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import EventBuildError

__all__ = ["batch"]


def batch(
    slug: str, count: int, make: Callable[[int], dict[str, Any]], *, maximum: int
) -> list[dict[str, Any]]:
    """``count`` records made by ``make(index)``, refusing counts the source cannot deliver.

    :param maximum: the largest batch the event source mapping or service can send
        (e.g. 10,000 for SQS with a batching window, 10,000 for Kinesis).
    """
    if not 1 <= count <= maximum:
        raise EventBuildError(
            f"Event source {slug!r}: records={count!r} is out of range; "
            f"it delivers 1 to {maximum:,} records per invocation."
        )
    return [make(index) for index in range(count)]
