"""Sign-in throttling: failed attempts counted per typed username and per client address.

Keyed by what was typed, never by whether an account exists, so an unknown name is throttled
exactly like a real one and the answers cannot tell them apart. A key that failed more than
its free attempts makes its next attempt wait, the wait doubling with each further failure up
to a ceiling (settings): a guesser gets a few tries an hour, while someone trying another
person's name can only delay that person's sign-in by minutes, never lock it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry import settings
from registry.models import SignInThrottle

USERNAME = "username"
CLIENT = "client"


@dataclass(frozen=True)
class Key:
    scope: str  # USERNAME or CLIENT
    value: str


def keys(username: str, client: str | None) -> list[Key]:
    """The keys an attempt counts against: its username, and its client when known."""
    found = [Key(USERNAME, username.strip().lower()[:100])]
    if client:
        found.append(Key(CLIENT, client[:100]))
    return found


def free_failures(scope: str) -> int:
    if scope == CLIENT:
        return settings.SIGN_IN_CLIENT_FREE_FAILURES
    return settings.SIGN_IN_USERNAME_FREE_FAILURES


def wait_after(scope: str, failures: int) -> dt.timedelta:
    """How long the next attempt waits after `failures` failures in a row."""
    over = failures - free_failures(scope)
    if over <= 0:
        return dt.timedelta(0)
    # Capped before doubling, so a long run of failures cannot overflow the multiplication.
    doubling = min(over - 1, 20)
    return min(settings.SIGN_IN_FIRST_WAIT * 2**doubling, settings.SIGN_IN_MAX_WAIT)


def waiting(
    session: Session, attempt: list[Key], now: dt.datetime
) -> tuple[Key, dt.datetime] | None:
    """The key that holds this attempt back and until when, or None if it may be checked."""
    for key in attempt:
        row = session.scalars(
            select(SignInThrottle)
            .where(SignInThrottle.scope == key.scope, SignInThrottle.key == key.value)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if row is not None and row.wait_until is not None and row.wait_until > now:
            return key, row.wait_until
    return None


def record_failure(session: Session, attempt: list[Key], now: dt.datetime) -> None:
    """Count one failure against every key of the attempt (flushed, not committed)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Counts past SIGN_IN_FORGET_AFTER count for nothing: removed, so the table holds only
    # the last hour's typed names (some are mistyped passwords) and cannot grow without end.
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_failure_at < now - settings.SIGN_IN_FORGET_AFTER
        )
    )
    for key in attempt:
        # Insert-if-missing then lock: two concurrent failures of a new key both count.
        session.execute(
            insert(SignInThrottle)
            .values(scope=key.scope, key=key.value, failures=0, last_failure_at=now)
            .on_conflict_do_nothing()
        )
        row = session.scalars(
            select(SignInThrottle)
            .where(SignInThrottle.scope == key.scope, SignInThrottle.key == key.value)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if now - row.last_failure_at > settings.SIGN_IN_FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        wait = wait_after(key.scope, row.failures)
        row.wait_until = now + wait if wait else None
    session.flush()


def clear_username(session: Session, username: str) -> None:
    """A successful sign-in or a password reset: the username starts afresh. The client's
    count stays, so signing in to one's own account does not reset a guessing address."""
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.scope == USERNAME, SignInThrottle.key == username.strip().lower()
        )
    )


def paused_usernames(session: Session, now: dt.datetime) -> dict[str, dt.datetime]:
    """Usernames whose next attempt must wait now, with until when (for the Users page)."""
    rows = session.execute(
        select(SignInThrottle.key, SignInThrottle.wait_until).where(
            SignInThrottle.scope == USERNAME, SignInThrottle.wait_until > now
        )
    ).all()
    return {key: until for key, until in rows if until is not None}


def client_address(peer: str | None, forwarded_for: str | None) -> str | None:
    """The client's address as a throttling key: the peer itself, or, when the peer is a
    trusted reverse proxy, the address it appended last to X-Forwarded-For (the earlier ones
    are whatever the client claimed). Streamlit gives no peer (None) for a loopback
    connection, which is where the documented proxy connects from. None when nothing valid
    is known: then only the username throttles."""
    address = _valid(peer)
    if address is None:
        from_proxy = bool({"127.0.0.1", "::1"} & set(settings.TRUSTED_PROXIES))
    else:
        from_proxy = address in settings.TRUSTED_PROXIES
    if from_proxy and forwarded_for:
        return _valid(forwarded_for.split(",")[-1])
    return address


def _valid(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None
