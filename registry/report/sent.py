"""What was sent is kept: the exact letter (HTML) and data (JSON) of each document sent on a
request, with SHA-256 checksums, in sent_document.

A stored copy is downloaded as it was stored, byte for byte (UTF-8), after its checksum is
checked again: a copy that no longer matches is refused, never served as if it were intact.
Stored copies hold the person's data: they are kept and erased with the request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit
from registry.errors import NotFound, RegistryError
from registry.models import AppUser, DataSubjectRequest, SentDocument, utcnow
from registry.permissions import Actor, Permission, require

# What sent_document.kind holds, and what the page calls it.
DOCUMENT_KINDS: dict[str, str] = {
    "access_report": "Access report (Art. 15)",
    "extension": "Notice of extension (Art. 12(3))",
    "refusal": "Decision not to act (Art. 12(4))",
}


class DamagedCopy(RegistryError):
    """A stored copy whose bytes no longer match the checksum taken when it was sent."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store(
    session: Session,
    actor: Actor,
    request: DataSubjectRequest,
    kind: str,
    html: str,
    json_text: str | None = None,
    *,
    at: dt.datetime | None = None,
) -> SentDocument:
    """Add the copy to the caller's transaction (the step that sent it commits it)."""
    require(actor, Permission.HANDLE_REQUESTS)
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    document = SentDocument(
        request_id=request.id,
        kind=kind,
        language=request.reply_language,
        html=html,
        html_sha256=sha256(html),
        json=json_text,
        json_sha256=sha256(json_text) if json_text is not None else None,
        created_by=actor.user_id,
        created_at=at or utcnow(),
    )
    session.add(document)
    session.flush()
    return document


@dataclass(frozen=True)
class StoredCopy:
    """A stored document as the request's page lists it (no contents)."""

    id: int
    request_id: int
    kind: str
    language: str
    created_at: dt.datetime
    created_by: str | None
    html_sha256: str
    json_sha256: str | None
    html_bytes: int
    json_bytes: int | None


def copies(session: Session, actor: Actor, request_id: int) -> list[StoredCopy]:
    """Every document stored on the request, oldest first."""
    require(actor, Permission.HANDLE_REQUESTS)
    rows = session.execute(
        select(SentDocument, AppUser.display_name)
        .outerjoin(AppUser, AppUser.id == SentDocument.created_by)
        .where(SentDocument.request_id == request_id)
        .order_by(SentDocument.created_at, SentDocument.id)
    ).all()
    return [
        StoredCopy(
            d.id,
            d.request_id,
            d.kind,
            d.language,
            d.created_at,
            name,
            d.html_sha256,
            d.json_sha256,
            len(d.html.encode("utf-8")),
            len(d.json.encode("utf-8")) if d.json is not None else None,
        )
        for d, name in rows
    ]


def file_name(copy: StoredCopy, part: str) -> str:
    day = copy.created_at.date().isoformat()
    return f"DSR-{copy.request_id:06d}-{copy.kind.replace('_', '-')}-{day}-{copy.id}.{part}"


def download(session: Session, actor: Actor, document_id: int, part: str) -> bytes:
    """The stored HTML or JSON, byte for byte, once its checksum is verified; audited."""
    require(actor, Permission.HANDLE_REQUESTS)
    document = session.get(SentDocument, document_id)
    if document is None:
        raise NotFound(f"No stored document #{document_id}.")
    text: str
    checksum: str | None
    if part == "html":
        text, checksum = document.html, document.html_sha256
    elif part == "json" and document.json is not None:
        text, checksum = document.json, document.json_sha256
    else:
        raise NotFound(f"Stored document #{document_id} has no {part} part.")
    if sha256(text) != checksum:
        raise DamagedCopy(
            f"Stored document #{document_id} ({part}) no longer matches its SHA-256 checksum: "
            "it is not served. Restore it from a backup."
        )
    audit.record(
        session,
        actor,
        "sent_document_downloaded",
        "data_subject_request",
        document.request_id,
        f"document #{document.id} {document.kind} ({part}, {document.language})",
    )
    session.commit()
    return text.encode("utf-8")
