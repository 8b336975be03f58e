"""The first step of an import: the kinds, the source (Art. 14(2)(f)), the header mapped
to the kind's columns, and the preview and plan a page shows before anything is read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from registry import notice, settings
from registry.errors import RegistryError
from registry.imports import reading
from registry.imports.base import (
    Kind,
)
from registry.imports.consents import Consents
from registry.imports.events import Activities, Orders
from registry.imports.organisations import Organisations
from registry.imports.persons import Persons
from registry.vocabulary import ImportKind

KINDS: dict[ImportKind, Kind] = {
    k.kind: k for k in (Organisations(), Persons(), Orders(), Consents(), Activities())
}


class ImportRefused(RegistryError):
    """The import cannot start (no account, no source, a header it cannot map)."""


class ImportFailed(RegistryError):
    """The import stopped on an error; nothing of the file was written."""


# --- the source ---


def resolve_source(kind: ImportKind, name: str | None) -> str | None:
    """The notice's regular source the user named (in full, or by the start of its name, in
    any case), or None where the kind needs none. Refused with the list otherwise."""
    sources = notice.declaration().sources
    listed = "; ".join(sources)
    if not name or not name.strip():
        if KINDS[kind].needs_source:
            raise ImportRefused(
                f"Say which of the notice's regular sources the {kind} come from "
                f"(--source): {listed}."
            )
        return None
    wanted = " ".join(name.split()).lower()
    exact = [s for s in sources if s.lower() == wanted]
    starting = [s for s in sources if s.lower().startswith(wanted)]
    if exact or len(starting) == 1:
        return (exact or starting)[0]
    if starting:
        raise ImportRefused(f"{name!r} could be several sources: {'; '.join(starting)}.")
    # Art. 13(1)(e)/14(1)(e) and 15(1)(g): the notice names where data comes from.
    raise ImportRefused(f"{name!r} is not one of the notice's regular sources: {listed}.")


def is_third_party(source: str | None) -> bool:
    """Data from this source did not come from the person (Art. 14), as declared."""
    return source is not None and source not in notice.declaration().sources_from_the_person


# --- the header ---


def header_key(text: str) -> str:
    """A header as compared with the registry's names: case, spaces and hyphens aside."""
    return "_".join(text.replace("\ufeff", "").strip().lower().replace("-", " ").split())


def suggested_mapping(kind: ImportKind, header: Iterable[str]) -> dict[str, str | None]:
    """File header -> the kind's column of that name, or None where there is none."""
    names = set(KINDS[kind].field_names)
    return {h: (header_key(h) if header_key(h) in names else None) for h in header}


@dataclass(frozen=True)
class Preview:
    """What the page shows before anything is checked: the format, the header, first rows."""

    fmt: reading.FileFormat
    header: list[str]
    rows: list[reading.Row]
    mapping: dict[str, str | None]  # the suggested mapping of each header

    @property
    def unmatched(self) -> list[str]:
        return [h for h, target in self.mapping.items() if target is None and h.strip()]


def preview(kind: ImportKind, path: Path) -> Preview:
    """The file's detected format and first rows; FileRefused with the reason."""
    fmt = reading.detect(path)
    header, first = reading.preview(path, fmt, settings.IMPORT_PREVIEW_ROWS)
    if not header:
        raise reading.FileRefused("The file is empty: it has no header row.")
    return Preview(fmt, header, first, suggested_mapping(kind, header))


@dataclass(frozen=True)
class Plan:
    """How a file will be read: its format, and which file column feeds which field."""

    kind: ImportKind
    path: Path
    fmt: reading.FileFormat
    header: list[str]
    columns: dict[str, int]  # field -> index of the file's column
    ignored: list[str]  # file columns the user chose not to import

    @property
    def width(self) -> int:
        return len(self.header)


def plan(kind: ImportKind, path: Path, mapping: Mapping[str, str | None] | None = None) -> Plan:
    """Read the file's format and header; FileRefused or ImportRefused with the reason.

    Without a mapping every header must be one of the kind's column names; with one (the
    page's mapping step), a header mapped to None is deliberately not imported.
    """
    spec = KINDS[ImportKind(kind)]
    if not path.is_file():
        raise ImportRefused(f"No such file: {path}.")
    fmt = reading.detect(path)
    header = next((cells for _, cells in reading.rows(path, fmt)), None)
    if not header:
        raise reading.FileRefused("The file is empty: it has no header row.")
    chosen = dict(mapping) if mapping is not None else suggested_mapping(kind, header)
    columns: dict[str, int] = {}
    unknown, ignored, twice = [], [], []
    for index, name in enumerate(header):
        target = chosen.get(name)
        if target is None:
            if mapping is not None and name in mapping:
                ignored.append(name)
            elif name.strip():
                unknown.append(name)
            continue
        if target not in spec.field_names:
            raise ImportRefused(f"{target!r} is not a column of {kind}.")
        if target in columns:
            twice.append(target)
        columns[target] = index
    names = ", ".join(spec.field_names)
    if unknown:
        raise ImportRefused(
            f"The file has columns the {kind} import does not know: "
            f"{', '.join(repr(u) for u in unknown)}. Its columns are: {names}."
        )
    if twice:
        raise ImportRefused(f"More than one file column would fill {', '.join(twice)}.")
    missing = [f.name for f in spec.fields if f.required and f.name not in columns]
    if missing:
        raise ImportRefused(
            f"The file lacks the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. The {kind} columns are: {names}."
        )
    if spec.one_of and not any(n in columns for n in spec.one_of):
        raise ImportRefused(
            f"The file needs a column {' or '.join(spec.one_of)}, to find each person."
        )
    return Plan(ImportKind(kind), path, fmt, header, columns, ignored)
