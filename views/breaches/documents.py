"""A breach's documents: the notification, the letters and the letters list."""

from __future__ import annotations

import io

import streamlit as st

from registry import breaches
from registry.breaches import documents as breach_documents
from registry.breaches import letters_list
from registry.breaches.affected import AffectedCounts
from registry.errors import ValidationError
from registry.models import Breach
from registry.permissions import Actor
from registry.vocabulary import (
    LETTER_LANGUAGE_LABELS,
)
from views import widgets
from views.breaches.common import (
    LANGUAGES,
    LETTER,
    LETTERS,
    done,
    errors_of,
    mailing_processors,
    set_errors,
    ss,
)


def show(
    actor: Actor, breach: Breach, row: breaches.RegisterRow, counts: AffectedCounts | None
) -> None:
    """The notification and letters to download, and the letters list for the processor."""
    st.markdown("**Notification to the Data Protection Ombudsman (Art. 33(3))**")
    if counts is None:
        st.caption(
            "Count who was affected first to put the numbers in it; without them it "
            "says they follow in phases (Art. 33(4))."
        )
    columns = st.columns(3)
    with widgets.session() as s:
        for column, language in zip(columns, LANGUAGES, strict=True):
            column.download_button(
                f"Notification ({LETTER_LANGUAGE_LABELS[language]})",
                data=breach_documents.notification(s, actor, breach.id, language, counts),
                file_name=f"{row.reference.lower()}-notification-{language}.html",
                mime="text/html",
                icon=":material/download:",
                on_click="ignore",
                key=f"breaches_notification_{language}",
            )
        st.markdown("**The letter to the persons (Art. 34)**")
        st.caption(
            "The letter the mailing processor sends with the letters list, in each "
            "language; or one person's letter, with their name and address."
        )
        columns = st.columns(3)
        for column, language in zip(columns, LANGUAGES, strict=True):
            column.download_button(
                f"Letter ({LETTER_LANGUAGE_LABELS[language]})",
                data=breach_documents.letter(s, actor, breach.id, language),
                file_name=f"{row.reference.lower()}-letter-{language}.html",
                mime="text/html",
                icon=":material/download:",
                on_click="ignore",
                key=f"breaches_letter_{language}",
            )
    key = f"breaches_one_letter_{breach.id}"
    errors = errors_of(key)
    with st.form(key, enter_to_submit=False):
        left, right = st.columns(2)
        person_text = left.text_input(
            "Person #", help="An affected person's id.", key=f"{key}_person"
        )
        with left:
            widgets.field_error(errors, "person")
        language = right.selectbox(
            "Language",
            ["auto", *LANGUAGES],
            key=f"{key}_language",
            format_func=lambda v: (
                "The person's (by country)" if v == "auto" else LETTER_LANGUAGE_LABELS[v]
            ),
        )
        if st.form_submit_button("Prepare the person's letter"):
            if not person_text.strip().isdigit():
                set_errors(key, {"person": "Enter the id of an affected person."})
                st.rerun()
            pid = int(person_text.strip())
            with widgets.session() as s:
                try:
                    if language == "auto":
                        from registry.models import Person

                        person = s.get(Person, pid)
                        language = breach_documents.letter_language(
                            person.country if person else None
                        )
                    html = breach_documents.letter(s, actor, breach.id, language, pid)
                except ValidationError as e:
                    set_errors(key, e.field_errors)
                    st.rerun()
            ss[LETTER] = (breach.id, pid, language, html)
            set_errors(key, {})
            st.rerun()
    prepared = ss.get(LETTER)
    if prepared and prepared[0] == breach.id:
        _, pid, language, html = prepared
        st.download_button(
            f"Download the letter to person #{pid} ({LETTER_LANGUAGE_LABELS[language]})",
            data=html,
            file_name=f"{row.reference.lower()}-letter-{pid}-{language}.html",
            mime="text/html",
            icon=":material/download:",
            on_click="ignore",
            key="breaches_one_letter_download",
        )

    st.markdown("**Sending the letters: the list for the mailing processor**")
    st.caption(
        "The affected persons with an email or postal address, with each one's letter "
        "language. The list is recorded as a disclosure to the processor. Record the "
        "persons decision once the letters have gone out."
    )
    key = f"breaches_letters_{breach.id}"
    errors = errors_of(key)
    processors = dict(mailing_processors())
    with st.form(key, enter_to_submit=False):
        left, right = st.columns(2)
        mailing_id = left.selectbox(
            "Mailing processor",
            list(processors),
            key=f"{key}_recipient",
            index=None,
            format_func=processors.get,
            placeholder="Choose an active processor",
        )
        with left:
            widgets.field_error(errors, "recipient")
        file_format = right.radio(
            "Format",
            list(letters_list.FILE_FORMATS),
            key=f"{key}_format",
            format_func=letters_list.FILE_FORMATS.get,
            horizontal=True,
        )
        with right:
            widgets.field_error(errors, "file_format")
        if st.form_submit_button("Produce the letters list", type="primary"):
            out = io.BytesIO()
            with widgets.session() as s:
                try:
                    made = letters_list.letters_list(
                        s, actor, breach.id, mailing_id, file_format, out
                    )
                except ValidationError as e:
                    set_errors(key, e.field_errors)
                    st.rerun()
            ss[LETTERS] = (
                breach.id,
                made,
                out.getvalue(),
                letters_list.FileFormat(file_format).mime,
            )
            done(
                key,
                f"Letters list for {made.rows:,} persons recorded as disclosure "
                f"#{made.disclosure_id} to {made.recipient}"
                + (
                    f"; {made.without_address:,} affected persons have no email or "
                    "postal address (consider a public communication, Art. 34(3)(c))."
                    if made.without_address
                    else "."
                ),
            )
    widgets.field_error(errors, "letters")
    produced = ss.get(LETTERS)
    if produced and produced[0] == breach.id:
        _, made, data, mime = produced
        st.download_button(
            f"Download the letters list ({made.rows:,} persons)",
            data=data,
            file_name=made.file_name,
            mime=mime,
            icon=":material/download:",
            on_click="ignore",
            key="breaches_letters_download",
        )
