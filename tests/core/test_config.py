"""Settings: defaults, parsing and one-line errors."""

from __future__ import annotations

import pytest

from ariadne_core.config import Settings, get_settings
from ariadne_core.errors import ConfigurationError


def test_defaults_use_the_embedded_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARIADNE_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.uses_embedded_postgres
    assert settings.access_token_expire_minutes == 60
    assert settings.embedding_vector_size() == 384  # all-MiniLM-L6-v2, the local default


def test_cors_origins_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARIADNE_CORS_ORIGINS", "http://a.example, http://b.example")
    assert Settings(_env_file=None).cors_origins == ["http://a.example", "http://b.example"]  # type: ignore[call-arg]


def test_a_bad_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARIADNE_API_PORT", "eighty")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError) as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    message = caught.value.message
    assert "\n" not in message
    assert "ARIADNE_API_PORT" in message
    assert "'eighty'" in message
