"""Command line: `python -m registry migrate | seed | users | ...`.

It works on the configured database (REGISTRY_DATABASE_URL, .streamlit/secrets.toml, or the
embedded demo). Nothing here runs behind the user's back: each command does what it says.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from registry import db, settings, validation
from registry.errors import RegistryError, ValidationError
from registry.permissions import Actor
from registry.vocabulary import Channel, ImportKind, Role


def _print_progress(fraction: float, message: str) -> None:
    print(f"\r[{fraction:6.1%}] {message:<60}", end="", file=sys.stderr, flush=True)
    if fraction >= 1:
        print(file=sys.stderr)


def cmd_migrate(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    engine = db.make_engine(config.url)
    db.migrate(engine)
    print(f"{config.safe_url}: schema is at the newest revision.")
    return 0


def cmd_seed(args: argparse.Namespace, config: db.DatabaseConfig) -> int:
    from demo import seeder

    engine = db.make_engine(config.url)
    if not db.schema_is_current(engine):
        print("The schema is not current: run `python -m registry migrate` first.", file=sys.stderr)
        return 2
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
    print(f"  Checksum verified; the row counts of all {len(counts)} tables match the backup.")
    if not done.schema_current:
        print("  The backup predates this code: run `python -m registry migrate` on it.")
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m registry", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="bring the database schema to the newest revision")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed", help="fill an empty database with synthetic demo data")
    p.add_argument("--persons", type=int, default=10_000)
    p.add_argument("--random-seed", type=int, default=1)
    p.add_argument(
        "--demo-accounts",
        action="store_true",
        help="also create the demo sign-in accounts (never on a real database)",
    )
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("users", help="dashboard accounts")
    users_sub = p.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], required=True)
    add.add_argument("--name", help="display name")
    add.add_argument("--email", help="for OpenID Connect sign-in")
    add.add_argument("--password", help="omit to be asked without echo")
    users_sub.add_parser("list", help="list accounts")
    p.set_defaults(func=cmd_users)

    job_help = "who to record as having done it (default: cli:<login name>)"
    p = sub.add_parser("backup", help="back up the configured database, consistently, while in use")
    p.add_argument(
        "--out",
        default=str(settings.BACKUP_DIR),
        help="a directory, or a file name into which the UTC time is inserted "
        "(default: %(default)s); FILE.sha256 and FILE.json are written beside it",
    )
    p.add_argument("--job", help=job_help)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="verify a backup and restore it into a database")
    p.add_argument("file", help="the backup file; FILE.sha256 and FILE.json must be beside it")
    p.add_argument("--into", required=True, metavar="URL", help="the database to restore into")
    p.add_argument(
        "--replace",
        action="store_true",
        help="overwrite a target database that is not empty",
    )
    p.add_argument("--job", help=job_help)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser(
        "export",
        help="a segment's consent-clean target list for one channel, as CSV, recorded as a "
        "disclosure to the recipient",
    )
    p.add_argument("--segment", required=True, help="a saved segment's name or a built-in one's")
    p.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    p.add_argument("--recipient", required=True, help="the recipient's name in the register")
    p.add_argument("--out", required=True, metavar="FILE", help="the CSV file, or - for stdout")
    p.add_argument("--purpose", help="why the list is disclosed (default: names the segment)")
    p.add_argument("--user", help="record the export as this account's (default: cli:<login>)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "access-report",
        help="a person's Art. 15 access report as JSON or an HTML letter; audited",
    )
    p.add_argument("--person", required=True, metavar="ID", help="the person's id")
    p.add_argument("--format", required=True, metavar="json|html")
    p.add_argument("--language", required=True, metavar="fi|sv|en", help="the letter's language")
    p.add_argument("--out", required=True, metavar="FILE", help="the file, or - for stdout")
    p.add_argument("--user", help="record the report as this account's (default: cli:<login>)")
    p.set_defaults(func=cmd_access_report)

    p = sub.add_parser(
        "import",
        help="import a CSV or XLSX file from one of the notice's regular sources, all or "
        "nothing, with a rejects report beside the file",
    )
    p.add_argument("kind", choices=[k.value for k in ImportKind])
    p.add_argument("file", help="CSV (UTF-8 or Windows-1252, comma or semicolon) or XLSX")
    p.add_argument(
        "--source",
        help="the notice's regular source the data comes from (its name or the start of it); "
        "required for persons, orders and activities",
    )
    p.add_argument("--user", required=True, help="the dashboard account the import is recorded as")
    p.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid rows and report the rest (default: nothing if any is invalid)",
    )
    p.set_defaults(func=cmd_import)
    return parser


def _refused_argument(args: argparse.Namespace) -> str | None:
    """The first argument holding a control, invisible or undecodable character (bytes the
    locale could not decode arrive as lone surrogates), named without echoing it."""
    for name, value in vars(args).items():
        if isinstance(value, str) and (problem := validation.refused_character(value)):
            return f"{name.replace('_', '-')}: {problem}"
    return None


def _one_line(error: BaseException) -> str:
    """An error as one printable line: no traceback, no undecodable characters."""
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename is not None else ""
        text = f"{error.strerror}{where}"
    elif isinstance(error, DBAPIError):
        # The driver's first line; the engine hides bound values (db.make_engine).
        text = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
        text = f"The database refused: {type(error.orig).__name__}" + (f": {text}" if text else "")
    else:
        text = f"{type(error).__name__}: {error}"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if problem := _refused_argument(args):
        print(problem, file=sys.stderr)
        return 2
    try:
        config = db.database_config()
        return args.func(args, config)
    except ValidationError as e:
        for field, message in e.field_errors.items():
            print(f"{field}: {message}", file=sys.stderr)
        return 2
    except RegistryError as e:
        print(str(e), file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError, UnicodeError, ValueError) as e:
        # Every failure a user can meet is one line and status 2, never a traceback.
        print(f"registry {args.command}: {_one_line(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
