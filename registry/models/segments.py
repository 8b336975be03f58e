"""Saved segments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

# Person has a column named "relationship" (how the person is connected), hence the alias.
from sqlalchemy.orm import relationship as orm_relationship

from registry.models.accounts import AppUser
from registry.models.base import Base, UTCDateTime, utcnow


class Segment(Base):
    """A saved segment definition: a list of (field, operator, value) filters as JSON."""

    __tablename__ = "segment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[AppUser] = orm_relationship(lazy="joined")
