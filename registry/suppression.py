"""The suppression list (Art. 17, 21(3)): who may not be re-added or re-granted.

An erasure or an objection leaves one entry: a keyed hash (HMAC-SHA256) of the person's
normalised email and of their E.164 phone, the reason and the date; nothing else about the
person. The key never sits in the database, so the list cannot be turned back into
addresses by hashing a guess: it comes from the environment variable
REGISTRY_SUPPRESSION_KEY or `[suppression] key` in .streamlit/secrets.toml; the embedded demo
makes its own beside its database file.

`refuse_if_suppressed` is the check every write that adds a person or grants consent asks;
`is_suppressed` the question behind it; `suppressed_hashes` the set an export holds its rows
against as a last guard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Table, insert, or_, select
from sqlalchemy.orm import Session

from registry import db, settings, validation
from registry.errors import RegistryError, ValidationError
from registry.models import Suppression, utcnow

ENV_VAR = "REGISTRY_SUPPRESSION_KEY"
DEMO_KEY_PATH = settings.DATA_DIR / "suppression.key"
MIN_KEY_LENGTH = 16


class SuppressionKeyMissing(RegistryError):
    pass


def _key_from(secrets_path: Path) -> str | None:
    if value := os.environ.get(ENV_VAR):
        return value
    if secrets_path.exists():
        with secrets_path.open("rb") as f:
            value = tomllib.load(f).get("suppression", {}).get("key")
        if value:
            return str(value)
    if db.database_config(secrets_path).is_embedded_demo:
        # The demo makes its own key once and keeps it beside its database (git-ignored).
        if not DEMO_KEY_PATH.exists():
            settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
            DEMO_KEY_PATH.write_text(secrets.token_hex(32))
            DEMO_KEY_PATH.chmod(0o600)
        return DEMO_KEY_PATH.read_text().strip()
    return None


def key(secrets_path: Path = db.SECRETS_PATH) -> bytes:
    value = _key_from(secrets_path)
    if not value:
        raise SuppressionKeyMissing(
            f"No suppression key: set the environment variable {ENV_VAR} or [suppression] key "
            f"in {secrets_path}. Erasures and objections cannot be made to stick without it."
        )
    if len(value) < MIN_KEY_LENGTH:
        raise SuppressionKeyMissing(
            f"The suppression key ({ENV_VAR} or [suppression] key) is shorter than "
            f"{MIN_KEY_LENGTH} characters."
        )
    return value.encode("utf-8")


def normal_email(email: str | None) -> str | None:
    """An email as the list compares it: trimmed and lower-cased."""
    value = (email or "").strip().lower()
    return value or None


def normal_phone(phone: str | None) -> str | None:
    """A phone in E.164; a number the validator cannot read is compared by its digits."""
    if not phone or not phone.strip():
        return None
    checked = validation.phone(phone)
    if isinstance(checked, str):
        return checked
    digits = "".join(c for c in phone if c.isdigit())
    return ("+" + digits) if digits else None


def digest(secret: bytes, value: str | None) -> str | None:
    if value is None:
        return None
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hashes(secret: bytes, email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    """(email HMAC, phone HMAC) of a person's contact details, None where there is none."""
    return digest(secret, normal_email(email)), digest(secret, normal_phone(phone))


def add(
    target: Session | Connection,
    secret: bytes,
    email: str | None,
    phone: str | None,
    reason: str,
    now: dt.datetime | None = None,
) -> bool:
    """Put the contact details on the list, in the caller's transaction. False when the
    person had neither an email nor a phone (nothing to key an entry on)."""
    return add_many(target, secret, [(email, phone)], reason, now) == 1


def add_many(
    target: Session | Connection,
    secret: bytes,
    contacts: Iterable[tuple[str | None, str | None]],
    reason: str,
    now: dt.datetime | None = None,
) -> int:
    """`add` for many persons' (email, phone) in one statement; returns the entries added."""
    since = now or utcnow()
    rows = [
        {"email_hmac": e, "phone_hmac": p, "reason": reason, "since": since}
        for e, p in (hashes(secret, email, phone) for email, phone in contacts)
        if e is not None or p is not None
    ]
    if rows:
        # The table, not the ORM entity: the ORM splits a bulk insert wherever a row's
        # missing email or phone changes its keys (683 statements for 3,000 rows).
        target.execute(insert(cast(Table, Suppression.__table__)), rows)
    return len(rows)


def is_suppressed(
    session: Session,
    *,
    email: str | None = None,
    phone: str | None = None,
    secret: bytes | None = None,
) -> bool:
    """Whether the email or the phone is on the list."""
    if session.scalar(select(Suppression.id).limit(1)) is None:
        return False  # an empty list needs no key
    secret = secret or key()
    email_hmac, phone_hmac = hashes(secret, email, phone)
    conditions = []
    if email_hmac is not None:
        conditions.append(Suppression.email_hmac == email_hmac)
    if phone_hmac is not None:
        conditions.append(Suppression.phone_hmac == phone_hmac)
    if not conditions:
        return False
    return session.scalar(select(Suppression.id).where(or_(*conditions)).limit(1)) is not None


def refuse_if_suppressed(
    session: Session,
    *,
    email: str | None = None,
    phone: str | None = None,
    what: str = "added again",
    field: str = "email",
) -> None:
    """Refuse a write that would re-add or re-grant a suppressed identifier."""
    if is_suppressed(session, email=email, phone=phone):
        raise ValidationError(
            {
                field: f"This email or phone belongs to someone who was erased or objected to "
                f"direct marketing (Art. 17, 21(3)): it may not be {what}."
            }
        )


def suppressed_hashes(session: Session) -> tuple[frozenset[str], frozenset[str]]:
    """Every (email, phone) HMAC on the list: a few per erasure or objection, held in memory
    by an export to check each row it writes."""
    emails: set[str] = set()
    phones: set[str] = set()
    for email_hmac, phone_hmac in session.execute(
        select(Suppression.email_hmac, Suppression.phone_hmac)
    ):
        if email_hmac:
            emails.add(email_hmac)
        if phone_hmac:
            phones.add(phone_hmac)
    return frozenset(emails), frozenset(phones)


class Guard:
    """An export's last check: is this row's email or phone on the list?"""

    def __init__(self, session: Session) -> None:
        self.emails, self.phones = suppressed_hashes(session)
        # An empty list needs no key: nothing can match it.
        self.secret = key() if (self.emails or self.phones) else b""

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones)

    def holds(self, email: str | None, phone: str | None) -> bool:
        if not self:
            return False
        email_hmac, phone_hmac = hashes(self.secret, email, phone)
        return (email_hmac is not None and email_hmac in self.emails) or (
            phone_hmac is not None and phone_hmac in self.phones
        )
