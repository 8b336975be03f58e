"""What a new password must not be, after NIST SP 800-63B §5.1.1.2: long enough, and not a
value an attacker tries first: a common password or a common word with digits added, a
repetition or a sequence (111111111111, abcdefghijkl), the username or the service's name.
No composition rules (a digit, a capital): the standard advises against them.
"""

from __future__ import annotations

import re

from registry import settings

# The bases of the most used passwords in public breach lists; a password that is one of
# these, in any case, with only digits and punctuation around it, is refused.
COMMON_BASES = frozenset(
    """
    password passw0rd passwort salasana lösenord qwerty qwertyuiop asdfgh asdfghjkl zxcvbnm
    letmein welcome admin administrator root login master secret changeme default iloveyou
    monkey dragon football baseball sunshine princess shadow superman batman trustno1 access
    hello freedom whatever starwars computer internet summer winter spring autumn
    kesä talvi syksy kevät suomi finland helsinki click2contract registry rekisteri
    """.split()
)
_AROUND = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")
_SEQUENCES = (
    "0123456789012345678901234567890",
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm",
)


def _repeats_one_unit(text: str) -> bool:
    """111111111111, abcabcabcabc: one short unit over and over."""
    return any(
        len(text) % size == 0 and text[:size] * (len(text) // size) == text
        for size in range(1, min(4, len(text)) + 1)
    )


def _sequence(text: str) -> bool:
    return any(text in s or text[::-1] in s for s in _SEQUENCES)


def problem(password: str, username: str = "") -> str | None:
    """The message to show next to a new password field, or None if it is acceptable."""
    if len(password) < settings.MIN_PASSWORD_LENGTH:
        return f"Use at least {settings.MIN_PASSWORD_LENGTH} characters."
    if len(password) > settings.MAX_PASSWORD_LENGTH:
        return f"Use at most {settings.MAX_PASSWORD_LENGTH} characters."
    folded = password.casefold()
    name = username.strip().casefold()
    if name and (folded == name or (len(name) >= 4 and name in folded)):
        return "Do not use the username in the password."
    if _repeats_one_unit(folded) or _sequence(folded):
        return "Do not use a repetition or a sequence (111111, abcdef): choose a passphrase."
    base = _AROUND.match(folded)
    if folded in COMMON_BASES or (base is not None and base.group(1) in COMMON_BASES):
        return "This is one of the most common passwords: choose a passphrase of a few words."
    return None
