"""The demo's accounts and the passwords of its service users: synthetic, for the demo only."""

from __future__ import annotations

from registry.vocabulary import (
    Role,
)

# username, display name, role, password: one account per role, for the demo only.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("marketing", "Maija Markkinointi", Role.MARKETING.value, "marketing-demo-2026"),
    ("compliance", "Kaisa Compliance", Role.COMPLIANCE.value, "compliance-demo-2026"),
    ("admin", "Antti Admin", Role.ADMINISTRATOR.value, "admin-demo-2026"),
)
DEMO_EMAIL_DOMAIN = "click2contract.example"

# Service users' passwords: argon2 is slow on purpose, so these few are hashed once and reused.
SERVICE_USER_PASSWORDS = (
    "sopimus-2024-kevat",
    "click2contract-user",
    "allekirjoitus-123",
    "kesa-mokki-2025",
    "contract-demo-pass",
)
