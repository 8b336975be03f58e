"""Persons, one chunk at a time: names of their country's locale, employers, e-mail, phone
and postal addresses in each country's own form."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demo.arrays import (
    DAY,
    NEVER,
    case_when,
    concat,
    digits,
    draw,
    null_where,
    pick,
    start_offsets,
    timestamps,
    to_micros,
    weighted_choice,
)
from demo.data.places import (
    CITIES,
    COUNTRIES,
    COUNTRY_P,
    FI,
    GB_OUTWARD,
    LOCALE_KEYS,
    NAME_MIX,
    PHONE_PREFIXES,
)
from demo.data.rates import CC, OC, OPT, REL_P, RELATIONSHIPS, SU
from demo.data.texts import PERSONAL_DOMAINS
from demo.sinks import Sink
from registry import notice

if TYPE_CHECKING:
    from demo.seeder import Seeder


# Cities of every country in one table, for vectorised draws.
CITY_ROWS = [(COUNTRIES.index(code), *row) for code in COUNTRIES for row in CITIES[code]]
CITY_NAMES = pa.array([r[1] for r in CITY_ROWS], type=pa.string())
CITY_COUNTRY = np.array([r[0] for r in CITY_ROWS])
CITY_LOW = np.array([r[2] for r in CITY_ROWS])
CITY_HIGH = np.array([r[3] for r in CITY_ROWS])
CITY_LAT = np.array([r[4] for r in CITY_ROWS])
CITY_LON = np.array([r[5] for r in CITY_ROWS])
CITY_WEIGHT = np.array([r[6] for r in CITY_ROWS])

PHONE_LIST = [p for c in COUNTRIES for p in PHONE_PREFIXES[c]]
PHONE_AT = start_offsets([list(PHONE_PREFIXES[c]) for c in COUNTRIES])


@dataclass
class Chunk:
    """A chunk of persons as arrays that the dependent tables are drawn from."""

    ids: np.ndarray
    rel: np.ndarray
    country: np.ndarray
    created_us: np.ndarray
    org: np.ndarray  # index into Organisations, -1 for none
    has_address: np.ndarray
    city: pa.Array
    has_coords: np.ndarray


def person_chunk(seeder: Seeder, rng: np.random.Generator, n: int, sink: Sink) -> Chunk:
    pools = seeder.pools
    first = seeder.ids.take("person", n)
    ids = np.arange(first, first + n, dtype=np.int64)
    rel = rng.choice(len(RELATIONSHIPS), size=n, p=REL_P).astype(np.int8)
    country = rng.choice(len(COUNTRIES), size=n, p=COUNTRY_P).astype(np.int8)
    gender = rng.choice(4, size=n, p=[0.46, 0.46, 0.01, 0.07])
    female = (gender == 0) | ((gender >= 2) & (rng.random(n) < 0.5))

    # Names: mostly of the country's own locale.
    locale = np.zeros(n, dtype=np.int64)
    for c, code in enumerate(COUNTRIES):
        idx = np.flatnonzero(country == c)
        mix = NAME_MIX[code]
        keys = np.array([LOCALE_KEYS.index(k) for k in mix])
        locale[idx] = keys[weighted_choice(rng, mix, len(idx))]
    fi = draw(rng, pools.female_at, locale)
    mi = draw(rng, pools.male_at, locale)
    li = draw(rng, pools.last_at, locale)
    is_female = pa.array(female)
    first_name = pc.if_else(is_female, pick(pools.female, fi), pick(pools.male, mi))
    first_slug = pc.if_else(is_female, pick(pools.female_slug, fi), pick(pools.male_slug, mi))
    last_name = pick(pools.last, li)
    last_slug = pick(pools.last_slug, li)

    org = _employers(seeder, rng, rel, country)
    created, updated = _created(seeder, rng, org)

    # Work address at the employer's domain for contacts and users; else a personal one.
    work = (org >= 0) & ((rel == CC) | (rel == SU)) & (rng.random(n) < 0.9)
    plain = work | (rng.random(n) < 0.4)
    personal = np.where(country == FI, 0, 1 + rng.integers(0, 3, n))
    domain = pc.if_else(
        pa.array(work),
        pick(seeder.orgs.domain, np.maximum(org, 0)),
        pick(["example.fi", *PERSONAL_DOMAINS], personal),
    )
    suffix = null_where(plain, digits(rng.integers(1, 1000, n)))
    suffix = pc.fill_null(suffix, "")
    email = concat(first_slug, ".", last_slug, suffix, "@", domain)
    email = null_where(rng.random(n) < 0.02, email)

    phone = null_where(rng.random(n) >= 0.88, _phones(seeder, rng, country))
    street, postal, city, lat, lon, has_address, has_city = _addresses(seeder, rng, country)
    has_coords = (rel == SU) & (rng.random(n) < 0.4) & has_city
    lat = np.round(lat + rng.normal(0, 0.02, n), 5)
    lon = np.round(lon + rng.normal(0, 0.04, n), 5)

    job = np.where(
        country == FI,
        rng.integers(0, pools.jobs_fi, n),
        rng.integers(pools.jobs_fi, len(pools.jobs), n),
    )
    position = null_where((rel == OPT) & (rng.random(n) < 0.5), pick(pools.jobs, job))

    service = rel == SU
    username = concat(
        pc.utf8_slice_codeunits(first_slug, 0, 1),
        pc.replace_substring(last_slug, "-", ""),
        digits(ids),
    )
    username = null_where(~service, username)
    password_hash = null_where(
        ~service, pick(seeder.service_hashes, rng.integers(0, len(seeder.service_hashes), n))
    )

    # Index into the notice's regular sources, by relationship.
    source_choice = {
        CC: ([0, 1], [0.6, 0.4]),
        SU: ([4], [1.0]),
        OC: ([3, 5], [0.7, 0.3]),
        OPT: ([2], [1.0]),
    }
    source = np.zeros(n, dtype=np.int64)
    for r, (options, p) in source_choice.items():
        idx = np.flatnonzero(rel == r)
        source[idx] = np.array(options)[rng.choice(len(options), len(idx), p=p)]

    data = pa.table(
        {
            "id": pa.array(ids),
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "street_address": street,
            "postal_code": postal,
            "city": city,
            "country": pick(COUNTRIES, country),
            "latitude": pa.array(lat, mask=~has_coords),
            "longitude": pa.array(lon, mask=~has_coords),
            "position": position,
            "organisation_id": pa.array(seeder.orgs.ids[np.maximum(org, 0)], mask=org < 0),
            "gender": pick(["female", "male", "other", None], gender),
            "username": username,
            "password_hash": password_hash,
            "relationship": pick([r.value for r in RELATIONSHIPS], rel),
            "source": pick(notice.declaration().sources, source),
            "created_at": timestamps(created),
            "updated_at": timestamps(updated),
            "version": pa.array(np.ones(n, dtype=np.int32)),
        }
    )
    sink.write("person", data)
    seeder.count("person", n)
    return Chunk(ids, rel, country, created, org, has_address, city, has_coords)


def _employers(
    seeder: Seeder, rng: np.random.Generator, rel: np.ndarray, country: np.ndarray
) -> np.ndarray:
    """The organisation of each person (index), -1 for none; mostly in the same country."""
    orgs = seeder.orgs
    n = len(rel)
    org = np.full(n, -1, dtype=np.int64)
    customer = orgs.kind == 0
    current = customer & (orgs.until_us == NEVER)
    other = orgs.kind != 0
    wants = {
        CC: (customer, np.ones(n, dtype=bool)),
        SU: (current, np.ones(n, dtype=bool)),
        OC: (other, rng.random(n) < 0.6),
        OPT: (current, rng.random(n) < 0.25),
    }
    for r, (candidates, has) in wants.items():
        for c in range(len(COUNTRIES)):
            idx = np.flatnonzero((rel == r) & (country == c) & has)
            if not len(idx):
                continue
            pool = np.flatnonzero(candidates & (orgs.country == c))
            if len(pool) == 0:
                pool = np.flatnonzero(candidates & (orgs.country == FI))
            if len(pool) == 0:
                pool = np.flatnonzero(candidates)
            w = orgs.weight[pool]
            org[idx] = pool[rng.choice(len(pool), len(idx), p=w / w.sum())]
    return org


def _created(
    seeder: Seeder, rng: np.random.Generator, org: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """When each person entered the registry: while the employer was a customer."""
    n = len(org)
    lo = np.full(n, to_micros(dt.datetime(2015, 1, 1, tzinfo=dt.UTC)), dtype=np.int64)
    hi = np.full(n, seeder.ref - DAY, dtype=np.int64)
    has = org >= 0
    since = seeder.orgs.since_us[np.maximum(org, 0)]
    until = seeder.orgs.until_us[np.maximum(org, 0)]
    with_since = has & (since != NEVER)
    lo[with_since] = since[with_since]
    with_until = has & (until != NEVER)
    hi[with_until] = until[with_until]
    lo = np.minimum(lo, hi - DAY)
    # Skewed towards recent years, as registries grow.
    created = lo + (rng.random(n) ** 0.7 * (hi - lo)).astype(np.int64)
    touched = rng.random(n) < 0.5
    updated = created + (touched * rng.random(n) * (seeder.ref - 1 - created)).astype(np.int64)
    return created, updated


def _phones(seeder: Seeder, rng: np.random.Generator, country: np.ndarray) -> pa.Array:
    """E.164 numbers; US and UK ones in the ranges reserved for fiction."""
    n = len(country)
    prefix = pick(PHONE_LIST, draw(rng, PHONE_AT, country.astype(np.int64)))
    eight = rng.integers(0, 100_000_000, n)
    code = [COUNTRIES.index(c) for c in ("DK", "DE", "US", "GB")]
    subscriber = case_when(
        [country == code[0], country == code[1], country == code[2], country == code[3]],
        [
            digits(20_000_000 + eight % 80_000_000),
            digits(eight, 8),
            digits(eight % 100, 2),
            digits(eight % 1_000, 3),
        ],
        digits(eight % 10_000_000, 7),
    )
    return concat(prefix, subscriber)


def _addresses(
    seeder: Seeder, rng: np.random.Generator, country: np.ndarray
) -> tuple[pa.Array, pa.Array, pa.Array, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Street address, postal code and city in each country's own form."""
    n = len(country)
    city = np.zeros(n, dtype=np.int64)
    for c in range(len(COUNTRIES)):
        idx = np.flatnonzero(country == c)
        candidates = np.flatnonzero(CITY_COUNTRY == c)
        w = CITY_WEIGHT[candidates]
        city[idx] = candidates[rng.choice(len(candidates), len(idx), p=w / w.sum())]
    u = rng.random(n)
    has_address, has_city = u < 0.85, u < 0.94
    is_ = {code: country == COUNTRIES.index(code) for code in COUNTRIES}

    # Finnish codes step by ten (00100, 00120, ...); others by one.
    step = np.where(is_["FI"], 10, 1)
    low, high = CITY_LOW[city], CITY_HIGH[city]
    code = low + step * (rng.random(n) * ((high - low) // step + 1)).astype(np.int64)
    inward = "ABDEFGHJLNPQRSTUWXYZ"
    letters = rng.integers(0, len(inward), (2, n))
    stair = rng.integers(0, 8, n)
    postal = case_when(
        [is_["SE"], is_["NO"] | is_["DK"], is_["GB"]],
        [
            concat(digits(code // 100, 3), " ", digits(code % 100, 2)),
            digits(code, 4),
            concat(
                pick(GB_OUTWARD, np.where(is_["GB"], code, 0)),
                " ",
                digits(stair + 1),
                pick(list(inward), letters[0]),
                pick(list(inward), letters[1]),
            ),
        ],
        digits(code, 5),
    )

    name = pick(seeder.pools.streets, draw(rng, seeder.pools.street_at, country.astype(np.int64)))
    number = rng.integers(1, 121, n)
    # Finnish flats: "Mannerheimintie 12 B 34".
    flat = pc.fill_null(
        null_where(
            ~(is_["FI"] & (stair < 3)),
            concat(
                " ",
                pick(list("ABC"), np.minimum(stair, 2)),
                " ",
                digits(rng.integers(1, 60, n)),
            ),
        ),
        "",
    )
    number_first = is_["US"] | is_["GB"]
    street = pc.if_else(
        pa.array(number_first),
        concat(digits(np.where(is_["US"], number * 10 + stair, number)), " ", name),
        concat(name, " ", digits(number), flat),
    )
    return (
        null_where(~has_address, street),
        null_where(~has_address, postal),
        null_where(~has_city, pick(CITY_NAMES, city)),
        CITY_LAT[city],
        CITY_LON[city],
        has_address,
        has_city,
    )
