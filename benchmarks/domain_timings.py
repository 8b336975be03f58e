"""The two heavy operations of benchmarks/run.py, timed through the domain functions.

- the export of the built-in segment whose newsletter list is nearest 100,000 persons,
  streamed to a file (the disclosure it records is removed again, so runs compare alike);
- the Art. 15 access report for the person with the most activity rows.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, func, select

from registry import db, deadlines, export
from registry.models import (
    Activity,
    AppUser,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    utcnow,
)
from registry.permissions import Actor
from registry.report import build as report_build
from registry.segments import counting
from registry.vocabulary import Channel, RequestChannel, RequestKind, RequestStatus


def _actor(session, username: str) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.of(session.scalar(select(AppUser).where(AppUser.username == username)))


def time_export(sessions) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        actor = _actor(s, "marketing")
        rows = counting.builtin_overview(s, actor, deadlines.today())
        target = min(rows, key=lambda r: abs(r.targetable[Channel.NEWSLETTER] - 100_000))
        recipient = export.find_recipient(s, actor, "Emerald Mailworks Ltd")
    with tempfile.TemporaryDirectory() as directory, sessions() as s:
        with (Path(directory) / "list.csv").open("w", newline="") as out:
            started = time.perf_counter()
            result = export.export_target_list(
                s, actor, target.segment, Channel.NEWSLETTER, recipient, "Benchmark", out
            )
            elapsed = time.perf_counter() - started
        s.execute(
            delete(DisclosedPerson).where(DisclosedPerson.disclosure_id == result.disclosure_id)
        )
        s.execute(delete(Disclosure).where(Disclosure.id == result.disclosure_id))
        s.commit()
    return elapsed, f"{target.segment.label}, newsletter, {result.rows:,} rows streamed"


def time_access_report(sessions) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        actor = _actor(s, "compliance")
        busiest = s.execute(
            select(Activity.person_id, func.count())
            .group_by(Activity.person_id)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        assert busiest is not None
        person_id, activities = busiest
        # An unsaved request: build() reads it, and nothing is written.
        request = DataSubjectRequest(
            id=0,
            kind=RequestKind.ACCESS,
            channel=RequestChannel.EMAIL,
            received_on=deadlines.today(),
            requester_name="Benchmark",
            requester_contact="benchmark@example.fi",
            person_id=person_id,
            status=RequestStatus.VERIFIED,
            due_on=deadlines.today() + dt.timedelta(days=30),
            reply_language="fi",
        )
        started = time.perf_counter()
        report, head = report_build.build(s, actor, request, utcnow(), final=False)
        html, json_text = report_build.to_html(report, head), report_build.to_json(report)
        elapsed = time.perf_counter() - started
    return elapsed, (
        f"person {person_id} ({activities} activities, {report.record_count} records; "
        f"HTML {len(html) // 1024} KiB, JSON {len(json_text) // 1024} KiB)"
    )


def measure(url: str) -> list[tuple[str, float, str]]:
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    try:
        export_s, export_detail = time_export(sessions)
        report_s, report_detail = time_access_report(sessions)
    finally:
        engine.dispose()
    return [
        ("segment export (target 5 s)", export_s, export_detail),
        ("access report, built and rendered", report_s, report_detail),
    ]
