"""Execution environments: run a handler as AWS Lambda would, with its limits enforced.

Architecture (see DESIGN.md, "Execution environments"):

* ``_zygote``: one small preloaded process per test process; it forks every environment.
* ``_bootstrap``: the runtime inside an environment (import the handler once, then serve).
* ``_protocol``: the frames between the two sides and Lambda's error payload.
* ``_controller``: the parent side of an environment: deadline, memory, logs, classification.
* ``_sandbox``: cgroups, mount namespace, private /tmp, read-only file system.
* ``_function``: ``LambdaFunction`` and ``Invocation``, the public face.

This package's ``__init__`` is imported in the handler's process too, so it exports lazily.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._function import Invocation, LambdaFunction, Report

__all__ = ["Invocation", "LambdaFunction", "Report"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("pytest_lambda.invoke._function"), name)
    raise AttributeError(f"module 'pytest_lambda.invoke' has no attribute {name!r}")
