"""Suite-wide setup for pytest-lambda's own tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # freezegun patches every loaded module when it starts; pydantic models (Powertools, our
    # realism oracle) that get built during that scan fail on FakeDatetime and leave
    # freezegun half-started. Not something users of the plugin meet through us.
    import freezegun

    freezegun.configure(extend_ignore_list=["pydantic", "pydantic_core", "aws_lambda_powertools"])
