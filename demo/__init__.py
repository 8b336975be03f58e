"""Synthetic demo data at any scale: the registry as a Finnish B2B software company keeps it.

Nothing here is real: names come from Faker, domains are example.* domains, US and UK phone
numbers are in the ranges reserved for fiction, company and recipient names are made up.

Deterministic for a given (persons, random_seed, today), except for the random salts inside
the few argon2 password hashes (made with registry.auth.hash_password, then reused).

Fast, because Faker only fills small pools (names, streets, companies, job titles) once; rows
are drawn from the pools with numpy, one chunk of persons at a time, and written with COPY on
PostgreSQL (CSV made by pyarrow, fed from a thread so the server works while the next chunk
is generated) or with big executemany batches on SQLite, all in one transaction.

`seeder.seed` runs it. The data tables are in `demo.data` (accounts, places, texts, rates);
the generators, one module per part: organisations, persons, consent, activity (orders and
activities), disclosures, requests, accounts; `arrays`, `pools` and `sinks` (COPY or INSERT)
are what they share.
"""
