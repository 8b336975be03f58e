"""New passwords after NIST SP 800-63B: the ones an attacker tries first are refused."""

from __future__ import annotations

import pytest

from registry import passwords


@pytest.mark.parametrize(
    ("password", "username"),
    [
        ("111111111111", ""),
        ("abcabcabcabc", ""),
        ("abcdefghijklm", ""),
        ("123456789012", ""),
        ("password1234", ""),
        ("Password!2026", ""),
        ("Salasana2026!", ""),
        ("qwertyuiop123", ""),
        ("aino.virtanen", "aino.virtanen"),
        ("aino.virtanen-2026", "aino.virtanen"),
        ("short", ""),
        ("x" * 201, ""),
    ],
)
def test_refused(password, username):
    assert passwords.problem(password, username) is not None


@pytest.mark.parametrize(
    "password", ["correct-horse-battery", "tulip-harbour-9", "a-new-long-password-2026"]
)
def test_accepted(password):
    assert passwords.problem(password, "aino.virtanen") is None


def test_the_admin_form_refuses_a_password_equal_to_the_username(session, actors):
    from registry import users
    from registry.errors import ValidationError
    from registry.vocabulary import Role

    with pytest.raises(ValidationError) as e:
        users.create_user(
            session, actors[Role.ADMINISTRATOR], "tuuli.k", "Tuuli K", Role.MARKETING, "tuuli.k"
        )
    assert "password" in e.value.field_errors
    with pytest.raises(ValidationError) as e:
        users.create_user(
            session,
            actors[Role.ADMINISTRATOR],
            "tuuli.korhonen",
            "Tuuli K",
            Role.MARKETING,
            "tuuli.korhonen",
        )
    assert e.value.field_errors["password"] == "Do not use the username in the password."
