"""Finding a person by name, email, phone or username (registry.persons.search)."""

import pytest

from registry import persons
from registry.errors import PermissionDenied
from registry.models import Organisation, Person
from registry.vocabulary import Role


@pytest.fixture
def people(session):
    org = Organisation(
        name="Turun Ohjelmisto Oy",
        business_id="1234567-8",
        industry="Software",
        country="FI",
        city="Turku",
    )
    session.add(org)
    session.flush()
    rows = [
        Person(
            first_name="Aino",
            last_name="Virtanen",
            email="aino.virtanen@example.fi",
            phone="+358401234567",
            username="aino_v",
            organisation_id=org.id,
            relationship="service_user",
            source="test",
            country="FI",
        ),
        Person(
            first_name="Matti",
            last_name="Virtanen",
            email="matti@example.fi",
            phone="+46701234567",
            username="avirta",
            relationship="customer_contact",
            source="test",
            country="SE",
        ),
        Person(
            first_name="Virtanen",
            last_name="Korhonen",
            email="vk@example.com",
            relationship="other_connection",
            source="test",
            country="FI",
        ),
        Person(
            first_name="Per%cent",
            last_name="Under_score",
            email="odd@example.com",
            relationship="marketing_opt_in",
            source="test",
            country="FI",
        ),
    ]
    session.add_all(rows)
    session.commit()
    return {p.first_name: p.id for p in rows}


def names(matches):
    return [m.name for m in matches]


def test_one_word_matches_last_first_email_and_username_prefixes(session, actors, people):
    found = names(persons.search(session, actors[Role.COMPLIANCE], "virt"))
    # Sorted by last name, then first name.
    assert found == ["Virtanen Korhonen", "Aino Virtanen", "Matti Virtanen"]
    assert names(persons.search(session, actors[Role.MARKETING], "AVIRTA")) == ["Matti Virtanen"]


def test_two_words_match_first_and_last_name_in_either_order(session, actors, people):
    actor = actors[Role.COMPLIANCE]
    assert names(persons.search(session, actor, "aino vir")) == ["Aino Virtanen"]
    assert names(persons.search(session, actor, "virtanen  aino")) == ["Aino Virtanen"]


def test_email_and_phone(session, actors, people):
    actor = actors[Role.COMPLIANCE]
    assert names(persons.search(session, actor, "matti@")) == ["Matti Virtanen"]
    assert names(persons.search(session, actor, "+4670")) == ["Matti Virtanen"]
    # A Finnish number typed the national way finds the E.164 one.
    assert names(persons.search(session, actor, "0401234")) == ["Aino Virtanen"]


def test_wildcards_typed_by_a_user_are_literal(session, actors, people):
    actor = actors[Role.COMPLIANCE]
    assert names(persons.search(session, actor, "per%")) == ["Per%cent Under_score"]
    assert persons.search(session, actor, "p%") == []
    assert names(persons.search(session, actor, "aino_")) == ["Aino Virtanen"]
    assert persons.search(session, actor, "ain_v") == []


def test_short_or_hostile_text_finds_nothing_and_breaks_nothing(session, actors, people):
    actor = actors[Role.COMPLIANCE]
    assert persons.search(session, actor, " a ") == []
    assert persons.search(session, actor, "'; DROP TABLE person; --") == []
    assert len(persons.search(session, actor, "virt")) == 3


def test_label_tells_namesakes_apart(session, actors, people):
    [aino] = persons.search(session, actors[Role.COMPLIANCE], "aino vir")
    assert aino.label == "Aino Virtanen · aino.virtanen@example.fi · Turun Ohjelmisto Oy"


def test_administrators_may_not_search_persons(session, actors, people):
    with pytest.raises(PermissionDenied, match="administrator role may not"):
        persons.search(session, actors[Role.ADMINISTRATOR], "virt")
