"""A malformed data/registry.toml (issue 18 item 5): every page gets plain words naming the
file and the line or key, never a traceback; the notice and the Overview say it, and the
pages that do not need the declaration keep working."""

from __future__ import annotations

from pathlib import Path

import pytest

from navigation import PAGES
from registry import notice, settings
from registry.vocabulary import Role

SHIPPED = settings.DECLARATION_PATH.read_text(encoding="utf-8")
# (how it is broken, the text, what the message must name)
BROKEN = {
    "syntax": (
        SHIPPED.replace("[controller]\n", "[controller\n", 1),
        "not valid TOML: Expected ']' at the end of a table declaration (at line 11",
    ),
    "missing key": (
        SHIPPED.replace(
            '[registry]\nname = "Click2Contract Oy´s customer and marketing registry"\n',
            "[registry]\n",
            1,
        ),
        "registry.name: missing",
    ),
    "wrong type": (
        SHIPPED.replace('name = "Click2Contract Oy"\n', "name = 42\n", 1),
        "controller.name: expected text, got 42",
    ),
}


@pytest.fixture(params=list(BROKEN))
def broken(request, tmp_path, monkeypatch) -> tuple[Path, str]:
    text, expected = BROKEN[request.param]
    assert text != SHIPPED  # the shipped file still has what is broken here
    path = tmp_path / "registry.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(settings.DECLARATION_ENV_VAR, str(path))
    return path, expected


def test_the_declaration_is_read_from_the_configured_file(broken):
    path, expected = broken
    with pytest.raises(notice.DeclarationError) as refused:
        notice.declaration()
    assert str(refused.value).startswith(f"{path}: ") and expected in str(refused.value)
    assert notice.declaration_problem() == str(refused.value)


def test_the_shipped_declaration_has_no_problem():
    assert notice.declaration_problem() is None


def plain_errors(at) -> list[str]:
    """The error messages with the Markdown escapes taken out."""
    return [e.value.replace("\\", "") for e in at.error]


def test_the_notice_page_names_the_file_and_the_problem(broken, database_url, actors, app_test):
    path, expected = broken
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/notice.py")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Registry notice"]
    (message,) = plain_errors(at)
    assert message.startswith("The registry declaration cannot be read")
    assert f"{path}: " in message and expected in message


def test_the_overview_says_it_and_keeps_its_figures(broken, database_url, actors, app_test):
    path, expected = broken
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/overview.py")
    assert not at.exception, at.exception
    (message,) = plain_errors(at)
    assert f"{path}: " in message and expected in message
    assert "Persons in the registry" in [m.label for m in at.metric]


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_no_page_crashes_on_a_malformed_declaration(
    spec, database_url, actors, app_test, tmp_path, monkeypatch
):
    path = tmp_path / "registry.toml"
    path.write_text(BROKEN["syntax"][0], encoding="utf-8")
    monkeypatch.setenv(settings.DECLARATION_ENV_VAR, str(path))
    actor = next(a for a in actors.values() if a.may(spec.permission))
    at = app_test(database_url, actor, spec.path)
    assert not at.exception, at.exception
    assert at.title, "the page drew nothing"
    for message in plain_errors(at):
        assert "line 11" in message or "registry declaration" not in message
