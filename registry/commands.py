"""What each `python -m registry` command does; registry/__main__.py parses the arguments
and hands them here."""

from __future__ import annotations

import argparse
import getpass
import sys

from registry import db, suppression
from registry.errors import RegistryError
from registry.permissions import Actor
from registry.vocabulary import Role


def _print_progress(fraction: float, message: str) -> None:
    print(f"\r[{fraction:6.1%}] {message:<60}", end="", file=sys.stderr, flush=True)
    if fraction >= 1:
        print(file=sys.stderr)


def cmd_migrate(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from registry import roles

    engine = db.make_engine(config.url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            me = roles.running_as(connection)
        print(me.sentence())
        if not me.may_migrate:
            print(
                f"Run migrate as {me.table_owner}, the owner: the application role may not "
                "change the schema.",
                file=sys.stderr,
            )
            return 2
    else:
        print(roles.SQLITE_HAS_NO_ROLES)
    db.migrate(engine)
    print(f"{config.safe_url}: schema is at the newest revision.")
    if args.app_role:
        return cmd_roles(args, config)
    return 0


def cmd_roles(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from registry import roles

    engine = db.make_engine(config.url)
    with engine.begin() as connection:
        statements = roles.grant_application_role(connection, args.app_role)
        held = roles.table_privileges(connection, args.app_role)
    for statement in statements:
        print(f"{statement};")
    append_only = ", ".join(sorted(roles.APPEND_ONLY_TABLES & held.keys()))
    print(
        f"{args.app_role} may {roles.APP_PRIVILEGES} on {len(held)} tables, only "
        f"{roles.APPEND_ONLY_PRIVILEGES} on {append_only}; it owns nothing. "
        f"Connect the dashboard and the nightly jobs as {args.app_role}."
    )
    return 0


def cmd_seed(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from demo import seeder

    engine = db.make_engine(config.url)
    if not db.schema_is_current(engine):
        print("The schema is not current: run `python -m registry migrate` first.", file=sys.stderr)
        return 2
    # The seed carries out the demo's completed erasures, which need the suppression key:
    # ask for it now rather than after minutes of seeding (SuppressionKeyMissing is one line).
    suppression.key()
    counts = seeder.seed(
        engine,
        persons=args.persons,
        random_seed=args.random_seed,
        demo_accounts=args.demo_accounts,
        progress=_print_progress,
    )
    for table, n in counts.items():
        print(f"{table:>24} {n:>12,}")
    return 0


def cmd_users(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from registry import users

    engine = db.make_engine(config.url)
    actor = Actor.command_line(f"cli:{getpass.getuser()}")
    with db.make_sessionmaker(engine)() as session:
        if args.users_command == "list":
            for u in users.list_users(session, actor):
                state = "active" if u.active else "inactive"
                print(f"{u.username:<24} {u.role:<14} {state:<9} {u.display_name}")
            return 0
        password = args.password or getpass.getpass("Password: ")
        user = users.create_user(
            session,
            actor,
            args.username,
            args.name or args.username,
            args.role,
            password,
            email=args.email,
        )
        print(f"Created {user.username} ({user.role}).")
    return 0


def _job_actor(args: argparse.Namespace) -> Actor:
    return Actor.command_line(args.job or f"cli:{getpass.getuser()}")


def cmd_backup(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from pathlib import Path

    from registry.backup import files, making

    engine = db.make_engine(config.url)
    try:
        made = making.make_backup(
            engine, _job_actor(args), Path(args.out), progress=_print_progress
        )
    except RegistryError:
        print(file=sys.stderr)  # end the progress line before the message
        raise
    m = made.manifest
    print(f"{made.path}\n  {files.human_size(m.size_bytes)}, SHA-256 {m.sha256}")
    print(f"  {files.rows(sum(m.row_counts.values()))} in {len(m.row_counts)} tables")
    print(f"  Checked: {m.check_detail}")
    return 0


def cmd_restore(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from pathlib import Path

    from registry.backup import restoring

    try:
        done = restoring.restore_backup(
            _job_actor(args),
            Path(args.file),
            args.into,
            replace=args.replace,
            progress=_print_progress,
        )
    except RegistryError:
        print(file=sys.stderr)
        raise
    counts = done.manifest.row_counts
    print(f"Restored {args.file} into {done.target}.")
    print(
        "  Checksum verified; the copy checked before it replaced the target; the row counts "
        f"of all {len(counts)} tables match the backup."
    )
    print(
        f"  Re-applied {done.reapplied} journalled erasures newer than the backup "
        "(Art. 17: an erasure is not undone by a restore)."
    )
    if not done.schema_current:
        print("  The backup predates this code: run `python -m registry migrate` on it.")
    if done.not_reapplied:
        print(
            f"  {done.not_reapplied} journalled erasures newer than the backup are NOT "
            "re-applied: the schema predates them. Migrate the target, then run "
            f"`python -m registry reapply-erasures --since "
            f"{done.manifest.created_at.isoformat()}` against it.",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_reapply_erasures(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    import datetime as dt

    from registry import erasure_journal

    since = dt.datetime.fromisoformat(args.since)
    if since.tzinfo is None:
        print("--since needs a UTC offset, e.g. 2026-01-01T02:00:00+00:00", file=sys.stderr)
        return 2
    engine = db.make_engine(config.url)
    try:
        done = erasure_journal.reapply(engine, since)
    finally:
        engine.dispose()
    print(f"Re-applied {done} journalled erasures newer than {since.isoformat()}.")
    return 0


def cmd_retention(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from registry import retention, retention_apply

    engine = db.make_engine(config.url)
    actor = _job_actor(args)
    try:
        with db.make_sessionmaker(engine)() as session:
            due = retention.listing(session, actor)
        print("What the retention schedule has due (data/registry.toml [retention]):")
        for d in due:
            if d.rule.key in retention.PERSON_RULES:
                what = f"{d.persons:>9,} persons"
                extra = f"; {d.held:,} orders kept under the legal hold" if d.held else ""
                if d.deferred:
                    extra += f"; {d.deferred:,} deferred while a request of theirs is open"
            else:
                what, extra = f"{d.rows:>9,} rows   ", ""
            print(f"  {d.rule.key:<24} {what}  ({d.clock.why}{extra})")
        if not args.apply:
            print("Nothing was changed. Run with --apply to erase and delete what is due.")
            return 0
        try:
            done = retention_apply.apply(engine, actor, progress=_print_progress)
        except RegistryError:
            print(file=sys.stderr)
            raise
    finally:
        engine.dispose()
    print(
        f"Retention run #{done.run_id}: {done.persons_erased:,} persons erased, "
        f"{done.rows_deleted:,} rows deleted; {done.recipients_to_tell:,} recipients to tell "
        "of erasures (Art. 19)."
    )
    for key, n in sorted(done.counts.items()):
        print(f"  {key:<24} {n['persons']:>9,} persons {n['rows']:>9,} rows")
    return 0


def cmd_check(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from registry import consistency

    engine = db.make_engine(config.url)
    try:
        with db.make_sessionmaker(engine)() as session:
            found = consistency.sentences(session)
    finally:
        engine.dispose()
    for sentence in found:
        print(sentence)
    print(f"{len(found)} contradictions between the records and the data.")
    return 1 if found else 0


def cmd_export(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    import os
    import tempfile
    from pathlib import Path

    from sqlalchemy import select

    from registry import export
    from registry.models import AppUser
    from registry.segments import catalogue

    engine = db.make_engine(config.url)
    with db.make_sessionmaker(engine)() as session:
        if args.user:
            # Recorded as that account's export; the account's role must allow exports.
            user = session.scalar(select(AppUser).where(AppUser.username == args.user))
            if user is None or not user.active:
                print(f"No active account named {args.user!r}.", file=sys.stderr)
                return 2
            actor = Actor.of(user)
        else:
            actor = Actor(None, f"cli:{getpass.getuser()}", Role.MARKETING, "command line")
        segment = catalogue.find_segment(session, actor, args.segment)
        recipient_id = export.find_recipient(session, actor, args.recipient)
        purpose = args.purpose or f"{args.channel} list of the segment {segment.title}"
        if args.out == "-":
            result = export.export_target_list(
                session, actor, segment, args.channel, recipient_id, purpose, sys.stdout
            )
        else:
            # Written beside the target and renamed when complete: no half-written list.
            # The disclosure commits only once the file is in place (`complete`): a target
            # that cannot be written (a directory, no permission) records nothing.
            target = Path(args.out)
            fd, partial = tempfile.mkstemp(prefix=".export-", dir=target.parent)
            try:
                with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:

                    def complete() -> None:
                        out.flush()
                        os.fsync(out.fileno())
                        os.replace(partial, target)

                    result = export.export_target_list(
                        session,
                        actor,
                        segment,
                        args.channel,
                        recipient_id,
                        purpose,
                        out,
                        complete=complete,
                    )
            finally:
                Path(partial).unlink(missing_ok=True)
    print(
        f"Exported {result.rows:,} persons to {args.out} for {result.recipient} "
        f"(disclosure {result.disclosure_id}): {result.preview.sentence()}",
        file=sys.stderr,
    )
    return 0


def cmd_access_report(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    """The Art. 15 report for a person, as the officer's scripts need it; audited."""
    import os
    import tempfile
    from pathlib import Path

    from sqlalchemy import select

    from registry import report
    from registry.models import AppUser
    from registry.report.language import LANGUAGES

    # Checked here, so that each bad input is one line on stderr and exit status 2.
    if not args.person.isdigit():
        print(f"--person: {args.person!r} is not a person id (a whole number).", file=sys.stderr)
        return 2
    if args.format not in ("json", "html"):
        print(f"--format: {args.format!r}: choose json or html.", file=sys.stderr)
        return 2
    if args.language not in LANGUAGES:
        print(f"--language: {args.language!r}: choose {', '.join(LANGUAGES)}.", file=sys.stderr)
        return 2
    target = Path(args.out)
    if args.out != "-" and not target.parent.is_dir():
        print(f"--out: the directory {target.parent} does not exist.", file=sys.stderr)
        return 2
    engine = db.make_engine(config.url)
    with db.make_sessionmaker(engine)() as session:
        if args.user:
            # Recorded as that account's report; the account's role must allow reports.
            user = session.scalar(select(AppUser).where(AppUser.username == args.user))
            if user is None or not user.active:
                print(f"--user: no active account named {args.user!r}.", file=sys.stderr)
                return 2
            actor = Actor.of(user)
        else:
            actor = Actor(None, f"cli:{getpass.getuser()}", Role.COMPLIANCE, "command line")
        made = report.generate_for_person(session, actor, int(args.person), args.language)
    text = made.json if args.format == "json" else made.html
    if args.out == "-":
        sys.stdout.write(text)
    else:
        # Written beside the target and renamed when complete: no half-written report.
        fd, partial = tempfile.mkstemp(prefix=".access-report-", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
    print(
        f"Access report {made.report.reference} ({args.format}, {args.language}): "
        f"{made.report.record_count} records, written to {args.out}.",
        file=sys.stderr,
    )
    return 0


def cmd_import(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from pathlib import Path

    from sqlalchemy import select

    from registry.imports.run import import_file
    from registry.models import AppUser

    engine = db.make_engine(config.url)
    if not db.schema_is_current(engine):
        print("The schema is not current: run `python -m registry migrate` first.", file=sys.stderr)
        return 2
    path = Path(args.file)
    with db.make_sessionmaker(engine)() as session:
        # Amendments and consent events name who made them: the import runs as an account.
        user = session.scalar(select(AppUser).where(AppUser.username == args.user.lower()))
        if user is None or not user.active:
            print(f"No active account named {args.user!r}.", file=sys.stderr)
            return 2
        try:
            result = import_file(
                session,
                Actor.of(user),
                args.kind,
                path,
                source=args.source,
                skip_invalid=args.skip_invalid,
                dry_run=args.dry_run,
                rejects_path=path.with_name(f"{path.stem}.rejects.csv"),
                progress=_print_progress if sys.stderr.isatty() else None,
            )
        except RegistryError:
            if sys.stderr.isatty():
                print(file=sys.stderr)  # end the progress line before the message
            raise
    print(f"{path.name}: {result.file_format}")
    print(result.sentence())
    if result.rejects_path is not None:
        print(f"Rejects (row, column, value, reason): {result.rejects_path}")
    refused = result.rejected and not args.skip_invalid
    return 2 if refused else 0
