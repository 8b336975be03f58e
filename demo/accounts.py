"""The demo accounts, one per role, with two saved segments and their sign-ins."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from demo.data.accounts import DEMO_ACCOUNTS, DEMO_EMAIL_DOMAIN, SERVICE_USER_PASSWORDS
from registry.models import (
    AppUser,
    AuditEvent,
    Segment,
)

if TYPE_CHECKING:
    from demo.seeder import Seeder


def insert_demo_accounts(seeder: Seeder, conn: Connection) -> None:
    first = seeder.ids.take("app_user", len(DEMO_ACCOUNTS))
    sign_ins = []
    users = []
    for i, (username, display_name, role, _password) in enumerate(DEMO_ACCOUNTS):
        user_id = first + i
        seeder.users[username] = user_id
        times = [
            seeder.ref_datetime - dt.timedelta(days=days, hours=15 - i, minutes=7 * i)
            for days in (3, 2, 1)
        ]
        users.append(
            {
                "id": user_id,
                "username": username,
                "display_name": display_name,
                "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
                "role": role,
                "password_hash": seeder.hashes[len(SERVICE_USER_PASSWORDS) + i],
                "active": True,
                "failed_sign_ins": 0,
                "locked_until": None,
                "created_at": seeder.ref_datetime - dt.timedelta(days=60),
                "last_sign_in_at": times[-1],
            }
        )
        sign_ins += [(t, user_id, username) for t in times]
    seeder.insert(conn, AppUser, users)
    marketing = seeder.users["marketing"]
    first_segment = seeder.ids.take("segment", 2)
    segments = [
        {
            "id": first_segment,
            "name": "Contacts in Finland",
            "description": "Everyone whose country is Finland.",
            "definition": [{"field": "country", "op": "in", "value": ["FI"]}],
            "owner_id": marketing,
            "created_at": seeder.ref_datetime - dt.timedelta(days=30),
            "updated_at": seeder.ref_datetime - dt.timedelta(days=30),
        },
        {
            "id": first_segment + 1,
            "name": "Active app users",
            "description": "Service users who used the app in the last 90 days.",
            "definition": [
                {"field": "relationship", "op": "in", "value": ["service_user"]},
                {"field": "last_app_use_days", "op": "lte", "value": 90},
            ],
            "owner_id": marketing,
            "created_at": seeder.ref_datetime - dt.timedelta(days=10),
            "updated_at": seeder.ref_datetime - dt.timedelta(days=4),
        },
    ]
    seeder.insert(conn, Segment, segments)
    sign_ins.sort()
    first_event = seeder.ids.take("audit_event", len(sign_ins))
    events = [
        {
            "id": first_event + i,
            "at": at,
            "actor_id": user_id,
            "actor_name": username,
            "action": "sign_in",
            "record_type": "app_user",
            "record_id": str(user_id),
            "detail": "",
        }
        for i, (at, user_id, username) in enumerate(sign_ins)
    ]
    seeder.insert(conn, AuditEvent, events)
