"""The declared marketing bases (registry.toml [marketing]) load; a bad one names its key."""

import re

import pytest

from registry import notice
from tests.test_declaration import shipped


def test_the_shipped_bases_follow_act_917_2014():
    m = notice.load().marketing
    # s. 202: work-role contacts by email unless they objected; consent tried first.
    assert m.bases_for("customer_contact", "email") == ("consent", "business_opt_out")
    # s. 200(2): own customers' similar products; SMS is a channel of its own.
    assert "soft_opt_in" in m.bases_for("service_user", "sms")
    # Post and person-made calls: legitimate interests with an opt-out.
    assert "legitimate_interests" in m.bases_for("other_connection", "post")
    assert m.bases_for("marketing_opt_in", "email") == ("consent",)
    assert m.sharing_recipients and all(name in m.sharing_text for name in m.sharing_recipients)
    assert set(m.profiling_filters) == {"orders", "behaviour", "location"}


def _bases(data: dict) -> dict:
    return data["marketing"]["bases"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: _bases(d).update(customers={"email": ["consent"]}),
            "marketing.bases.customers: unknown relationship",
        ),
        (
            lambda d: _bases(d)["service_user"].update(fax=["consent"]),
            "marketing.bases.service_user.fax: unknown channel",
        ),
        (
            lambda d: _bases(d)["service_user"].update(email=["assumed"]),
            "marketing.bases.service_user.email: 'assumed' is not a marketing basis",
        ),
        (
            lambda d: _bases(d)["other_connection"].update(email=["legitimate_interests"]),
            "marketing.bases.other_connection.email: 'legitimate_interests' does not cover "
            "the email channel",
        ),
        (
            lambda d: _bases(d)["other_connection"].update(post=["soft_opt_in"]),
            "marketing.bases.other_connection.post: 'soft_opt_in' does not cover the post",
        ),
        (
            lambda d: d["marketing"].update(opt_out_offered=False),
            "marketing.bases.service_user.email: soft_opt_in needs opt_out_offered = true",
        ),
        (
            lambda d: d["marketing"].update(soft_opt_in_months=0),
            "marketing.soft_opt_in_months: expected a number of months",
        ),
        (
            lambda d: d["marketing"]["sharing"].update(recipients=["Unnamed Dealer Oy"]),
            "marketing.sharing.recipients: 'Unnamed Dealer Oy' is not named in the consent text",
        ),
        (
            lambda d: d["marketing"]["sharing"].update(purpose="newsletter"),
            "marketing.sharing.purpose: 'newsletter' is not a sharing purpose",
        ),
        (
            lambda d: d["marketing"]["profiling"].update(filters=["orders", "moods"]),
            "marketing.profiling.filters: unknown filter kind 'moods'",
        ),
        (
            lambda d: d["marketing"]["profiling"].update(basis="contract"),
            "marketing.profiling.basis: 'contract' is not a profiling basis",
        ),
        (lambda d: d.pop("marketing"), "marketing: missing"),
    ],
)
def test_a_bad_marketing_declaration_names_the_key(mutate, message):
    data = shipped()
    mutate(data)
    with pytest.raises(notice.DeclarationError, match=re.escape(message)):
        notice.parse(data)


def test_a_stricter_declaration_is_allowed():
    data = shipped()
    for row in _bases(data).values():
        for channel in row:
            row[channel] = ["consent"]
    m = notice.parse(data).marketing
    assert {b for bases in m.bases.values() for b in bases} == {"consent"}
