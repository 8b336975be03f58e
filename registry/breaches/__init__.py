"""Personal data breaches: the register, the 72-hour clock, and the decisions (issue 22).

Every breach is documented whether it is notified or not (Art. 33(5)): what happened, when
it happened and when the controller became aware, its source, the data categories and
relationships concerned, the likely consequences, the measures, the risk assessment, and the
decisions with their dates: notified to the Data Protection Ombudsman or why not (Art. 33),
persons told or why not (Art. 34). Each write is one transaction with a breach_change row
(who, when, each field old -> new) and an audit event that names ids only. Nothing is
deleted; the database refuses it (migration 0008).

Times are stored in UTC and entered and shown in Helsinki time. The clock runs on elapsed
hours (UTC), so 72 hours from an evening before a daylight-saving change ends at another
wall-clock hour than it began.

The parts: the reference, Helsinki time and the clock (`clock`), recording and editing
(`recording`), the decisions (`decisions`), reading the register (`register`). Who was
affected: which persons count (`scope`) and their counts, pages and letter rows
(`affected`). The documents: their texts (`texts`), the notification and the letters
(`documents`) and the letters list (`letters_list`).

The register's API is re-exported here, so callers write `breaches.record_breach(...)`.
"""

from registry.breaches.clock import (
    NOTIFICATION_HOURS,
    Clock,
    ClockState,
    NonexistentTime,
    clock,
    clock_of,
    deadline_of,
    from_helsinki,
    reference,
)
from registry.breaches.decisions import (
    AuthorityInput,
    PersonsInput,
    decide_authority,
    decide_persons,
)
from registry.breaches.recording import BreachInput, record_breach, update_breach, validate
from registry.breaches.register import (
    BreachConcerning,
    ChangeRow,
    RegisterRow,
    SourceChoices,
    breaches_concerning,
    get,
    history,
    open_clocks,
    register,
    source_choices,
    source_name,
)
from registry.formats import helsinki, helsinki_text

__all__ = [
    "NOTIFICATION_HOURS",
    "AuthorityInput",
    "BreachConcerning",
    "BreachInput",
    "ChangeRow",
    "Clock",
    "ClockState",
    "NonexistentTime",
    "PersonsInput",
    "RegisterRow",
    "SourceChoices",
    "breaches_concerning",
    "clock",
    "clock_of",
    "deadline_of",
    "decide_authority",
    "decide_persons",
    "from_helsinki",
    "get",
    "helsinki",
    "helsinki_text",
    "history",
    "open_clocks",
    "record_breach",
    "reference",
    "register",
    "source_choices",
    "source_name",
    "update_breach",
    "validate",
]
