"""Letters to the data subject, rendered from Jinja2 templates with autoescaping.

Three letters: the access report (Art. 15), the notice of an extension (Art. 12(3)) and
the decision not to act (Art. 12(4)). Each is written in the request's reply language:
words from registry.report.language, the declaration's texts from declaration_text. Every
value from the database reaches the page as text: autoescaping turns markup into
characters, and nothing is read as Markdown or a formula.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from registry.notice import Party, declaration
from registry.report.contents import AccessReport, NamedRecipient
from registry.report.declaration_text import declaration_text
from registry.report.language import Words, words
from registry.vocabulary import RecipientScope

# The rights of Art. 15(1)(e), in the order the letter lists them (words in right.*).
RIGHTS = ("rectification", "erasure", "restriction", "objection", "withdrawal")


@pass_context
def _label(context: Context, code: object, group: str) -> str:
    return context["t"].label(group, code)


@pass_context
def _country(context: Context, code: str) -> str:
    return context["t"].country(code)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("registry.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = _label
    env.filters["country"] = _country
    return env


ENVIRONMENT = _environment()


def safeguard_text(
    t: Words, mechanism: str | None, agreed: dt.date | None, from_register: bool
) -> str:
    """A transfer basis in words: the mechanism, its agreement date, and how it is known."""
    if mechanism is None:
        return t("text.basis_not_recorded")
    text = t.label("safeguard", mechanism)
    if agreed is not None:
        text += f", {t('text.agreement', date=t.date(agreed))}"
    if from_register:
        text += f" ({t('text.basis_from_register')})"
    return text


def why_named(t: Words, r: NamedRecipient) -> str:
    """Why a recipient holds the person's data: its scope, and the disclosures to it."""
    reasons = []
    if r.scope == RecipientScope.ALL_PERSONS:
        reasons.append(t("text.why_all_persons"))
    elif r.scope == RecipientScope.CATEGORIES:
        what = [t.label("category", c) for c in r.scope_matches] + [
            t.label("relationship_scope", x) for x in r.relationship_matches
        ]
        reasons.append(t("text.why_categories", what=t.join(what)))
    if r.disclosed_on:
        dates = t.join([t.date(d) for d in r.disclosed_on])
        reasons.append(t("text.why_disclosed", dates=dates))
    if not r.active:
        reasons.append(t("text.former_recipient"))
    return "; ".join(reasons)


def _complaint(t: Words, authority_name: str) -> str:
    decl = declaration()
    authority = decl.supervisory_authority
    address = ", ".join(authority.postal_address) or authority.address
    return t(
        "text.complaint",
        authority=authority_name,
        address=address,
        email=authority.email,
        website=decl.supervisory_authority_website,
    )


@dataclass(frozen=True)
class LetterHead:
    """What every letter's frame needs: who writes to whom, when, about which request."""

    language: str
    reference: str
    date: dt.datetime
    received_on: dt.date | None
    requester_name: str
    address_lines: tuple[str, ...]
    email_to: str | None
    signer: str
    draft: bool = False
    abroad: bool = False  # the address is outside the controller's country


def _frame(head: LetterHead, doctype: str) -> dict[str, Any]:
    t = words(head.language)
    decl = declaration()
    text = declaration_text(head.language)
    controller: Party = decl.controller
    return {
        "t": t,
        "title": t(f"letter.page_title_{doctype}"),
        "doctype": t(f"letter.doctype_{doctype}"),
        "article": t(f"letter.article_{doctype}"),
        "subject": t(f"letter.subject_{doctype}"),
        "reference": head.reference,
        "date": head.date,
        "received_on": head.received_on,
        "requester_name": head.requester_name,
        "address_lines": head.address_lines,
        "email_to": head.email_to,
        # The sender's country is written when the letter goes abroad.
        "abroad": head.abroad,
        "controller": controller,
        "contact": decl.contact,
        "registry_name": text.registry_name,
        "signer": head.signer,
        "draft": head.draft,
        "authority_name": text.supervisory_authority,
        "authority": decl.supervisory_authority,
        "authority_website": decl.supervisory_authority_website,
    }


def access_report_html(report: AccessReport, head: LetterHead) -> str:
    """The report as a letter to the person, in the report's language."""
    context = _frame(head, "access")
    t: Words = context["t"]
    context.update(
        r=report,
        value=lambda f: field_value(t, f.value, f.kind),
        safeguard=lambda m, a, reg: safeguard_text(t, m, a, reg),
        why=lambda x: why_named(t, x),
        rights=RIGHTS,
        complaint=_complaint(t, context["authority_name"]),
    )
    return ENVIRONMENT.get_template("access_report.html.j2").render(context)


def extension_html(head: LetterHead, *, kind: str, due_on: dt.date, reason: str) -> str:
    """Art. 12(3): the extension, its new time limit and its reasons."""
    context = _frame(head, "extension")
    context.update(kind=kind, due_on=due_on, reason=reason)
    return ENVIRONMENT.get_template("extension.html.j2").render(context)


def refusal_html(head: LetterHead, *, kind: str, due_on: dt.date, reason: str, late: bool) -> str:
    """Art. 12(4): the reasons, the right to complain and the right to a judicial remedy."""
    context = _frame(head, "refusal")
    context.update(kind=kind, due_on=due_on, reason=reason, late=late)
    return ENVIRONMENT.get_template("refusal.html.j2").render(context)


def field_value(t: Words, value: object, kind: str) -> str:
    """One Field of the report in words."""
    if value is None or value == "":
        return ""
    match kind:
        case "date":
            return t.date(value)  # type: ignore[arg-type]
        case "moment":
            return t.when(value)  # type: ignore[arg-type]
        case "country":
            return t.country(str(value))
        case "gender":
            return t.label("gender", value, free_text=True)
        case "password":
            return t("text.password_stored" if value == "stored" else "text.password_none")
        case "organisation_kind":
            return t.label("organisation_kind", value, free_text=True)
        case "number":
            return t.number(value)  # type: ignore[arg-type]
        case "money":
            return t.money(value)  # type: ignore[arg-type]
    return str(value)
