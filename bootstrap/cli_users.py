"""``oversight user create|list|set-password|set-role|disable``: user accounts.

A password is read from standard input (its first line) when that is not a terminal,
else asked for twice without echo; never from the arguments, which other users of the
machine can read.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO
from uuid import UUID

from bootstrap import build_application
from config.settings import Settings
from domain.access import ROLES
from domain.application import OversightApplication
from domain.errors import InvalidInput
from domain.institution import institution_id
from domain.users import User

Handler = Callable[[argparse.Namespace, Settings], int]


@contextmanager
def opened(settings: Settings) -> Iterator[OversightApplication]:
    """The application for one command, closed after it (its pooled connections too)."""
    app = build_application(settings)
    try:
        yield app
    finally:
        app.close()


def read_password(stdin: TextIO | None = None) -> str:
    """The password: the first line of a piped standard input, or typed twice."""
    stream = stdin or sys.stdin
    if not stream.isatty():
        return stream.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InvalidInput("the two passwords differ", field="password")
    return first


def scope_institution(args: argparse.Namespace) -> UUID | None:
    """``--institution``, or the institution of ``--credit-code`` in ``--jurisdiction``."""
    if args.institution is not None:
        inst: UUID = args.institution
        return inst
    if args.credit_code:
        if not args.jurisdiction:
            raise InvalidInput("--credit-code needs --jurisdiction", field="jurisdiction")
        return institution_id(args.jurisdiction, args.credit_code)
    return None


def cmd_user_create(args: argparse.Namespace, settings: Settings) -> int:
    password = None if args.no_password else read_password()
    with opened(settings) as app:
        user = app.users.create_user(
            args.name,
            role=args.role,
            display_name=args.display_name or "",
            jurisdiction=args.jurisdiction,
            district=args.district,
            institution=scope_institution(args),
            password=password,
        )
    print(f"created user {user.name} ({user.role}, {_scope(user)})")
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as app:
        now = app.ledger.clock()
        rows = [_row(u, now) for u in app.users.users()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        print(
            f"{r['name']:<24} {r['role']:<11} {r['scope']:<24} {r['state']:<8} {r['display_name']}"
        )
    return 0


def cmd_user_set_password(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password()
    with opened(settings) as app:
        user = app.users.set_password(args.name, password)
    print(f"password set for {user.name}")
    return 0


def cmd_user_set_role(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as app:
        user = app.users.change_role(
            args.name,
            role=args.role,
            jurisdiction=args.jurisdiction,
            district=args.district,
            institution=scope_institution(args),
        )
    print(f"{user.name} is now {user.role} ({_scope(user)})")
    return 0


def cmd_user_disable(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as app:
        user = app.users.disable(args.name, args.reason)
    print(f"disabled {user.name}: its sessions and tokens no longer work")
    return 0


def _scope(user: User) -> str:
    parts = (user.jurisdiction, user.district)
    return user.institution_id or "/".join(p for p in parts if p) or "*"


def _row(user: User, now: Any) -> dict[str, Any]:
    state = "disabled" if user.disabled else "locked" if user.locked(now) else "active"
    return {
        "name": user.name,
        "display_name": user.display_name,
        "role": user.role,
        "scope": _scope(user),
        "state": state,
        "password": bool(user.password_hash),
        "last_sign_in": user.last_sign_in.isoformat() if user.last_sign_in else None,
    }


def _scope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--jurisdiction", help="scope: a jurisdiction, e.g. chengdu")
    parser.add_argument("--district", help="scope: a district of the jurisdiction")
    parser.add_argument("--institution", type=UUID, help="scope: one institution id")
    parser.add_argument("--credit-code", help="scope: the institution with this credit code")


def add_user_commands(sub: Any) -> dict[tuple[str, str | None], Handler]:
    """The ``user`` command's parser under ``sub``, and its handlers by action."""
    user = sub.add_parser("user", help="user accounts: create, list, passwords, roles, disable")
    usub = user.add_subparsers(dest="action", required=True)
    create = usub.add_parser("create", help="a new account (password from stdin or a prompt)")
    create.add_argument("name", help="the sign-in name, e.g. li.wei")
    create.add_argument("--display-name", help="the name shown, e.g. 李伟")
    _scope_arguments(create)
    create.add_argument(
        "--no-password", action="store_true", help="no password: single sign-on only"
    )
    ulist = usub.add_parser("list", help="every account, with its state")
    ulist.add_argument("--json", action="store_true")
    setpw = usub.add_parser("set-password", help="a new password (from stdin or a prompt)")
    setpw.add_argument("name")
    role = usub.add_parser("set-role", help="change an account's role and scope")
    role.add_argument("name")
    _scope_arguments(role)
    disable = usub.add_parser("disable", help="the account signs in no more; its tokens stop")
    disable.add_argument("name")
    disable.add_argument("--reason", default="disabled by an administrator")
    return {
        ("user", "create"): cmd_user_create,
        ("user", "list"): cmd_user_list,
        ("user", "set-password"): cmd_user_set_password,
        ("user", "set-role"): cmd_user_set_role,
        ("user", "disable"): cmd_user_disable,
    }
