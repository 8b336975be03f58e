"""Command line: `python -m registry migrate | seed | users | ...`.

It works on the configured database (REGISTRY_DATABASE_URL, .streamlit/secrets.toml, or the
embedded demo). Nothing here runs behind the user's back: each command does what it says.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from registry import commands, db, settings, validation
from registry.errors import RegistryError, ValidationError
from registry.vocabulary import Channel, ImportKind, Role


class BadArguments(Exception):
    """Arguments argparse refused: told as one line by main, not as usage and exit."""


class _Parser(argparse.ArgumentParser):
    """argparse, its refusals raised instead of printed with the usage; sub-commands'
    parsers are of the same class (add_subparsers takes the parent's)."""

    def error(self, message: str) -> NoReturn:
        raise BadArguments(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m registry", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "migrate",
        help="bring the database schema to the newest revision; says which role it runs as",
    )
    p.add_argument(
        "--app-role",
        metavar="NAME",
        help="then grant the application role its privileges (PostgreSQL; as `roles`)",
    )
    p.set_defaults(func=commands.cmd_migrate)

    p = sub.add_parser(
        "roles",
        help="create or update the application's database role: it may read and write the "
        "registry but only insert into the audit trail and other append-only tables "
        "(PostgreSQL; run as the owner)",
    )
    p.add_argument("--app-role", metavar="NAME", required=True)
    p.set_defaults(func=commands.cmd_roles)

    p = sub.add_parser("seed", help="fill an empty database with synthetic demo data")
    p.add_argument("--persons", type=int, default=10_000)
    p.add_argument("--random-seed", type=int, default=1)
    p.add_argument(
        "--demo-accounts",
        action="store_true",
        help="also create the demo sign-in accounts (never on a real database)",
    )
    p.set_defaults(func=commands.cmd_seed)

    p = sub.add_parser("users", help="dashboard accounts")
    users_sub = p.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], required=True)
    add.add_argument("--name", help="display name")
    add.add_argument("--email", help="for OpenID Connect sign-in")
    add.add_argument("--password", help="omit to be asked without echo")
    users_sub.add_parser("list", help="list accounts")
    p.set_defaults(func=commands.cmd_users)

    job_help = "who to record as having done it (default: cli:<login name>)"
    p = sub.add_parser("backup", help="back up the configured database, consistently, while in use")
    p.add_argument(
        "--out",
        default=str(settings.BACKUP_DIR),
        help="a directory, or a file name into which the UTC time is inserted "
        "(default: %(default)s); FILE.sha256 and FILE.json are written beside it",
    )
    p.add_argument("--job", help=job_help)
    p.set_defaults(func=commands.cmd_backup)

    p = sub.add_parser(
        "retention",
        help="list what the retention schedule has due, per rule; --apply erases and deletes it",
    )
    p.add_argument(
        "--apply",
        action="store_true",
        help="erase the persons due (through the erasure path) and delete the rows due, "
        "in batches; without it nothing is changed",
    )
    p.add_argument("--job", help=job_help)
    p.set_defaults(func=commands.cmd_retention)

    p = sub.add_parser(
        "check",
        help="list contradictions between what the records say and what the data shows; "
        "exit 1 if any",
    )
    p.set_defaults(func=commands.cmd_check)

    p = sub.add_parser(
        "reapply-erasures",
        help="erase again every person the erasure journal erased after a time (after a restore)",
    )
    p.add_argument("--since", required=True, help="a UTC time: the backup's, as restore says")
    p.set_defaults(func=commands.cmd_reapply_erasures)

    p = sub.add_parser("restore", help="verify a backup and restore it into a database")
    p.add_argument("file", help="the backup file; FILE.sha256 and FILE.json must be beside it")
    p.add_argument("--into", required=True, metavar="URL", help="the database to restore into")
    p.add_argument(
        "--replace",
        action="store_true",
        help="overwrite a target database that is not empty",
    )
    p.add_argument("--job", help=job_help)
    p.set_defaults(func=commands.cmd_restore)

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
    p.set_defaults(func=commands.cmd_export)

    p = sub.add_parser(
        "access-report",
        help="a person's Art. 15 access report as JSON or an HTML letter; audited",
    )
    p.add_argument("--person", required=True, metavar="ID", help="the person's id")
    p.add_argument("--format", required=True, metavar="json|html")
    p.add_argument("--language", required=True, metavar="fi|sv|en", help="the letter's language")
    p.add_argument("--out", required=True, metavar="FILE", help="the file, or - for stdout")
    p.add_argument("--user", help="record the report as this account's (default: cli:<login>)")
    p.set_defaults(func=commands.cmd_access_report)

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
    p.set_defaults(func=commands.cmd_import)
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
    return _printable(text)


def _printable(text: str) -> str:
    """One line, whatever the message held: newlines folded, undecodable characters escaped."""
    return " ".join(text.split()).encode("utf-8", "backslashreplace").decode("utf-8")


def _fail(message: str) -> int:
    """Every failure a user can meet: one line on stderr and status 2, never a traceback."""
    print(_printable(message), file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except BadArguments as e:
        return _fail(str(e))
    if problem := _refused_argument(args):
        return _fail(problem)
    try:
        config = db.database_config()
        return int(args.func(args, config))
    except ValidationError as e:
        return _fail("; ".join(f"{field}: {message}" for field, message in e.field_errors.items()))
    except RegistryError as e:
        return _fail(str(e))
    except (OSError, SQLAlchemyError, UnicodeError, ValueError) as e:
        return _fail(f"registry {args.command}: {_one_line(e)}")
    except Exception as e:  # the last resort: still one line, never a traceback
        return _fail(f"registry {args.command} failed unexpectedly: {_one_line(e)}")


if __name__ == "__main__":
    sys.exit(main())
