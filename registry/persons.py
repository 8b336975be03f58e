"""Finding a data subject by name, email, phone or username (shared by several pages)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from registry import settings
from registry.models import Person
from registry.permissions import Actor, Permission, require_any

# Anyone whose work needs to find a person: consent, requests, amendments.
_MAY_SEARCH = (Permission.VIEW_CONSENT, Permission.VIEW_PERSON, Permission.HANDLE_REQUESTS)


@dataclass(frozen=True)
class PersonMatch:
    id: int
    name: str
    email: str | None
    username: str | None
    organisation: str | None
    city: str | None
    relationship: str

    @property
    def label(self) -> str:
        """One line to show in a picker: enough to tell namesakes apart."""
        parts = [self.name, self.email or self.username or "", self.organisation or self.city]
        return " · ".join(p for p in parts if p)


def _starts_with(text: str) -> str:
    # Escaped so that % and _ typed by a user are matched literally.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _prefix(column, text: str):  # type: ignore[no-untyped-def]
    return func.lower(column).like(_starts_with(text), escape="\\")


def search(
    session: Session, actor: Actor, text: str, limit: int = settings.SEARCH_RESULTS
) -> list[PersonMatch]:
    """Persons whose email, phone, username, first or last name starts with the text.

    Two words match first and last name in either order. Prefix matching uses the
    lower(...) indexes, so it stays fast at a million persons.
    """
    require_any(actor, *_MAY_SEARCH)
    text = " ".join(text.split()).lower()[: settings.MAX_SHORT_TEXT]
    if len(text) < 2:
        return []
    words = text.split(" ")
    if "@" in text:
        condition = _prefix(Person.email, text)
    elif text.lstrip("+").replace(" ", "").isdigit():
        digits = "".join(ch for ch in text if ch.isdigit())
        condition = or_(
            Person.phone.like(f"+{digits}%"), Person.phone.like(f"+358{digits.lstrip('0')}%")
        )
    elif len(words) >= 2:
        first, last = words[0], " ".join(words[1:])
        condition = or_(
            and_(_prefix(Person.first_name, first), _prefix(Person.last_name, last)),
            and_(_prefix(Person.first_name, last), _prefix(Person.last_name, words[0])),
        )
    else:
        condition = or_(
            _prefix(Person.last_name, text),
            _prefix(Person.first_name, text),
            _prefix(Person.email, text),
            # Usernames are stored lower-case; the plain column keeps its pattern index.
            Person.username.like(_starts_with(text), escape="\\"),
        )
    persons = session.scalars(
        select(Person)
        .where(condition)
        .order_by(Person.last_name, Person.first_name, Person.id)
        .limit(limit)
    ).unique()
    return [
        PersonMatch(
            p.id,
            f"{p.first_name} {p.last_name}",
            p.email,
            p.username,
            p.organisation.name if p.organisation else None,
            p.city,
            p.relationship,
        )
        for p in persons
    ]
