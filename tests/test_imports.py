"""Imports (issue 19) on SQLite and PostgreSQL: formats detected and said, every validator's
rejects with the exact row and column, all or nothing, the same file twice, suppression,
a failure halfway, amendments, the Art. 14 list, and the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from registry import __main__ as cli
from registry import amendments, consent, db, deadlines, settings
from registry.errors import PermissionDenied, ValidationError
from registry.imports import informing, plan, rejects, run
from registry.imports.persons import Persons
from registry.imports.reading import FileRefused
from registry.models import (
    Activity,
    Amendment,
    AuditEvent,
    ConsentEvent,
    ConsentState,
    ImportRun,
    Order,
    Organisation,
    Person,
    PersonMetrics,
    utcnow,
)
from registry.permissions import Actor
from registry.vocabulary import ConsentStatus, ImportStatus, Purpose, Role

PARTNERS = "Partners and companies and authorities offering personal information services"
SERVICE = "Click2Contract service information"  # declared as the person's own source
BILLING = "Customer data system and billing database"
PERSON_HEADER = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "street_address",
    "postal_code",
    "city",
    "country",
    "position",
    "organisation_business_id",
    "relationship",
]


def person_row(**cells: str) -> list[str]:
    values = {
        "first_name": "Aino",
        "last_name": "Äijälä",
        "email": "aino.aijala@yritys.example.fi",
        "phone": "+358401234567",
        "street_address": "Tykistökatu 4",
        "postal_code": "20520",
        "city": "Turku",
        "country": "FI",
        "position": "Ostopäällikkö",
        "organisation_business_id": "",
        "relationship": "customer_contact",
    }
    values.update(cells)
    return [values[h] for h in PERSON_HEADER]


def write(
    path: Path,
    rows: list[list[str]],
    header: list[str] = PERSON_HEADER,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    return path


def rejects_of(path: Path) -> list[list[str]]:
    """The rejects report beside `path`, without its header."""
    report = path.with_name(f"{path.stem}.rejects.csv")
    with report.open(encoding="utf-8-sig", newline="") as f:
        text = f.read()
    delimiter = ";" if text.splitlines()[0].count(";") == 3 else ","
    lines = list(csv.reader(text.splitlines(), delimiter=delimiter))
    assert lines[0] == ["row", "column", "value", "reason"]
    return lines[1:]


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def officer(actors) -> Actor:  # type: ignore[no-untyped-def]
    return actors[Role.COMPLIANCE]


def do_import(session, actor, kind, path, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("source", PARTNERS if plan.KINDS[kind].needs_source else None)
    kwargs.setdefault("rejects_path", path.with_name(f"{path.stem}.rejects.csv"))
    return run.import_file(session, actor, kind, path, **kwargs)


def make_org(session, business_id: str = "1234567-1", name: str = "Yritys Oy") -> Organisation:  # type: ignore[no-untyped-def]
    org = Organisation(
        name=name, business_id=business_id, industry="Software", country="FI", city="Turku"
    )
    session.add(org)
    session.commit()
    return org


def make_person(session, **overrides: object) -> Person:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "first_name": "Aino",
        "last_name": "Äijälä",
        "email": "aino.aijala@yritys.example.fi",
        "phone": "+358401234567",
        "country": "FI",
        "relationship": "customer_contact",
        "source": SERVICE,
    }
    values.update(overrides)
    person = Person(**values)
    session.add(person)
    session.commit()
    return person


# --- formats ---

NAMES = [("Äijälä", "Sjöström"), ("Åsa", "Öhman"), ("Jürgen", "Müller")]


@pytest.mark.parametrize(
    ("encoding", "said"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with BOM"), ("cp1252", "Windows-1252")],
)
@pytest.mark.parametrize(("delimiter", "word"), [(",", "comma"), (";", "semicolon")])
def test_each_encoding_and_delimiter_is_detected_and_said(
    session, officer, tmp_path, encoding, said, delimiter, word
):
    rows = [
        person_row(first_name=first, last_name=last, email=f"p{i}@yritys.example.fi", phone="")
        for i, (first, last) in enumerate(NAMES)
    ]
    # A cell holding the other delimiter, quoted, must not split the row.
    rows[0][4] = "Katu 1, B; 2"
    path = write(tmp_path / "persons.csv", rows, encoding=encoding, delimiter=delimiter)
    result = do_import(session, officer, "persons", path)
    assert result.file_format == f"CSV, {said}, {word}-delimited"
    assert result.status == ImportStatus.COMPLETED and result.new == 3
    stored = session.execute(
        select(Person.first_name, Person.last_name, Person.street_address).order_by(Person.id)
    ).all()
    assert [(f, la) for f, la, _ in stored] == NAMES
    assert stored[0][2] == "Katu 1, B; 2"


def test_plain_ascii_is_said_to_be_plain(session, officer, tmp_path):
    row = person_row(last_name="Aalto", street_address="Katu 4", position="CEO")
    path = write(tmp_path / "p.csv", [row])
    assert do_import(session, officer, "persons", path).file_format == (
        "CSV, UTF-8 (plain ASCII), comma-delimited"
    )


def test_xlsx_is_read_from_its_first_sheet_and_formulas_are_kept_as_text(
    session, officer, tmp_path
):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Henkilöt"
    sheet.append(PERSON_HEADER)
    sheet.append(person_row(first_name='=HYPERLINK("http://x.example","klikkaa")', phone=""))
    row = person_row(email="toinen@yritys.example.fi", phone="", postal_code="")
    sheet.append(row[:6])  # a sheet row ends at its last value
    book.create_sheet("Muistiinpanot").append(["not", "read"])
    path = tmp_path / "persons.xlsx"
    book.save(path)
    result = do_import(session, officer, "persons", path, skip_invalid=True)
    assert result.file_format == "XLSX workbook, sheet 'Henkilöt' (the first of 2)"
    assert (result.new, result.rejected) == (1, 1)
    assert session.scalar(select(Person.first_name)) == '=HYPERLINK("http://x.example","klikkaa")'
    [reject] = rejects_of(path)
    assert reject[:2] == ["3", "relationship"]


def _refusal(path: Path) -> str:
    with pytest.raises(FileRefused) as refused:
        plan.preview("persons", path)
    return str(refused.value)


def test_files_that_cannot_be_read_one_way_are_refused_with_the_reason(tmp_path):
    header = ",".join(PERSON_HEADER).encode()
    cases = {
        # ¤ in Windows-1252 is € in ISO-8859-15: the letters would come out wrong in one.
        "latin9.csv": (header + "\r\nA,B,c@d.fi,,Hinta 5 ¤".encode("cp1252"), "ISO-8859-15"),
        "bom.csv": (b"\xef\xbb\xbf" + header + "\r\nÄ".encode("cp1252"), "mixes encodings"),
        "undefined.csv": (header + b"\r\nA\x81", "neither UTF-8"),
        "twice.csv": (
            header + "\r\nKÃ¶ö,ä".encode("cp1252"),
            "saved again in Windows-1252",
        ),
        "utf16.csv": ("a,b".encode("utf-16"), "UTF-16"),
        "old.xls": (b"\xd0\xcf\x11\xe0" + b"\0" * 20, "old Excel .xls"),
        "nul.csv": (header + b"\r\nA\x00B", "NUL bytes"),
        "tabs.csv": ("\t".join(PERSON_HEADER).encode(), "neither commas nor semicolons"),
        "both.csv": (b"a,b;c,d\r\n1,2;3,4\r\n", "cannot be told"),
        "empty.csv": (b"", "empty"),
    }
    for name, (data, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert reason in _refusal(path), name


# --- every validator's rejects, with the exact row and column ---


def test_every_person_check_refuses_with_row_column_and_value(session, officer, tmp_path):
    make_org(session)
    rows = [
        person_row(email="ok1@yritys.example.fi", organisation_business_id="1234567-1"),  # 2
        person_row(first_name="1234"),  # 3
        person_row(last_name=""),  # 4
        person_row(email="matti@"),  # 5
        person_row(phone="+3581"),  # 6
        person_row(postal_code="ABC"),  # 7
        person_row(country="Suomi"),  # 8
        person_row(relationship="friend"),  # 9
        person_row(street_address="Katu\x011"),  # 10
        person_row(position="x" * 101),  # 11
        person_row(organisation_business_id="7654321-2"),  # 12
        person_row(email="", phone=""),  # 13
        person_row(postal_code="114 55", country=""),  # 14: read in FI without a country
    ]
    path = write(tmp_path / "persons.csv", rows, delimiter=";")
    result = do_import(session, officer, "persons", path)
    assert result.status == ImportStatus.REFUSED
    assert (result.rows, result.rejected) == (13, 12)
    assert count(session, Person) == 0
    got = [(r[0], r[1], r[2]) for r in rejects_of(path)]
    assert got == [
        ("3", "first_name", "1234"),
        ("4", "last_name", ""),
        ("5", "email", "matti@"),
        ("6", "phone", "'+3581"),  # neutralised for a spreadsheet
        ("7", "postal_code", "ABC"),
        ("8", "country", "Suomi"),
        ("9", "relationship", "friend"),
        ("10", "street_address", "Katu\x011"),
        ("11", "position", "x" * 101),
        ("12", "organisation_business_id", "7654321-2"),
        ("13", "email", ""),
        ("14", "postal_code", "114 55"),
    ]
    # The same report as a workbook: row numbers as numbers, a control character marked.
    report = path.with_name(f"{path.stem}.rejects.csv")
    book = openpyxl.load_workbook(io.BytesIO(rejects.rejects_workbook(report, ";"))).active
    table = [[c.value for c in r] for r in book.iter_rows(min_row=2)]
    assert [(r[0], r[1], r[2] or "") for r in table] == [
        (int(n), column, value.replace("\x01", "\ufffd")) for n, column, value in got
    ]
    reasons = [r[3] for r in rejects_of(path)]
    assert reasons[0] == "A name needs at least one letter."
    assert reasons[1] == "A value is required."
    assert "@" in reasons[2]
    assert reasons[3].startswith("This is not a phone number.")
    assert reasons[4] == "Not a postal code of FI: write it like 20520."
    assert reasons[5].startswith("Use a two-letter ISO country code")
    assert reasons[6].startswith("Use one of: customer_contact")
    assert reasons[7] == "Remove the control character U+0001."
    assert reasons[8] == "Use at most 100 characters (this has 101)."
    assert reasons[9].startswith("No organisation has this business ID")
    assert reasons[10] == "A person needs an email or a phone to be found again."
    assert reasons[11].endswith("(the row has no country, so FI)")


def test_organisation_order_activity_and_consent_checks(session, officer, tmp_path):
    org_path = write(
        tmp_path / "orgs.csv",
        [
            ["1234567-1", "Yritys Oy", "customer", "Software", "FI", "Turku", "1.3.2020", ""],
            ["1234567-2", "Väärä Oy", "", "Software", "FI", "Turku", "", ""],  # check digit
            ["2345678-0", "Toinen Oy", "vendor", "Retail", "FI", "Oulu", "", ""],
            ["7654321-2", "Kolmas Oy", "", "Retail", "FI", "Oulu", "31.2.2024", ""],
            [
                "SE556677",
                "Svensk AB",
                "dealer",
                "Retail",
                "SE",
                "Malmö",
                "2024-05-01",
                "2020-01-01",
            ],
        ],
        header=[
            "business_id",
            "name",
            "kind",
            "industry",
            "country",
            "city",
            "customer_since",
            "customer_until",
        ],
    )
    result = do_import(session, officer, "organisations", org_path, skip_invalid=True)
    assert (result.new, result.rejected) == (1, 4)
    assert [(r[0], r[1]) for r in rejects_of(org_path)] == [
        ("3", "business_id"),
        ("4", "kind"),
        ("5", "customer_since"),
        ("6", "customer_until"),
    ]
    make_person(session)
    order_path = write(
        tmp_path / "orders.csv",
        [
            ["A-1", "aino.aijala@yritys.example.fi", "2026-01-15", "Licence", "1234,50", "paid"],
            ["A-2", "aino.aijala@yritys.example.fi", "2026/01/15", "Licence", "10", "paid"],
            ["A-3", "aino.aijala@yritys.example.fi", "15.1.2026", "Licence", "1 234,50", "paid"],
            ["A-4", "aino.aijala@yritys.example.fi", "15.1.2026", "Licence", "-5", "paid"],
            ["A-5", "aino.aijala@yritys.example.fi", "15.1.2026", "Licence", "5", "open"],
            ["A-6", "nobody@yritys.example.fi", "15.1.2026", "Licence", "5", "paid"],
            ["A-1", "aino.aijala@yritys.example.fi", "15.1.2026", "Licence", "5", "paid"],
        ],
        header=["order_id", "email", "ordered_on", "product", "amount_eur", "status"],
    )
    result = do_import(session, officer, "orders", order_path, source=BILLING)
    assert result.status == ImportStatus.REFUSED
    got = {(r[0], r[1]): r[3] for r in rejects_of(order_path)}
    assert list(got) == [
        ("3", "ordered_on"),
        ("4", "amount_eur"),
        ("5", "amount_eur"),
        ("6", "status"),
        ("7", "email"),
        ("8", "order_id"),
    ]
    assert got[("7", "email")] == "No person has this email or phone: import the persons first."
    assert got[("8", "order_id")] == "The same order_id as row 2"
    future = (utcnow() + dt.timedelta(days=2)).strftime("%Y-%m-%d")
    consent_path = write(
        tmp_path / "consent.csv",
        [
            [
                "aino.aijala@yritys.example.fi",
                "newsletter",
                "granted",
                "2026-01-01",
                "web_form",
                "Ticked the box",
            ],
            ["aino.aijala@yritys.example.fi", "fax", "granted", "2026-01-01", "web_form", "x"],
            ["aino.aijala@yritys.example.fi", "post", "maybe", "2026-01-01", "web_form", "x"],
            ["aino.aijala@yritys.example.fi", "post", "granted", "2026-01-01", "telepathy", "x"],
            ["aino.aijala@yritys.example.fi", "post", "granted", future, "letter", "x"],
            ["aino.aijala@yritys.example.fi", "post", "granted", "2026-01-01", "letter", ""],
            ["aino.aijala@yritys.example.fi", "post", "withdrawn", "yesterday", "letter", ""],
        ],
        header=["email", "purpose", "status", "occurred_at", "source", "evidence"],
    )
    result = do_import(session, officer, "consent", consent_path)
    got = {(r[0], r[1]): r[3] for r in rejects_of(consent_path)}
    assert list(got) == [
        ("3", "purpose"),
        ("4", "status"),
        ("5", "source"),
        ("6", "occurred_at"),
        ("7", "evidence"),
        ("8", "occurred_at"),
    ]
    assert got[("6", "occurred_at")] == "The date cannot be in the future."
    assert got[("7", "evidence")].startswith("A grant needs evidence")
    activity_path = write(
        tmp_path / "activities.csv",
        [
            ["V-1", "+358401234567", "website_visit", "2026-01-02 10:00", "/pricing"],
            ["V-2", "+358401234567", "visit", "2026-01-02 10:00", ""],
            ["V-3", "+358401234567", "website_visit", future, ""],
        ],
        header=["activity_id", "phone", "kind", "occurred_at", "detail"],
    )
    result = do_import(session, officer, "activities", activity_path, source="user and")
    assert [(r[0], r[1]) for r in rejects_of(activity_path)] == [
        ("3", "kind"),
        ("4", "occurred_at"),
    ]


# --- all or nothing ---


def test_all_or_nothing_unless_invalid_rows_are_skipped(session, officer, tmp_path):
    rows = [
        person_row(email="a@yritys.example.fi", phone=""),
        person_row(email="b@yritys.example.fi", phone="", relationship="friend"),
        person_row(email="c@yritys.example.fi", phone=""),
    ]
    path = write(tmp_path / "persons.csv", rows)
    audit_before = count(session, AuditEvent)
    refused = do_import(session, officer, "persons", path)
    assert refused.status == ImportStatus.REFUSED and not refused.written
    assert (refused.new, refused.rejected) == (2, 1)
    assert count(session, Person) == 0 and count(session, Amendment) == 0
    [attempt] = session.scalars(select(ImportRun)).all()
    assert (attempt.status, attempt.rejected_rows) == ("refused", 1)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "import_refused")).one()
    assert event.record_id == str(attempt.id)
    assert count(session, AuditEvent) == audit_before + 1

    done = do_import(session, officer, "persons", path, skip_invalid=True)
    assert done.status == ImportStatus.COMPLETED
    assert sorted(session.scalars(select(Person.email))) == [
        "a@yritys.example.fi",
        "c@yritys.example.fi",
    ]
    assert [r[:2] for r in rejects_of(path)] == [["3", "relationship"]]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "import_completed")).one()
    ids = [p.id for p in session.scalars(select(Person).order_by(Person.id))]
    assert event.detail.endswith(f"persons #{ids[0]}, #{ids[1]}")
    assert "Äijälä" not in event.detail  # by id only, never names


def test_a_dry_run_counts_and_writes_nothing(session, officer, tmp_path):
    make_person(session, email="a@yritys.example.fi", phone=None)
    path = write(
        tmp_path / "persons.csv",
        [
            person_row(email="a@yritys.example.fi", phone="", city="Tampere"),
            person_row(email="b@yritys.example.fi", phone=""),
            person_row(email="c@yritys.example.fi", phone="", country="XX"),
        ],
    )
    audit_before, persons_before = count(session, AuditEvent), count(session, Person)
    result = do_import(session, officer, "persons", path, dry_run=True)
    assert result.status is None and result.run_id is None
    assert (result.new, result.updated, result.unchanged, result.rejected) == (1, 1, 0, 1)
    assert result.sentence().startswith("Dry run, nothing written")
    assert count(session, Person) == persons_before and count(session, Amendment) == 0
    assert count(session, ImportRun) == 0 and count(session, AuditEvent) == audit_before
    assert session.scalar(select(Person.city).where(Person.email == "a@yritys.example.fi")) is None


def test_an_import_that_fails_halfway_leaves_nothing(session, officer, tmp_path, monkeypatch):
    make_person(session, email="a@yritys.example.fi", phone=None)
    path = write(
        tmp_path / "persons.csv",
        [
            person_row(email="a@yritys.example.fi", phone="", city="Tampere"),
            person_row(email="b@yritys.example.fi", phone=""),
        ],
    )
    inserted = Persons._insert

    def insert_then_fail(self, ctx, stage):  # type: ignore[no-untyped-def]
        inserted(self, ctx, stage)  # the update and the insert have run in the transaction
        assert ctx.session.scalar(select(func.count()).select_from(Person)) == 2
        raise OperationalError("INSERT", {}, Exception("the disk is full"))

    monkeypatch.setattr(Persons, "_insert", insert_then_fail)
    with pytest.raises(plan.ImportFailed, match=r"wrote nothing of the file.*the disk is full"):
        do_import(session, officer, "persons", path)
    session.expire_all()
    assert count(session, Person) == 1 and count(session, Amendment) == 0
    assert session.scalar(select(Person.city)) is None
    [attempt] = session.scalars(select(ImportRun)).all()
    assert attempt.status == "failed" and "the disk is full" in attempt.message
    assert session.scalar(select(func.count()).where(AuditEvent.action == "import_failed")) == 1


# --- idempotency and amendments ---


def test_the_same_file_twice_changes_nothing_the_second_time(session, officer, tmp_path):
    rows = [person_row(email=f"p{i}@yritys.example.fi", phone="") for i in range(5)]
    rows.append(person_row(email="", phone="+358 50 123 4567"))  # found again by phone
    path = write(tmp_path / "persons.csv", rows)
    first = do_import(session, officer, "persons", path)
    assert first.new == 6
    versions = dict(session.execute(select(Person.id, Person.version)).all())
    second = do_import(session, officer, "persons", path)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 6)
    session.expire_all()
    assert dict(session.execute(select(Person.id, Person.version)).all()) == versions
    assert count(session, Person) == 6 and count(session, Amendment) == 0
    assert not path.with_name("persons.rejects.csv").exists()


def test_changes_are_amendments_with_the_import_as_reason(session, officer, tmp_path):
    old, new = make_org(session, "1234567-1", "Vanha Oy"), make_org(session, "2345678-0", "Uusi Oy")
    person = make_person(
        session,
        email="Aino.Aijala@yritys.example.fi",
        city="Turku",
        organisation_id=old.id,
        street_address="Tykistökatu 4",
    )
    version_before = person.version
    path = write(
        tmp_path / "persons.csv",
        [
            person_row(
                email="aino.aijala@YRITYS.example.fi",  # the same address, found again
                city="Tampere",
                street_address="",  # empty: the stored value stays
                postal_code="33100",
                organisation_business_id="2345678-0",
            )
        ],
    )
    result = do_import(session, officer, "persons", path)
    assert (result.new, result.updated) == (0, 1)
    session.expire_all()
    stored = session.get(Person, person.id)
    assert (stored.city, stored.street_address, stored.organisation_id) == (
        "Tampere",
        "Tykistökatu 4",
        new.id,
    )
    assert stored.version == version_before + 1
    assert stored.source == SERVICE  # where the person came from stays
    assert stored.third_party_at is not None  # data from a third party came in (Art. 14)
    page = amendments.history(session, officer, person.id)
    changes = {r.field: (r.old_value, r.new_value) for r in page.rows}
    assert changes == {
        "email": ("Aino.Aijala@yritys.example.fi", "aino.aijala@yritys.example.fi"),
        "city": ("Turku", "Tampere"),
        "postal_code": (None, "33100"),
        "position": (None, "Ostopäällikkö"),
        "employer": ("Vanha Oy (1234567-1)", "Uusi Oy (2345678-0)"),
    }
    reasons = {r.reason for r in page.rows}
    assert reasons == {f"Import #{result.run_id} of persons from {PARTNERS} (persons.csv), row 2"}
    assert {r.amended_by for r in page.rows} == {"Test compliance"}


def test_duplicates_and_shared_contact_details_are_refused(session, officer, tmp_path):
    make_person(session, email="shared@yritys.example.fi", phone=None, first_name="Yksi")
    make_person(session, email="Shared@yritys.example.fi", phone=None, first_name="Kaksi")
    path = write(
        tmp_path / "persons.csv",
        [
            person_row(email="a@yritys.example.fi", phone=""),
            person_row(email="A@yritys.example.fi", phone=""),
            person_row(email="shared@yritys.example.fi", phone=""),
            person_row(email="", phone="+358401111111"),
            person_row(email="", phone="040 111 1111"),
        ],
    )
    do_import(session, officer, "persons", path)
    assert [(r[0], r[1], r[3]) for r in rejects_of(path)] == [
        ("3", "email", "The same email as row 2"),
        ("4", "email", "Email of several persons (2): correct them on the Persons page first."),
        ("6", "phone", "The same phone, and no email, as row 5"),
    ]


# --- suppression ---


def test_an_objecting_person_is_not_added_again_nor_granted(session, officer, tmp_path):
    person = make_person(session, email="kieltaja@yritys.example.fi", phone="+358401234567")
    opened = amendments.OpenedForm(
        person.id, person.version, {"email": "kieltaja@yritys.example.fi"}
    )
    amendments.amend_person(
        session, officer, opened, {"email": "uusi@yritys.example.fi"}, "Asked by letter"
    )
    consent.record_objection(session, officer, person.id, "letter", "Letter of 2 March")
    path = write(
        tmp_path / "persons.csv",
        [
            person_row(email="uusi@yritys.example.fi", phone=""),
            person_row(email="KIELTAJA@yritys.example.fi", phone=""),  # the earlier email
            person_row(email="", phone="040 123 4567"),
            person_row(email="muu@yritys.example.fi", phone=""),
        ],
    )
    result = do_import(session, officer, "persons", path, skip_invalid=True)
    assert (result.new, result.rejected) == (1, 3)
    got = rejects_of(path)
    assert [(r[0], r[1]) for r in got] == [("2", "email"), ("3", "email"), ("4", "phone")]
    assert all("objected to direct marketing or was erased" in r[3] for r in got)
    consent_path = write(
        tmp_path / "consent.csv",
        [
            ["uusi@yritys.example.fi", "newsletter", "granted", "2026-01-05", "web_form", "Form"],
            ["uusi@yritys.example.fi", "post", "withdrawn", "2026-01-05", "letter", ""],
        ],
        header=["email", "purpose", "status", "occurred_at", "source", "evidence"],
    )
    result = do_import(session, officer, "consent", consent_path, skip_invalid=True)
    assert (result.new, result.rejected) == (1, 1)
    [reject] = rejects_of(consent_path)
    assert reject[:2] == ["2", "status"] and "Art. 21(3)" in reject[3]
    assert consent.current_status(session, person.id)[Purpose.NEWSLETTER] == (
        ConsentStatus.OBJECTED
    )


# --- the other kinds ---


def test_organisations_orders_activities_and_consent_twice(session, officer, tmp_path):
    org_header = ["business_id", "name", "industry", "country", "city"]
    orgs = write(
        tmp_path / "orgs.csv", [["1234567-1", "Yritys Oy", "Software", "FI", "Turku"]], org_header
    )
    assert do_import(session, officer, "organisations", orgs).new == 1
    person = make_person(session)
    orders = write(
        tmp_path / "orders.csv",
        [
            [
                "A-1",
                "aino.aijala@yritys.example.fi",
                "",
                "2026-01-15",
                "Licence",
                "1234,50",
                "paid",
                "1234567-1",
            ],
            ["A-2", "", "+358401234567", "16.1.2026", "Support", "99.9", "invoiced", ""],
        ],
        header=[
            "order_id",
            "email",
            "phone",
            "ordered_on",
            "product",
            "amount_eur",
            "status",
            "organisation_business_id",
        ],
    )
    activities = write(
        tmp_path / "activities.csv",
        [["V-1", "aino.aijala@yritys.example.fi", "newsletter_open", "2026-01-02", "March"]],
        header=["activity_id", "email", "kind", "occurred_at", "detail"],
    )
    events = write(
        tmp_path / "consent.csv",
        [
            [
                "aino.aijala@yritys.example.fi",
                "newsletter",
                "granted",
                "2026-01-01",
                "web_form",
                "Ticked",
            ],
            ["aino.aijala@yritys.example.fi", "newsletter", "withdrawn", "2026-01-01", "email", ""],
        ],
        header=["email", "purpose", "status", "occurred_at", "source", "evidence"],
    )
    for _ in range(2):
        o = do_import(session, officer, "orders", orders, source=BILLING)
        a = do_import(session, officer, "activities", activities, source="user and")
        c = do_import(session, officer, "consent", events)
        o2 = do_import(session, officer, "organisations", orgs)
    assert (o.new, o.unchanged, a.new, a.unchanged, c.new, c.unchanged) == (0, 2, 0, 1, 0, 2)
    assert o2.unchanged == 1
    session.expire_all()
    stored = session.execute(
        select(Order.external_id, Order.amount_eur, Order.source, Order.organisation_id).order_by(
            Order.external_id
        )
    ).all()
    assert [(e, str(amt), s) for e, amt, s, _ in stored] == [
        ("A-1", "1234.50", BILLING),
        ("A-2", "99.90", BILLING),
    ]
    assert stored[0][3] is not None and stored[1][3] is None
    metrics = session.get(PersonMetrics, person.id)
    assert (metrics.order_count, str(metrics.order_total_eur)) == (2, "1334.40")
    assert metrics.last_newsletter_open_at is not None
    assert count(session, Activity) == 1 and count(session, ConsentEvent) == 2
    # A dated grant and a withdrawal on the same day: the withdrawal wins (consent.moment_of).
    state = session.get(ConsentState, (person.id, "newsletter"))
    assert state.status == "withdrawn"
    # A corrected order: changed in place, found by its source's own id.
    write(
        orders,
        [["A-2", "", "+358401234567", "16.1.2026", "Support", "199", "paid", ""]],
        header=[
            "order_id",
            "email",
            "phone",
            "ordered_on",
            "product",
            "amount_eur",
            "status",
            "organisation_business_id",
        ],
    )
    changed = do_import(session, officer, "orders", orders, source=BILLING)
    assert (changed.new, changed.updated) == (0, 1)
    session.expire_all()
    assert str(session.get(PersonMetrics, person.id).order_total_eur) == "1433.50"


# --- the file's header and the source ---


def test_headers_and_sources_are_checked_before_any_row(session, officer, tmp_path):
    cases = [
        (
            [*PERSON_HEADER, "shoe_size"],
            {},
            "columns the persons import does not know: 'shoe_size'",
        ),
        (PERSON_HEADER[1:], {}, "lacks the required column first_name"),
        (["first_name", "last_name", "relationship"], {}, "needs a column email or phone"),
    ]
    for header, _, message in cases:
        path = write(tmp_path / "h.csv", [], header)
        with pytest.raises(plan.ImportRefused, match=message):
            do_import(session, officer, "persons", path)
    path = write(tmp_path / "p.csv", [person_row()])
    for name, message in (
        (None, "Say which of the notice's regular sources"),
        ("customer", "could be several sources"),
        ("the internet", "is not one of the notice's regular sources"),
    ):
        with pytest.raises(plan.ImportRefused, match=message):
            do_import(session, officer, "persons", path, source=name)
    assert plan.resolve_source("persons", "  PARTNERS ") == PARTNERS
    assert count(session, ImportRun) == 0


def test_a_mapping_names_the_columns_that_differ(session, officer, tmp_path):
    header = ["Etunimi", "Sukunimi", "Sähköposti", "Suhde", "Muistiinpano"]
    path = write(
        tmp_path / "p.csv", [["Aino", "Aalto", "a@yritys.example.fi", "service_user", "x"]], header
    )
    preview = plan.preview("persons", path)
    assert preview.unmatched == header
    mapping = {
        "Etunimi": "first_name",
        "Sukunimi": "last_name",
        "Sähköposti": "email",
        "Suhde": "relationship",
        "Muistiinpano": None,
    }
    result = do_import(session, officer, "persons", path, mapping=mapping)
    assert result.new == 1 and result.ignored_columns == ["Muistiinpano"]


def test_an_import_runs_as_a_named_account(session, tmp_path):
    path = write(tmp_path / "p.csv", [person_row()])
    with pytest.raises(plan.ImportRefused, match="named dashboard account"):
        do_import(session, Actor.command_line(), "persons", path)
    with pytest.raises(PermissionDenied):
        do_import(session, Actor(None, "m", Role.MARKETING), "persons", path)


# --- text stored literally ---


def test_text_is_stored_as_given_and_neutralised_only_in_the_report(session, officer, tmp_path):
    path = write(
        tmp_path / "p.csv",
        [
            person_row(
                first_name='=HYPERLINK("http://x.example","y")', email="a@yritys.example.fi"
            ),
            person_row(first_name="@SUM(1+1)", email="b@yritys.example.fi", country="=1+1"),
        ],
    )
    do_import(session, officer, "persons", path, skip_invalid=True)
    assert session.scalar(select(Person.first_name)) == '=HYPERLINK("http://x.example","y")'
    [reject] = rejects_of(path)
    assert reject[:3] == ["3", "country", "'=1+1"]


# --- Art. 14 ---


def test_persons_from_a_third_party_are_listed_until_told(session, officer, tmp_path):
    third = write(tmp_path / "third.csv", [person_row(email="kolmas@yritys.example.fi", phone="")])
    own = write(tmp_path / "own.csv", [person_row(email="oma@yritys.example.fi", phone="")])
    do_import(session, officer, "persons", third, source=PARTNERS)
    do_import(session, officer, "persons", own, source=SERVICE)
    waiting = informing.persons_to_inform(session, officer)
    assert [p.name for p in waiting] == ["Aino Äijälä"]
    [p] = waiting
    assert p.source == PARTNERS and p.import_run_id is not None
    day = p.obtained_at.astimezone(settings.REGISTRY_TZ).date()
    assert p.inform_by == deadlines.add_months(day, 1)
    assert informing.summary(session, officer) == informing.InformingSummary(1, 0)
    informing.record_informed(session, officer, p.person_id)
    assert informing.persons_to_inform(session, officer) == []
    # New data from a third party: to be told again.
    write(third, [person_row(email="kolmas@yritys.example.fi", phone="", city="Vaasa")])
    do_import(session, officer, "persons", third, source=PARTNERS)
    assert [w.person_id for w in informing.persons_to_inform(session, officer)] == [p.person_id]
    with pytest.raises(ValidationError, match="future"):
        informing.record_informed(
            session, officer, p.person_id, dt.date.today() + dt.timedelta(days=2)
        )


def test_a_person_past_the_month_is_overdue(session, officer):
    long_ago = utcnow() - dt.timedelta(days=45)
    make_person(session, source=PARTNERS, created_at=long_ago, updated_at=long_ago)
    make_person(session, email="x@yritys.example.fi", source=SERVICE)
    assert informing.summary(session, officer) == informing.InformingSummary(1, 1)
    [p] = informing.persons_to_inform(session, officer)
    assert p.overdue(deadlines.today())


# --- the command line ---


def test_the_command_line_imports_and_exits_2_when_refused(
    database_url, session, officer, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv(db.ENV_VAR, database_url)
    ascii_only = {"last_name": "Aalto", "street_address": "Katu 4", "position": "CEO"}
    path = write(
        tmp_path / "persons.csv",
        [
            person_row(email="a@yritys.example.fi", phone="", **ascii_only),
            person_row(email="bad", phone="", **ascii_only),
        ],
    )
    base = ["import", "persons", str(path), "--source", "partners"]
    assert cli.main([*base, "--user", "nobody"]) == 2
    assert "No active account named 'nobody'" in capsys.readouterr().err
    assert cli.main([*base, "--user", officer.username, "--dry-run"]) == 2
    out = capsys.readouterr().out
    assert "persons.csv: CSV, UTF-8 (plain ASCII), comma-delimited" in out
    assert "Dry run, nothing written: 1 new" in out
    assert cli.main([*base, "--user", officer.username]) == 2
    assert "Nothing was written: 1 of 2 rows are invalid" in capsys.readouterr().out
    assert cli.main([*base, "--user", officer.username, "--skip-invalid"]) == 0
    out = capsys.readouterr().out
    assert "done: 1 new" in out and "persons.rejects.csv" in out
    assert cli.main(base) == 2  # --user missing: one line, no usage dump
    assert "the following arguments are required: --user" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "import",
                "persons",
                str(tmp_path / "none.csv"),
                "--user",
                officer.username,
                "--source",
                "partners",
            ]
        )
        == 2
    )
    assert capsys.readouterr().err.strip().endswith("none.csv.")


def test_the_declaration_names_only_regular_sources_as_the_persons_own():
    import tomllib

    from registry import notice

    data = tomllib.loads(settings.DECLARATION_PATH.read_text(encoding="utf-8"))
    assert set(notice.parse(data).sources_from_the_person) <= set(data["sources"]["regular"])
    data["sources"]["from_the_person"] = ["The internet"]
    with pytest.raises(notice.DeclarationError, match=r"^sources\.from_the_person: 'The internet'"):
        notice.parse(data)
