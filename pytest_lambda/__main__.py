"""``python -m pytest_lambda``: the same as the ``pytest-lambda`` command."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
