"""The sign-in page (AppTest): an unknown username, a wrong password and a username whose
attempts are held back all get the one answer, and the trail keeps each attempt without the
typed password."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from registry import auth, throttle
from registry.models import AuditEvent, SignInThrottle, utcnow
from tests.conftest import TEST_PASSWORD

TYPED = "Typed-Secret-Passphrase-77"


def _submit(at, username: str, password: str) -> list[str]:  # type: ignore[no-untyped-def]
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    return [e.value for e in at.error]


def test_every_refusal_reads_the_same(database_url, session, actors, app_test):
    at = app_test(database_url, None)
    unknown = _submit(at, "nobody-at-all", TYPED)
    wrong = _submit(at, "compliance-user", TYPED)
    # Held back: the right password, while the username waits after earlier failures.
    session.merge(
        SignInThrottle(
            scope=throttle.USERNAME,
            key="compliance-user",
            failures=9,
            last_failure_at=utcnow(),
            wait_until=utcnow() + dt.timedelta(minutes=5),
        )
    )
    session.commit()
    held = _submit(at, "compliance-user", TEST_PASSWORD)
    assert unknown == wrong == held == [auth.REFUSED]
    assert "auth_actor" not in at.session_state
    rows = session.execute(
        select(AuditEvent.actor_name, AuditEvent.detail)
        .where(AuditEvent.action == "sign_in_failed")
        .order_by(AuditEvent.id)
    ).all()
    assert [(name, detail.split(":")[0]) for name, detail in rows] == [
        ("nobody-at-all", "unknown or inactive account"),
        ("compliance-user", "wrong password"),
        ("compliance-user", "refused unchecked"),
    ]
    everything = " ".join(f"{n} {d}" for n, d in rows)
    assert TYPED.lower() not in everything.lower() and TEST_PASSWORD not in everything


def test_a_right_password_after_the_wait_signs_in(database_url, session, actors, app_test):
    session.add(
        SignInThrottle(
            scope=throttle.USERNAME,
            key="compliance-user",
            failures=9,
            last_failure_at=utcnow() - dt.timedelta(minutes=6),
            wait_until=utcnow() - dt.timedelta(minutes=1),
        )
    )
    session.commit()
    at = app_test(database_url, None)
    assert _submit(at, "compliance-user", TEST_PASSWORD) == []
    assert at.session_state["auth_actor"].username == "compliance-user"
    # The success forgets the username's failures.
    assert (
        session.scalars(select(SignInThrottle).execution_options(populate_existing=True)).all()
        == []
    )
