"""The property (issue 14): after any sequence of consent events, objections, erasures and
re-additions of an erased address, no export ever holds a suppressed person."""

from __future__ import annotations

import datetime as dt
import io
import uuid

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from registry import consent, erasure, export, suppression
from registry.models import DisclosedPerson, Person
from registry.vocabulary import Channel, ConsentSource, Purpose, Role
from tests import factories
from tests.test_segments_export import choice_of, delivering, exported_rows

T0 = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)
NEWSLETTER = Purpose.NEWSLETTER.value

steps = st.lists(
    st.tuples(
        st.sampled_from(["grant", "withdraw", "object", "erase", "re_add"]),
        st.integers(0, 3),  # which of four persons (by their first address)
    ),
    max_size=12,
)


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=steps, channel=st.sampled_from([Channel.NEWSLETTER, Channel.PHONE]))
def test_no_export_holds_a_suppressed_person(session, actors, script, channel):
    officer, marketing = actors[Role.COMPLIANCE], actors[Role.MARKETING]
    tag = uuid.uuid4().hex
    secret = suppression.key()
    emails = [f"p{i}.{tag}@example.fi" for i in range(4)]
    phones = [f"+3584{int(tag[:6], 16) % 10**6:06d}{i}" for i in range(4)]
    rows: dict[int, list[int]] = {}  # address index -> person rows holding it, newest last

    def add(i: int) -> int:
        p = factories.person(
            session, f"P{i}", tag[:8], email=emails[i], phone=phones[i], position=tag,
            commit=False,
        )  # fmt: skip
        rows.setdefault(i, []).append(p.id)
        return p.id

    for i in range(4):
        add(i)
    for hour, (action, i) in enumerate(script):
        pid = rows[i][-1]
        if session.get(Person, pid).erased_at is not None and action != "re_add":
            continue
        at = T0 + dt.timedelta(hours=hour)
        if action == "erase":
            erasure.apply(session, pid, now=at, secret=secret)
        elif action == "re_add":
            # A back door (a direct insert and an old event), not a registry write path:
            # the export's last guard must still hold the address back.
            factories.imported_consent(
                session, add(i), NEWSLETTER, "granted", at, ConsentSource.APP, "old form"
            )
            factories.imported_consent(
                session, rows[i][-1], Purpose.PHONE.value, "granted", at, ConsentSource.APP, "x"
            )
        elif action == "object":
            consent.add_objection(session, officer, pid, ConsentSource.LETTER, "letter", at)
        else:
            status = "granted" if action == "grant" else "withdrawn"
            if status == "granted" and suppression.is_suppressed(
                session, email=emails[i], phone=phones[i]
            ):
                continue  # refused through the registry; covered in test_erasure
            # The officer records the person's own renewed grant, past any earlier objection
            # (Art. 21(3): only compliance may, from the person, with evidence).
            consent.add_consent(
                session, officer, pid, [NEWSLETTER, Purpose.PHONE.value], status,
                ConsentSource.EMAIL, "form", at, override_objection=True,
            )  # fmt: skip
    session.commit()
    out = io.StringIO()
    result = export.export_target_list(
        session,
        marketing,
        choice_of([{"field": "position", "op": "in", "value": [tag]}]),
        channel,
        delivering(session, channel).id,
        "News",
        out,
    )
    guard = suppression.Guard(session)
    listed = exported_rows(out)
    contact = "phone" if channel == Channel.PHONE else "email"
    for row in listed:
        email = row[contact] if contact == "email" else None
        phone = row[contact] if contact == "phone" else None
        assert not guard.holds(email, phone), row
    disclosed = session.scalars(
        select(Person).join(DisclosedPerson, DisclosedPerson.person_id == Person.id).where(
            DisclosedPerson.disclosure_id == result.disclosure_id
        )
    ).all()  # fmt: skip
    for person in disclosed:
        assert person.erased_at is None
        assert not guard.holds(person.email, person.phone)
    assert result.rows == len(listed) == len(disclosed)
