"""Orders of customer contacts and activities (visits, events, service contacts, app use,
newsletter opens and clicks while subscribed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from demo.arrays import (
    DAY,
    NEVER,
    SECOND,
    YEAR,
    concat,
    dates,
    month_labels,
    null_where,
    pick,
    timestamps,
)
from demo.consent import Granted
from demo.data.rates import ACTIVITY_KINDS, ACTIVITY_RATE, CC
from demo.data.texts import (
    APP_ACTIONS,
    EVENTS,
    NEWSLETTER_LINKS,
    PRODUCTS,
    SERVICE_CONTACTS,
    WEB_PAGES,
)
from demo.persons import Chunk
from demo.sinks import Sink
from registry.vocabulary import (
    ActivityKind,
)

if TYPE_CHECKING:
    from demo.seeder import Seeder


def order_chunk(seeder: Seeder, rng: np.random.Generator, chunk: Chunk, sink: Sink) -> None:
    orgs = seeder.orgs
    contacts = np.flatnonzero((chunk.rel == CC) & (chunk.org >= 0))
    org = chunk.org[contacts]
    lo = np.maximum(chunk.created_us[contacts], seeder.ref - 4 * YEAR)
    lo = np.maximum(lo, np.where(orgs.since_us[org] == NEVER, 0, orgs.since_us[org]))
    hi = np.minimum(seeder.ref - 1, orgs.until_us[org])
    k = rng.poisson(2.6, len(contacts))
    k[hi <= lo] = 0
    who = np.repeat(contacts, k)
    at = np.repeat(lo, k) + (rng.random(len(who)) * np.repeat(hi - lo, k)).astype(np.int64)
    helsinki = 2 * 3_600 * SECOND  # order dates are Finnish business days, roughly
    day = (at + helsinki) // DAY
    day = np.minimum(day, seeder.today_days - 1)
    order = np.lexsort((day, who))
    who, day = who[order], day[order]
    m = len(who)
    product = rng.choice(len(PRODUCTS), m, p=[p[3] for p in PRODUCTS])
    low = np.array([p[1] for p in PRODUCTS])[product]
    high = np.array([p[2] for p in PRODUCTS])[product]
    price = np.round((low + rng.random(m) * (high - low)) / 10) * 10
    discount = rng.choice([0.0, 0.1, 0.15, 0.2], m, p=[0.6, 0.2, 0.1, 0.1])
    amount = np.round(price * (1 - discount) * 100) / 100
    age = seeder.today_days - day
    u = rng.random(m)
    status = np.where(
        age < 30,
        np.where(u < 0.8, 1, 0),
        np.where(
            age < 90, np.where(u < 0.1, 1, np.where(u < 0.15, 2, 0)), np.where(u < 0.03, 2, 0)
        ),
    )
    first = seeder.ids.take("customer_order", m)
    sink.write(
        "customer_order",
        pa.table(
            {
                "id": pa.array(np.arange(first, first + m, dtype=np.int64)),
                "person_id": pa.array(chunk.ids[who]),
                "organisation_id": pa.array(orgs.ids[chunk.org[who]]),
                "ordered_on": dates(day),
                "product": pick([p[0] for p in PRODUCTS], product),
                "amount_eur": pa.array(amount),
                "status": pick(["paid", "invoiced", "in_recovery"], status),
            }
        ),
    )
    seeder.count("customer_order", m)


def activity_chunk(
    seeder: Seeder, rng: np.random.Generator, chunk: Chunk, newsletter: Granted, sink: Sink
) -> None:
    """Mostly in the last two years; newsletter opens only while subscribed."""
    ref = seeder.ref
    whos: list[np.ndarray] = []
    ats: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    details: list[pa.Array] = []
    for kind, rates in ACTIVITY_RATE.items():
        k = rng.poisson(np.array(rates)[chunk.rel])
        who = np.repeat(np.arange(len(chunk.ids)), k)
        recent = rng.random(len(who)) < 0.85
        lo = np.maximum(chunk.created_us[who], ref - np.where(recent, 2, 4) * YEAR)
        at = lo + (rng.random(len(who)) * (ref - lo)).astype(np.int64)
        pool = {
            ActivityKind.WEBSITE_VISIT: WEB_PAGES,
            ActivityKind.EVENT_PARTICIPATION: EVENTS,
            ActivityKind.CUSTOMER_SERVICE_CONTACT: SERVICE_CONTACTS,
            ActivityKind.APP_USE: APP_ACTIONS,
        }[kind]
        whos.append(who)
        ats.append(at)
        kinds.append(np.full(len(who), ACTIVITY_KINDS.index(kind), dtype=np.int8))
        details.append(pick(pool, rng.integers(0, len(pool), len(who))))
    # Newsletter opens and clicks during the subscribed intervals of the last two years.
    start = np.maximum(newsletter.start, ref - 2 * YEAR)
    end = np.minimum(newsletter.end, ref)
    months = np.maximum(end - start, 0) / (30 * DAY)
    for kind, rate in (
        (ActivityKind.NEWSLETTER_OPEN, 0.3),
        (ActivityKind.NEWSLETTER_CLICK, 0.06),
    ):
        k = rng.poisson(months * rate)
        interval = np.repeat(np.arange(len(start)), k)
        at = start[interval] + (rng.random(len(interval)) * (end - start)[interval]).astype(
            np.int64
        )
        whos.append(newsletter.person[interval])
        ats.append(at)
        kinds.append(np.full(len(interval), ACTIVITY_KINDS.index(kind), dtype=np.int8))
        label = month_labels(at, "Newsletter ")
        if kind == ActivityKind.NEWSLETTER_CLICK:
            links = pick(NEWSLETTER_LINKS, rng.integers(0, len(NEWSLETTER_LINKS), len(at)))
            label = concat(label, ": ", links)
        details.append(label)
    who = np.concatenate(whos)
    at = np.concatenate(ats)
    kind_i = np.concatenate(kinds)
    detail = pa.concat_arrays([d.cast(pa.string()) for d in details])
    order = np.lexsort((at, who))
    who, at, kind_i = who[order], at[order], kind_i[order]
    detail = detail.take(pa.array(order))
    # The app gave a location with its events for users who shared it.
    app = kind_i == ACTIVITY_KINDS.index(ActivityKind.APP_USE)
    located = app & chunk.has_coords[who]
    city = null_where(~located, chunk.city.take(pa.array(who)))
    m = len(who)
    first = seeder.ids.take("activity", m)
    sink.write(
        "activity",
        pa.table(
            {
                "id": pa.array(np.arange(first, first + m, dtype=np.int64)),
                "person_id": pa.array(chunk.ids[who]),
                "kind": pick([k.value for k in ACTIVITY_KINDS], kind_i),
                "occurred_at": timestamps(at),
                "detail": detail,
                "city": city,
            }
        ),
    )
    seeder.count("activity", m)
