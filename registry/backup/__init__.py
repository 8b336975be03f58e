"""Backups of the whole registry and their restore.

The notice promises that "the filing system is backed up safely and can be restored as
needed". A backup is one file with two beside it: FILE.sha256 (a `sha256sum` line) and
FILE.json (the manifest: row counts per table, schema revision, engine, when, by whom).

PostgreSQL is dumped by pg_dump (custom format) inside a snapshot exported by a REPEATABLE
READ transaction, and the rows are counted in that same snapshot, so the manifest describes
exactly what the file holds while the app keeps writing. SQLite is copied with its online
backup API in one step and counted in the copy. Either copy is read back before it is called
good (issue 18): PRAGMA integrity_check and every table read through on SQLite, pg_restore
--list and a read-through of the dump on PostgreSQL; the check is recorded with the backup,
and a copy that fails it is a failed backup.

A restore verifies the checksum before it opens the target, refuses a target holding rows
unless told to replace it, checks the backup the same way before the target changes (SQLite:
restored into a private copy, checked, then swapped in one transaction), restores in one
transaction, then compares the row counts with the manifest. Each backup and restore leaves
a `backup` row and an audit event: a backup in the database it copied, a restore in the
database it filled.

The modules: `files` (names, checksums, manifests, what a database holds, verifying a file),
`postgresql` and `sqlite` (dump, copy and restore per engine), `making`, `restoring`, and
`records` (the `backup` table, its audit events, and the Backups page's reads).
"""
