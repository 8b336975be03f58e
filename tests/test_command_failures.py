"""Every `python -m registry` failure (issue 18 item 5): one line on stderr and exit status 2,
never a traceback or a usage dump, for bad arguments, a database that is not there, a
malformed declaration, a refused action, and whatever else goes wrong."""

from __future__ import annotations

import subprocess
import sys

import pytest

from registry import commands, db, settings
from registry.__main__ import main
from registry.vocabulary import Role
from tests.browser import ROOT
from tests.test_declaration_failures import BROKEN
from tests.test_honest_failures import GONE


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The failure's line: progress lines (backup, restore) end before it, with `\\r`."""
    err = capsys.readouterr().err
    assert "Traceback" not in err and "usage:" not in err
    lines = [line for line in err.split("\n") if line.strip() and not line.startswith("\r")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "the following arguments are required: command"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["seed", "--persons", "many"], "argument --persons: invalid int value: 'many'"),
        (["restore", "backup.dump"], "the following arguments are required: --into"),
        (["users"], "the following arguments are required: users_command"),
        (["access-report", "--person", "1"], "the following arguments are required: --format"),
    ],
)
def test_bad_arguments(argv, expected, capsys):
    assert main(argv) == 2
    line = one_line(capsys)
    assert expected in line and "--help" in line


@pytest.mark.parametrize(
    "argv",
    [["migrate"], ["users", "list"], ["check"], ["retention"], ["backup", "--out", "OUT"]],
    ids=lambda argv: argv[0],
)
def test_a_database_that_is_not_there(argv, backend, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(db.ENV_VAR, GONE[backend])
    argv = [str(tmp_path) if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    line = one_line(capsys)
    assert "OperationalError" in line or "unable to open" in line or "Connection refused" in line
    assert "sqlalche.me" not in line


@pytest.mark.parametrize("broken", list(BROKEN))
def test_a_malformed_declaration(broken, database_url, monkeypatch, tmp_path, capsys):
    text, expected = BROKEN[broken]
    path = tmp_path / "registry.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(settings.DECLARATION_ENV_VAR, str(path))
    monkeypatch.setenv(db.ENV_VAR, database_url)
    assert main(["retention"]) == 2
    line = one_line(capsys)
    assert line.startswith(f"{path}: ") and expected in line


def test_refused_actions(database_url, actors, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(db.ENV_VAR, database_url)
    taken = actors[Role.MARKETING].username
    argv = ["users", "add", taken, "--role", "marketing", "--password", "a-long-passphrase-9"]
    assert main(argv) == 2
    assert f"username: The username '{taken}' is taken." in one_line(capsys)

    assert main(["restore", str(tmp_path / "none.dump"), "--into", database_url]) == 2
    assert one_line(capsys).startswith("There is no backup file at ")

    argv = ["access-report", "--person", "987654", "--format", "json", "--language", "en"]
    assert main([*argv, "--out", "-", "--user", actors[Role.COMPLIANCE].username]) == 2
    assert "987654" in one_line(capsys)

    argv = ["export", "--segment", "No such segment", "--channel", "email"]
    assert main([*argv, "--recipient", "Nobody", "--out", str(tmp_path / "list.csv")]) == 2
    one_line(capsys)
    assert not (tmp_path / "list.csv").exists()


def test_a_validation_refusal_of_several_fields_is_one_line(database_url, monkeypatch, capsys):
    monkeypatch.setenv(db.ENV_VAR, database_url)
    argv = ["users", "add", "x", "--role", "marketing", "--password", "short", "--email", "nope"]
    assert main(argv) == 2
    line = one_line(capsys)
    assert "password: " in line


def test_an_unexpected_failure_is_one_line_too(database_url, monkeypatch, capsys):
    def broken(args, config):
        raise RuntimeError("something nobody foresaw\nsecond line")

    monkeypatch.setattr(commands, "cmd_check", broken)
    monkeypatch.setenv(db.ENV_VAR, database_url)
    assert main(["check"]) == 2
    line = one_line(capsys)
    assert line == (
        "registry check failed unexpectedly: RuntimeError: something nobody foresaw second line"
    )


@pytest.mark.parametrize("argv", [["frobnicate"], ["users", "list"]])
def test_the_process_exits_2_without_a_traceback(argv, backend):
    done = subprocess.run(
        [sys.executable, "-m", "registry", *argv],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", db.ENV_VAR: GONE[backend], "HOME": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""
