"""The command's settings in process: the factory's database, DSNs masked, ``--app`` loaded or refused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from subscription_core.errors import ValidationError
from subscription_core_adapters.cli import ENV_DATABASE, ENV_DSN, ENV_SCHEMA, database_settings, masked_dsn
from subscription_core_adapters.cli.settings import AppError, load_app, password_of

DSN = "postgresql://billing:pa55word@db:5432/prod"


def test_database_settings_name_one_database() -> None:
    assert database_settings({}) == {}
    assert database_settings({ENV_DSN: DSN}) == {"dsn": DSN}
    assert database_settings({ENV_DATABASE: "b.db", ENV_SCHEMA: ""}) == {"database": "b.db"}
    with pytest.raises(ValidationError, match="not both"):
        database_settings({ENV_DSN: DSN, ENV_DATABASE: "b.db"})
    with pytest.raises(ValidationError, match="no schemas"):
        database_settings({ENV_DATABASE: "b.db", ENV_SCHEMA: "billing"})


def test_a_dsn_is_shown_without_its_password() -> None:
    assert masked_dsn(DSN) == "postgresql://billing:***@db:5432/prod"
    in_query = "postgresql://db/prod?user=billing&password=pa55word"
    assert "pa55word" not in masked_dsn(in_query)
    assert password_of(DSN) == password_of(in_query) == "pa55word"
    assert password_of("postgresql://billing@db/prod") is None
    assert masked_dsn("not a dsn") == "<a malformed DSN>"


def test_an_app_that_cannot_be_loaded_is_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # load_app puts the working directory first: undone after
    (tmp_path / "cli_test_host_app.py").write_text("NOT_CALLABLE = 1\n\ndef wrong():\n    return 'a string'\n")
    for spec, message in (
        ("no_colon", "must be module:attribute"),
        ("cli_test_no_such_module:wiring", "cannot import 'cli_test_no_such_module'"),
        ("cli_test_host_app:missing", "has no attribute 'missing'"),
        ("cli_test_host_app:NOT_CALLABLE", "is not callable"),
        ("cli_test_host_app:wrong", "returned str, not a SqlWiring"),
    ):
        with pytest.raises(AppError, match=message):
            load_app(spec)
