"""Name, street, company and job title pools, drawn from Faker once per seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from demo.arrays import slugify, start_offsets
from demo.data.places import COUNTRIES, EE_STREETS, LOCALE_KEYS, LOCALES, STREET_LOCALE
from demo.data.texts import TITLES_EN, TITLES_FI


@dataclass(frozen=True)
class Pools:
    """Faker's draws, concatenated over locales; `*_at` are each locale's start offsets."""

    female: pa.Array  # duplicates keep Faker's name frequencies
    male: pa.Array
    last: pa.Array
    female_slug: pa.Array
    male_slug: pa.Array
    last_slug: pa.Array
    female_at: np.ndarray
    male_at: np.ndarray
    last_at: np.ndarray
    streets: pa.Array
    street_at: np.ndarray  # by country
    jobs: pa.Array  # Finnish titles first, then English ones
    jobs_fi: int
    companies: dict[str, list[str]]
    lasts: dict[str, list[str]]
    females: dict[str, list[str]]


def build_pools(random_seed: int) -> Pools:
    """Draw a few thousand names, streets, companies and job titles from Faker, once."""
    from faker import Faker  # only seeding needs Faker

    female: list[list[str]] = []
    male: list[list[str]] = []
    last: list[list[str]] = []
    streets: dict[str, list[str]] = {"et": list(EE_STREETS)}
    companies: dict[str, list[str]] = {}
    jobs: dict[str, list[str]] = {}
    for k, (key, locale) in enumerate(LOCALES.items()):
        fake = Faker(locale)
        fake.seed_instance(random_seed * 100 + k)
        female.append([fake.first_name_female() for _ in range(400)])
        male.append([fake.first_name_male() for _ in range(400)])
        last.append([fake.last_name() for _ in range(600)])
        if key != "et":  # Faker's et_EE has no street names
            streets[key] = [fake.street_name() for _ in range(300)]
        companies[key] = [fake.company() for _ in range(200)]
        jobs[key] = [fake.job() for _ in range(150)]
    by_country = [streets[STREET_LOCALE.get(c, "et")] for c in COUNTRIES]
    # Hand-written titles weigh more than Faker's (which has "Kairaaja" and "Dosentti").
    jobs_fi = list(TITLES_FI) * 6 + jobs["fi"]
    jobs_en = list(TITLES_EN) * 8 + jobs["us"] + jobs["gb"]

    def flat(groups: list[list[str]], slug: bool = False) -> pa.Array:
        values = [(slugify(v) or "user") if slug else v for g in groups for v in g]
        return pa.array(values, type=pa.string())

    return Pools(
        female=flat(female),
        male=flat(male),
        last=flat(last),
        female_slug=flat(female, slug=True),
        male_slug=flat(male, slug=True),
        last_slug=flat(last, slug=True),
        female_at=start_offsets(female),
        male_at=start_offsets(male),
        last_at=start_offsets(last),
        streets=flat(by_country),
        street_at=start_offsets(by_country),
        jobs=pa.array(jobs_fi + jobs_en, type=pa.string()),
        jobs_fi=len(jobs_fi),
        companies=companies,
        lasts=dict(zip(LOCALE_KEYS, last, strict=True)),
        females=dict(zip(LOCALE_KEYS, female, strict=True)),
    )
