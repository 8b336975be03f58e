"""Customer, dealer and partner organisations with valid Finnish business IDs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from demo.arrays import DAY, NEVER, dates, slugify, strings, to_micros
from demo.data.places import CITIES, COUNTRIES, ORG_COUNTRY_P, STREET_LOCALE
from demo.data.texts import INDUSTRIES, LEGAL_FORM, LEGAL_SUFFIX, RECIPIENTS
from demo.sinks import Sink
from registry.vocabulary import (
    OrganisationKind,
)

if TYPE_CHECKING:
    from demo.seeder import Seeder


def y_tunnus_check_digit(seven_digits: int) -> int | None:
    """The check digit of a Finnish business ID (Y-tunnus); None if no valid ID has them."""
    weights = (7, 9, 10, 5, 8, 4, 2)
    remainder = sum(int(d) * w for d, w in zip(f"{seven_digits:07d}", weights, strict=True)) % 11
    if remainder == 1:
        return None  # such numbers are never issued
    return 0 if remainder == 0 else 11 - remainder


@dataclass
class Organisations:
    ids: np.ndarray
    kind: np.ndarray  # index into OrganisationKind
    country: np.ndarray  # index into COUNTRIES
    since_us: np.ndarray  # NEVER if none
    until_us: np.ndarray  # NEVER if still a customer
    weight: np.ndarray
    domain: pa.Array  # the e-mail domain of its staff


def write_organisations(seeder: Seeder, sink: Sink) -> None:
    rng = seeder.rng(1)
    customers = max(10, seeder.persons // 40)
    partners = max(3, seeder.persons // 5_000)
    dealers = [r for r in RECIPIENTS if r[1] == "dealer"]
    n = customers + partners + len(dealers)
    first = seeder.ids.take("organisation", n)
    ids = np.arange(first, first + n, dtype=np.int64)
    kind = np.zeros(n, dtype=np.int8)
    kind[customers : customers + partners] = 2  # partner
    kind[customers + partners :] = 1  # dealer
    country = rng.choice(len(COUNTRIES), size=n, p=ORG_COUNTRY_P)
    for i, dealer in enumerate(dealers):
        country[customers + partners + i] = COUNTRIES.index(dealer[3])
    # Customers since 2012; a quarter of them are past customers.
    start = to_micros(dt.datetime(2012, 1, 1, tzinfo=dt.UTC))
    since = start + (rng.random(n) ** 0.8 * (seeder.ref - 60 * DAY - start)).astype(np.int64)
    since = since // DAY * DAY
    past = (kind == 0) & (rng.random(n) < 0.25)
    until = np.full(n, NEVER, dtype=np.int64)
    # A past customer left at least a month after joining and a month before today.
    span = seeder.ref - 60 * DAY - since[past]
    ended = since[past] + 30 * DAY + (rng.random(past.sum()) * span).astype(np.int64)
    until[past] = ended // DAY * DAY
    since[kind != 0] = NEVER
    weight = rng.lognormal(0.0, 1.0, n)

    industries = list(INDUSTRIES)
    industry = rng.integers(0, len(industries), n)
    names: list[str] = []
    domains: list[str] = []
    cities: list[str] = []
    for i in range(n):
        c = COUNTRIES[country[i]]
        if kind[i] == 1:
            name = dealers[i - customers - partners][0]
        else:
            name = _company_name(seeder, rng, c, industries[industry[i]])
        names.append(name)
        base = LEGAL_FORM.sub("", name)
        domains.append(f"{slugify(base)[:40] or 'company'}.example.com")
        table = CITIES[c]
        p = np.array([t[5] for t in table])
        cities.append(table[rng.choice(len(table), p=p / p.sum())][0])
    numbers = _business_ids(seeder, rng, n)
    seeder.orgs = Organisations(ids, kind, country, since, until, weight, strings(domains))
    kinds = [OrganisationKind.CUSTOMER, OrganisationKind.DEALER, OrganisationKind.PARTNER]
    data = pa.table(
        {
            "id": pa.array(ids),
            "name": strings(names),
            "business_id": strings(numbers),
            "kind": strings([kinds[k].value for k in kind]),
            "industry": strings([industries[i] for i in industry]),
            "country": strings([COUNTRIES[c] for c in country]),
            "city": strings(cities),
            "customer_since": dates(since // DAY, mask=since == NEVER),
            "customer_until": dates(until // DAY, mask=until == NEVER),
        }
    )
    sink.write("organisation", data)
    seeder.count("organisation", n)


def _company_name(seeder: Seeder, rng: np.random.Generator, country: str, industry: str) -> str:
    suffixes = LEGAL_SUFFIX[country]
    suffix = suffixes[rng.integers(len(suffixes))]
    locale = STREET_LOCALE.get(country, "et")
    if rng.random() < 0.4:
        return seeder.pools.companies[locale][rng.integers(200)]
    surname = seeder.pools.lasts[locale][rng.integers(600)]
    if country == "FI":
        words = INDUSTRIES[industry]
        return f"{surname} {words[rng.integers(len(words))]} {suffix}"
    return f"{surname} {industry} {suffix}"


def _business_ids(seeder: Seeder, rng: np.random.Generator, n: int) -> list[str]:
    """Unique Y-tunnus style IDs: 7 digits and the check digit."""
    taken = seeder.taken_business_ids
    result: list[str] = []
    seen: set[int] = set()
    while len(result) < n:
        for number in rng.integers(100_000, 3_400_000, size=2 * n).tolist():
            check = y_tunnus_check_digit(number)
            formatted = f"{number:07d}-{check}"
            if check is None or number in seen or formatted in taken:
                continue
            seen.add(number)
            result.append(formatted)
            if len(result) == n:
                break
    return result
