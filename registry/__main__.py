"""Command line: `python -m registry migrate | seed | users | ...`.

It works on the configured database (REGISTRY_DATABASE_URL, .streamlit/secrets.toml, or the
embedded demo). Nothing here runs behind the user's back: each command does what it says.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from registry import db
from registry.auth import Actor
from registry.errors import RegistryError, ValidationError
from registry.vocabulary import Role


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
    from registry import seed

    engine = db.make_engine(config.url)
    if not db.schema_is_current(engine):
        print("The schema is not current: run `python -m registry migrate` first.", file=sys.stderr)
        return 2
    counts = seed.seed(
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = db.database_config()
    try:
        return args.func(args, config)
    except ValidationError as e:
        for field, message in e.field_errors.items():
            print(f"{field}: {message}", file=sys.stderr)
        return 2
    except RegistryError as e:
        print(str(e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
