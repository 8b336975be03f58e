"""Consent histories per person and purpose, and the current status each ends in, with the
intervals in which each person was granted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from demo.arrays import NEVER, SECOND, concat, digits, null_where, pick, timestamps, weighted_choice
from demo.data.rates import (
    EMAIL,
    GRANT_P,
    GRANT_SOURCE_P,
    GRANTED,
    IN_APP,
    NEWSLETTER,
    OBJECT_SOURCE_P,
    OBJECTED,
    OPT,
    POST,
    PURPOSES,
    RANK,
    RECORD_DELAY,
    SHARING,
    SOURCES,
    SRC,
    STATUSES,
    WITHDRAW_SOURCE_P,
    WITHDRAWN,
)
from demo.data.texts import EVIDENCE
from demo.persons import Chunk
from demo.sinks import Sink
from registry.vocabulary import (
    ConsentSource,
)

if TYPE_CHECKING:
    from demo.seeder import Seeder


@dataclass
class Granted:
    """Intervals [start, end) in which a person's current status for a purpose was granted."""

    person: np.ndarray  # index within the chunk
    start: np.ndarray
    end: np.ndarray

    def at(self, moment: int) -> np.ndarray:
        return np.unique(self.person[(self.start <= moment) & (moment < self.end)])


def consent_chunk(
    seeder: Seeder, rng: np.random.Generator, chunk: Chunk, sink: Sink
) -> dict[int, Granted]:
    """Grants, withdrawals and objections over the years, and the winner of each history."""
    n = len(chunk.ids)
    rel, created, ref = chunk.rel, chunk.created_us, seeder.ref
    u = rng.random(n)
    never = (u < 0.08) & (rel != OPT)  # a person who approved marketing was asked
    objector = (u >= 0.08) & (u < 0.13)
    normal = ~never & ~objector
    t_obj = created + ((0.2 + 0.8 * rng.random(n)) * (ref - created)).astype(np.int64)

    parts: list[tuple[np.ndarray, int, int, np.ndarray, int]] = []

    def emit(who: np.ndarray, purpose: int, status: int, at: np.ndarray, seq: int) -> None:
        parts.append((who, purpose, status, at, seq))

    def after(at: np.ndarray, until: np.ndarray | int) -> np.ndarray:
        return at + (rng.random(len(at)) * (until - at)).astype(np.int64)

    for p in range(len(PURPOSES)):
        granted = rng.random(n) < GRANT_P[rel, p]
        if p == NEWSLETTER:
            granted |= rel == OPT
        g = np.flatnonzero(granted & normal)
        t_g = after(created[g], ref)
        emit(g, p, GRANTED, t_g, 1)
        withdrawn = rng.random(len(g)) < 0.12
        w, t_w = g[withdrawn], after(t_g[withdrawn], ref)
        emit(w, p, WITHDRAWN, t_w, 1)
        again = rng.random(len(w)) < 0.25
        emit(w[again], p, GRANTED, after(t_w[again], ref), 1)
        # A withdrawal at the very moment of the grant, recorded before it: it still wins.
        tie = ~withdrawn & (rng.random(len(g)) < 0.01)
        emit(g[tie], p, WITHDRAWN, t_g[tie], 0)
        o = np.flatnonzero(granted & objector)
        emit(o, p, GRANTED, after(created[o], t_obj[o]), 1)
    # Art. 21(2): an objection covers every purpose at once.
    o = np.flatnonzero(objector)
    for p in range(len(PURPOSES)):
        emit(o, p, OBJECTED, t_obj[o], 1)
    # Some ask for the newsletter again later: an explicit new grant.
    regranted = o[rng.random(len(o)) < 0.3]
    emit(regranted, NEWSLETTER, GRANTED, after(t_obj[regranted], ref), 1)
    # A grant sent at the moment of the objection and recorded after it: the objection wins.
    tied = o[rng.random(len(o)) < 0.05]
    emit(tied, EMAIL, GRANTED, t_obj[tied], 2)

    who = np.concatenate([x[0] for x in parts])
    purpose = np.concatenate([np.full(len(x[0]), x[1], dtype=np.int8) for x in parts])
    status = np.concatenate([np.full(len(x[0]), x[2], dtype=np.int8) for x in parts])
    at = np.concatenate([x[3] for x in parts])
    seq = np.concatenate([np.full(len(x[0]), x[4], dtype=np.int8) for x in parts])
    # Ids follow each person's history in time, so a later-recorded event has a higher id.
    order = np.lexsort((purpose, seq, at, who))
    who, purpose, status, at = who[order], purpose[order], status[order], at[order]
    m = len(who)
    first = seeder.ids.take("consent_event", m)
    event_id = np.arange(first, first + m, dtype=np.int64)

    source = np.empty(m, dtype=np.int8)
    for st, weights in (
        (GRANTED, GRANT_SOURCE_P),
        (WITHDRAWN, WITHDRAW_SOURCE_P),
        (OBJECTED, OBJECT_SOURCE_P),
    ):
        idx = np.flatnonzero(status == st)
        keys = np.array([SRC[s] for s in weights], dtype=np.int8)
        source[idx] = keys[weighted_choice(rng, weights, len(idx))]
    in_app = np.flatnonzero((purpose == IN_APP) & (status != OBJECTED))
    source[in_app] = np.where(
        rng.random(len(in_app)) < 0.85, SRC[ConsentSource.APP], source[in_app]
    )

    # Evidence: missing for some grants (3 %) and withdrawals (15 %), never for objections.
    missing = np.where(status == GRANTED, rng.random(m) < 0.03, False)
    missing |= (status == WITHDRAWN) & (rng.random(m) < 0.15)
    template_keys = list(EVIDENCE)
    template_index = {k: i for i, k in enumerate(template_keys)}
    lookup = np.full((3, len(SOURCES)), -1, dtype=np.int16)
    for (st, src), i in template_index.items():
        lookup[st, SRC[src]] = i
    which = lookup[status, source]
    missing |= which < 0
    prefixes = [EVIDENCE[k].split("{ref}")[0] for k in template_keys]
    suffixes = [EVIDENCE[k].split("{ref}")[1] for k in template_keys]
    which_safe = np.maximum(which, 0)
    evidence = null_where(
        missing,
        concat(pick(prefixes, which_safe), digits(event_id), pick(suffixes, which_safe)),
    )
    low = np.array([RECORD_DELAY[s][0] for s in SOURCES], dtype=np.int64)
    high = np.array([RECORD_DELAY[s][1] for s in SOURCES], dtype=np.int64)
    delay = (low[source] + rng.random(m) * (high[source] - low[source])).astype(np.int64)
    recorded_at = np.maximum(at, np.minimum(at + delay * SECOND, ref - 1))
    by_hand = source == SRC[ConsentSource.LETTER]
    recorded_by = pa.array(
        np.full(m, seeder.compliance_id or 0, dtype=np.int32),
        mask=~by_hand if seeder.compliance_id else np.ones(m, dtype=bool),
    )
    purposes = [p.value for p in PURPOSES]
    statuses = [s.value for s in STATUSES]
    person_id = chunk.ids[who]
    sink.write(
        "consent_event",
        pa.table(
            {
                "id": pa.array(event_id),
                "person_id": pa.array(person_id),
                "purpose": pick(purposes, purpose),
                "status": pick(statuses, status),
                "occurred_at": timestamps(at),
                "source": pick([s.value for s in SOURCES], source),
                "evidence": evidence,
                "recorded_by": recorded_by,
                "recorded_at": timestamps(recorded_at),
            }
        ),
    )
    seeder.count("consent_event", m)

    # The winner per (person, purpose): greatest (occurred_at, precedence rank, id), the
    # key of registry.consent.precedence, taken for all events at once.
    by_precedence = np.lexsort((event_id, RANK[status], at, purpose, who))
    key = who[by_precedence].astype(np.int64) * len(PURPOSES) + purpose[by_precedence]
    same_as_next = key[1:] == key[:-1]
    last = np.append(~same_as_next, True)[:m]
    win = by_precedence[last]
    sink.write(
        "consent_state",
        pa.table(
            {
                "person_id": pa.array(person_id[win]),
                "purpose": pick(purposes, purpose[win]),
                "status": pick(statuses, status[win]),
                "event_id": pa.array(event_id[win]),
                "occurred_at": timestamps(at[win]),
                "has_evidence": pa.array(~missing[win]),
            }
        ),
    )
    seeder.count("consent_state", len(win))

    # Each event holds until the next one in precedence order: the granted intervals.
    next_same = np.append(same_as_next, False)[:m]
    following = np.append(at[by_precedence][1:], NEVER)[:m]
    end = np.where(next_same, following, NEVER)
    granted_rows = status[by_precedence] == GRANTED
    result: dict[int, Granted] = {}
    for p in (NEWSLETTER, EMAIL, POST, SHARING):
        rows = granted_rows & (purpose[by_precedence] == p)
        result[p] = Granted(who[by_precedence][rows], at[by_precedence][rows], end[rows])
    return result
