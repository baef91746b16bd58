"""Which database URL each part of the service uses: migrations the owner's, workers the
runtime role's, the CLI's queries the read-only role's; unset, ALPES_DATABASE_URL."""

import pytest

from workers.settings import Settings

pytestmark = pytest.mark.security


def test_without_the_role_urls_everything_uses_the_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("ALPES_MIGRATION_DATABASE_URL", "ALPES_READONLY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(database_url="sqlite:///x.db")
    assert settings.migration_url == settings.readonly_url == "sqlite:///x.db"


def test_each_role_url_is_used_where_it_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPES_DATABASE_URL", "postgresql://rt@db/alpes")
    monkeypatch.setenv("ALPES_MIGRATION_DATABASE_URL", "postgresql://owner@db/alpes")
    monkeypatch.setenv("ALPES_READONLY_DATABASE_URL", "postgresql://ro@db/alpes")
    settings = Settings()
    assert settings.database_url == "postgresql://rt@db/alpes"
    assert settings.migration_url == "postgresql://owner@db/alpes"
    assert settings.readonly_url == "postgresql://ro@db/alpes"
