"""Suite-wide setup for pytest-lambda's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # freezegun patches every loaded module when it starts; pydantic models (Powertools, our
    # realism oracle) that get built during that scan fail on FakeDatetime and leave
    # freezegun half-started. Not something users of the plugin meet through us.
    import freezegun

    freezegun.configure(extend_ignore_list=["pydantic", "pydantic_core", "aws_lambda_powertools"])


@pytest.fixture
def developer_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """A developer's real-looking AWS set-up in the test process: a profile, keys in the
    environment, and credentials/config files the variables point at. Returns the variables."""
    aws = tmp_path / "aws"
    aws.mkdir()
    (aws / "credentials").write_text(
        "[work]\naws_access_key_id = AKIAREALDEVELOPERKEY\naws_secret_access_key = real\n"
    )
    (aws / "config").write_text("[profile work]\nregion = eu-west-3\n")
    values = {
        "AWS_PROFILE": "work",
        "AWS_ACCESS_KEY_ID": "AKIAREALDEVELOPERKEY",
        "AWS_SECRET_ACCESS_KEY": "real-secret",
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
        "AWS_CONFIG_FILE": str(aws / "config"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
