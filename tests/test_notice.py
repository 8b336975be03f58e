"""The declaration check: the live data held against data/registry.toml, and Art. 13/14 gaps."""

import dataclasses
import datetime as dt

from registry import declaration_check, disclosures
from registry.models import Activity, Segment
from registry.notice import declaration
from registry.vocabulary import Role
from tests import factories


def person(session, relationship="customer_contact", **fields):
    return factories.person(session, country="FI", relationship=relationship, **fields)


def disclose(session, actor, name, country, mechanism, kind="processor", categories=("basic",)):
    r = factories.recipient(session, name, kind=kind, country=country, transfer_mechanism=mechanism)
    p = person(session)
    disclosures.add_disclosure(
        session,
        actor,
        r.id,
        "Hosting",
        list(categories),
        "contract",
        [p.id],
        disclosed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )
    session.commit()


def test_declared_recipients_and_countries_raise_nothing(session, actors):
    compliance = actors[Role.COMPLIANCE]
    disclose(session, compliance, "Mailer Oy", "FI", "not_needed")
    disclose(session, compliance, "Dealer AB", "SE", "not_needed", kind="dealer")
    disclose(session, compliance, "Shield Corp", "US", "privacy_shield")
    disclose(session, compliance, "Clauses Corp", "US", "scc_2021")
    check = declaration_check.check(session, actors[Role.MARKETING], declaration())
    assert check.recipients == check.countries == check.safeguards == []


def test_an_undeclared_country_is_found(session, actors):
    compliance = actors[Role.COMPLIANCE]
    disclose(session, compliance, "Mumbai Support Pvt", "IN", "scc_2021")
    disclose(session, compliance, "Zurich Analytics AG", "CH", "adequacy", kind="subcontractor")
    check = declaration_check.check(session, actors[Role.ADMINISTRATOR], declaration())
    assert [f.subject for f in check.countries] == ["CH", "IN"]
    india = check.countries[1]
    assert "India is outside the EU/EEA" in india.text and india.article == "Art. 13(1)(f)"
    assert [f.subject for f in check.recipients] == ["Mumbai Support Pvt", "Zurich Analytics AG"]
    assert "received data once in India" in check.recipients[0].text
    assert "only in Finland, Sweden, Estonia, Germany" in check.recipients[1].text
    # The declared "scc" covers the 2021 clauses; adequacy is a safeguard it does not name.
    assert [f.subject for f in check.safeguards] == ["Zurich Analytics AG"]


def test_an_undeclared_kind_and_safeguard_are_found(session, actors):
    compliance = actors[Role.COMPLIANCE]
    disclose(session, compliance, "Partner LLC", "US", "dpf", kind="partner")
    check = declaration_check.check(session, compliance, declaration())
    assert "names no partner recipients" in check.recipients[0].text
    assert "EU-US Data Privacy Framework certification" in check.safeguards[0].text
    assert check.countries == []


def test_held_categories_and_groups_the_declaration_does_not_list(session, actors):
    decl = declaration()
    narrow = dataclasses.replace(
        decl,
        data_categories=tuple(c for c in decl.data_categories if c.key == "basic"),
        data_subjects=tuple(s for s in decl.data_subjects if s.key != "service_user"),
    )
    viewer = actors[Role.MARKETING]
    assert declaration_check.check(session, viewer, narrow).data_categories == []
    p = person(session, "service_user", username="aino")
    session.add(
        Activity(person_id=p.id, kind="app_use", occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    )
    session.commit()
    check = declaration_check.check(session, viewer, narrow)
    assert [f.subject for f in check.data_categories] == ["service_user", "transactions"]
    assert "Service-user data" in check.data_categories[0].text
    assert [f.subject for f in check.data_subjects] == ["service_user"]
    assert "1 person is held as service user" in check.data_subjects[0].text
    # The shipped declaration lists all of them.
    full = declaration_check.check(session, viewer, decl)
    assert full.data_categories == full.data_subjects == [] and full.live_data_findings == 0


def test_missing_items_come_from_the_gaps_and_from_the_fields(session, actors):
    decl = declaration()
    viewer = actors[Role.MARKETING]
    shipped = declaration_check.check(session, viewer, decl).missing_items
    assert [f.subject for f in shipped if f.declared] == [g.key for g in decl.gaps]
    # Beside the recorded gaps: what the registry relies on and the notice omits.
    assert [f.subject for f in shipped if not f.declared] == [
        "legal_basis:customer_relationship",
        "legal_basis:profiling",
        "legal_basis:communications",
        "legitimate_interests",
    ]
    # Without its recorded gaps the fields still show what Art. 13 requires and is missing.
    found = declaration_check.check(session, viewer, dataclasses.replace(decl, gaps=()))
    by_key = {f.subject: f for f in found.missing_items}
    # The retention schedule is declared, so only the notice's own gap asks for it.
    assert set(by_key) == {
        "legal_basis:customer_relationship",
        "legal_basis:profiling",
        "legal_basis:communications",
        "legitimate_interests",
        "legal_bases",
        "complaint_to_authority",
        "rights",
        "privacy_shield",
        "scc_version",
        "requests_in_writing",
    }
    assert "in any form" in by_key["requests_in_writing"].text
    assert not any(f.declared for f in found.missing_items)
    assert "Data Protection Ombudsman" in by_key["complaint_to_authority"].text
    assert "right to erasure" in by_key["rights"].text
    # A declaration that states the complaint right is not asked for it.
    fixed = dataclasses.replace(
        decl,
        gaps=(),
        rights={**decl.rights, "complaint_to_authority": True},
    )
    keys = {f.subject for f in declaration_check.check(session, viewer, fixed).missing_items}
    assert "complaint_to_authority" not in keys


def purposes_with(decl, **by_key):
    """The declaration with the purposes' fields changed, per purpose key."""
    return tuple(dataclasses.replace(p, **by_key.get(p.key, {})) for p in decl.purposes)


def test_the_check_names_the_bases_and_interests_relied_on_that_the_notice_omits(session, actors):
    decl = declaration()
    viewer = actors[Role.MARKETING]
    found = {f.subject: f for f in declaration_check.check(session, viewer, decl).missing_items}
    assert found["legal_basis:profiling"].text == (
        "The purpose “profiling” states no legal basis; the registry relies on Legitimate "
        "interests, Art. 6(1)(f) for it ([marketing])."
    )
    assert "Consent, Art. 6(1)(a) and Legitimate interests" in (
        found["legal_basis:communications"].text
    )
    interests = found["legitimate_interests"]
    assert interests.article == "Art. 13(1)(d)"
    assert "marketing with an opt-out: phone, post" in interests.text
    assert "profiling of persons never asked" in interests.text
    # Stating consent alone for marketing leaves the legitimate interests relied on unsaid.
    partly = dataclasses.replace(
        decl, purposes=purposes_with(decl, communications={"legal_bases": ("consent",)})
    )
    found = {f.subject: f for f in declaration_check.check(session, viewer, partly).missing_items}
    assert "states Consent, Art. 6(1)(a) but not Legitimate interests" in (
        found["legal_basis:communications"].text
    )
    # Every basis relied on stated, and the interests pursued: nothing of the kind is left.
    stated = dataclasses.replace(
        decl,
        purposes=purposes_with(
            decl,
            customer_relationship={"legal_bases": ("contract",)},
            profiling={"legal_bases": ("legitimate_interests",)},
            communications={"legal_bases": ("consent", "legitimate_interests")},
        ),
        legitimate_interests="Marketing our services to our customers' staff.",
    )
    keys = {f.subject for f in declaration_check.check(session, viewer, stated).missing_items}
    assert not {k for k in keys if k.startswith("legal_basis") or k == "legitimate_interests"}
    # A stricter declaration (consent only, profiling on consent) relies on no interests.
    strict = dataclasses.replace(
        decl,
        marketing=dataclasses.replace(
            decl.marketing,
            bases={k: ("consent",) for k in decl.marketing.bases},
            profiling_basis="consent",
        ),
    )
    keys = {f.subject for f in declaration_check.check(session, viewer, strict).missing_items}
    assert "legitimate_interests" not in keys


def test_the_check_flags_profiled_data_the_logic_does_not_name(session, actors):
    decl = declaration()
    viewer = actors[Role.MARKETING]
    session.add(
        Segment(
            name="Uusimaa",
            definition=[{"field": "region", "op": "in", "value": ["uusimaa"]}],
            owner_id=viewer.user_id,
        )
    )
    session.commit()
    shipped = {f.subject for f in declaration_check.check(session, viewer, decl).missing_items}
    assert not any(s.startswith("profiling_uses") for s in shipped)
    narrow = dataclasses.replace(
        decl, purposes=purposes_with(decl, profiling={"profiling_uses": ("orders",)})
    )
    found = {f.subject: f for f in declaration_check.check(session, viewer, narrow).missing_items}
    assert found["profiling_uses:location"].text == (
        "The profiling logic stated does not say it uses location data, which the declaration "
        "profiles by ([marketing.profiling]); 1 saved segment uses it."
    )
    assert found["profiling_uses:behaviour"].text.endswith("([marketing.profiling]).")
    assert "profiling_uses:orders" not in found
