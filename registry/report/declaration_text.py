"""The registry declaration's texts in the language of a letter.

English is data/registry.toml itself; Finnish and Swedish come from
data/registry-translations.toml, keyed by the declaration's own keys (the regular sources,
which have none, by their English text). A text the declaration has but the translation
lacks stops the letter with the key that is missing: a letter is never half in English.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from registry import settings
from registry.notice import Declaration, declaration
from registry.report.language import LANGUAGES, LanguageError

TRANSLATIONS_PATH = settings.DECLARATION_PATH.with_name("registry-translations.toml")


@dataclass(frozen=True)
class DeclarationText:
    """What a letter quotes from the declaration, in one language."""

    registry_name: str
    request_form: str
    supervisory_authority: str
    # The retention schedule, rule key -> (what it covers, what starts its clock).
    retention: dict[str, tuple[str, str]]
    purposes: dict[str, str]
    profiling_logic: dict[str, str]  # purpose key -> its logic, for profiling purposes
    data_categories: dict[str, str]
    data_subjects: dict[str, str]
    sources: dict[str, str]  # the English text as stored on persons -> the text
    recipient_categories: dict[str, str]

    def source(self, stored: str) -> str:
        """A person's source in the language; one the declaration does not list (say, an
        import's own name) is a name and is shown as stored."""
        return self.sources.get(stored, stored)


def _english(decl: Declaration) -> DeclarationText:
    return DeclarationText(
        registry_name=decl.registry_name,
        request_form=decl.request_form,
        supervisory_authority=decl.supervisory_authority.name,
        retention={r.key: (r.what, r.starts) for r in decl.retention.rules},
        purposes={p.key: p.text for p in decl.purposes},
        profiling_logic={p.key: p.profiling_logic for p in decl.purposes if p.profiling_logic},
        data_categories={c.key: c.text for c in decl.data_categories},
        data_subjects={s.key: s.text for s in decl.data_subjects},
        sources={s: s for s in decl.sources},
        recipient_categories={c.key: c.text for c in decl.recipient_categories},
    )


@cache
def _load(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as e:
        raise LanguageError(f"{path.name}: the declaration's translations are missing") from e
    except tomllib.TOMLDecodeError as e:
        raise LanguageError(f"{path.name}: not valid TOML: {e}") from e


def _translated(
    english: dict[str, str], table: object, where: str, *, optional_empty: bool = False
) -> dict[str, str]:
    if not isinstance(table, dict):
        raise LanguageError(f"{where}: missing")
    out: dict[str, str] = {}
    for key, text in english.items():
        value = table.get(key)
        if not text and optional_empty:
            out[key] = ""
            continue
        if not isinstance(value, str) or not value.strip():
            raise LanguageError(f"{where}.{key}: missing")
        out[key] = value
    return out


def _retention(
    english: dict[str, tuple[str, str]], table: object, where: str
) -> dict[str, tuple[str, str]]:
    if not isinstance(table, dict):
        raise LanguageError(f"{where}: missing")
    out = {}
    for key in english:
        texts = _translated({"what": "x", "starts": "x"}, table.get(key), f"{where}.{key}")
        out[key] = (texts["what"], texts["starts"])
    return out


def declaration_text(
    language: str, decl: Declaration | None = None, path: Path = TRANSLATIONS_PATH
) -> DeclarationText:
    """The declaration's texts in `language`; raises LanguageError naming a missing key."""
    if language not in LANGUAGES:
        raise LanguageError(f"No letters in {language!r}: choose one of {', '.join(LANGUAGES)}.")
    decl = decl or declaration()
    english = _english(decl)
    if language == "en":
        return english
    where = f"{path.name}: {language}"
    data = _load(path).get(language)
    if not isinstance(data, dict):
        raise LanguageError(f"{where}: missing")
    scalars = _translated(
        {
            "registry_name": english.registry_name,
            "request_form": english.request_form,
            "supervisory_authority": english.supervisory_authority,
        },
        data,
        where,
        optional_empty=True,
    )
    return DeclarationText(
        registry_name=scalars["registry_name"],
        request_form=scalars["request_form"],
        supervisory_authority=scalars["supervisory_authority"],
        retention=_retention(english.retention, data.get("retention"), f"{where}.retention"),
        purposes=_translated(english.purposes, data.get("purposes"), f"{where}.purposes"),
        profiling_logic=_translated(
            english.profiling_logic, data.get("profiling_logic"), f"{where}.profiling_logic"
        ),
        data_categories=_translated(
            english.data_categories, data.get("data_categories"), f"{where}.data_categories"
        ),
        data_subjects=_translated(
            english.data_subjects, data.get("data_subjects"), f"{where}.data_subjects"
        ),
        sources=_translated(english.sources, data.get("sources"), f"{where}.sources"),
        recipient_categories=_translated(
            english.recipient_categories,
            data.get("recipient_categories"),
            f"{where}.recipient_categories",
        ),
    )
