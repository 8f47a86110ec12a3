"""``oversight``: the command line (serve, tokens, rulebooks, verification, workers)."""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from uuid import UUID

from bootstrap import system_clock
from bootstrap.bench import Options as BenchOptions
from bootstrap.bench import add_arguments as add_bench_arguments
from bootstrap.cli_users import Handler, add_user_commands, opened, scope_institution
from bootstrap.collector import serving_collector, started_collector
from bootstrap.config_docs import command as config_docs
from bootstrap.coordination import coordinator, heartbeat_store
from bootstrap.demo import ensure_demo
from bootstrap.impact_cli import add_arguments as add_impact_arguments
from bootstrap.impact_cli import cmd_rules_impact
from bootstrap.migrate import command as migrate_command
from bootstrap.notices_cli import add_notice_arguments, cmd_notices, notice_worker_process
from bootstrap.read_models import build_projections
from bootstrap.register_import import add_arguments as add_register_arguments
from bootstrap.register_import import command as cmd_import_register
from bootstrap.service import web_service
from config.logging import configure_logging
from config.settings import Settings
from domain.access import ROLES, SYSTEM, TOKEN_PREFIX
from domain.campaign import verify_publication
from domain.draft import DraftError, parse_draft
from domain.errors import DomainError
from domain.institution import Institution
from domain.rulebook import Rulebook, RulebookError, load_catalogue
from domain.rulebook_diff import diff, named
from domain.transfer import export_events, import_events
from projections import DEFAULT_BATCH_SIZE
from projections.deadlines import DueIndex
from workers import deadlines
from workers import projections as projection_worker

#: How long a token from ``oversight token create`` is valid unless --expires-in says.
DEFAULT_TOKEN_DAYS = 90


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


# --- serve ------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """The web service; with ``OVERSIGHT_EMBEDDED_WORKERS`` the workers run inside it."""
    import uvicorn

    with opened(settings) as app:
        token = ensure_demo(app, settings) if settings.demo_data else None
        print(banner(settings, token), flush=True)
        serving_collector()
        with stopped_by_signal_exits_zero():
            uvicorn.run(
                web_service(settings, app),
                host=settings.host,
                port=settings.port,
                log_level="warning",
                loop=args.loop,
                http=args.http,
            )
        return 0


@contextmanager
def stopped_by_signal_exits_zero() -> Iterator[None]:
    """SIGTERM (or SIGINT) stops the server gracefully (no new connections, the requests in
    flight answered, the workers joined) and the process then exits 0. uvicorn raises the
    signal again once it has stopped; here that reaches a handler that lets ``serve``
    return, instead of the default one that would end the process by the signal."""
    previous = {s: signal.signal(s, _stopped) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stopped(signum: int, frame: FrameType | None) -> None:
    print(f"stopped by {signal.Signals(signum).name}", file=sys.stderr, flush=True)


def banner(settings: Settings, token: str | None) -> str:
    """What ``serve`` prints on start: where everything is, and the demo token if any."""
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        "skills-oversight is starting",
        f"  store:     {settings.database_url}",
        f"  dashboard: {base}/          (public disclosure: {base}/public)",
        f"  API docs:  {base}/docs",
        f"  OpenAPI:   {base}/openapi.json",
        f"  health:    {base}/healthz  {base}/readyz",
    ]
    if token:
        lines += [
            f"  demo admin token (also in {settings.demo_token_file}):",
            f"    {token}",
            f"  try:  curl -H 'Authorization: Bearer {token}' {base}/api/v1/institutions",
        ]
    return "\n".join(lines) + "\n"


# --- tokens -----------------------------------------------------------------------------


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as app:
        secret = new_secret()
        if args.user:
            token = app.access.issue_user_token(
                secret, args.user, note=args.note or "", valid_for=timedelta(days=args.expires_in)
            )
        else:
            if not args.subject or not args.role:
                raise DomainError("a token names --subject and --role, or --user", field="subject")
            token = app.access.issue_token(
                secret,
                subject=args.subject,
                role=args.role,
                jurisdiction=args.jurisdiction,
                district=args.district,
                institution=scope_institution(args),
                note=args.note or "",
                valid_for=timedelta(days=args.expires_in),
            )
        print(f"token id: {token.id}")
        print(f"expires:  {token.expires_at.isoformat() if token.expires_at else 'never'}")
        print(f"secret:   {secret}")
        print("The secret is shown once; only its hash is stored.", file=sys.stderr)
        return 0


def cmd_token_list(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as app:
        now = app.ledger.clock()
        rows = [
            {
                "id": str(t.id),
                "subject": t.subject,
                "role": t.role,
                "jurisdiction": t.jurisdiction,
                "district": t.district,
                "institution": t.institution_id,
                "user": t.user,
                "issued_at": t.issued_at,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked": t.revoked,
                "expired": t.expired(now),
            }
            for t in app.access.tokens()
        ]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        for r in rows:
            parts = (r["jurisdiction"], r["district"])
            scope = r["institution"] or "/".join(str(x) for x in parts if x)
            state = "revoked" if r["revoked"] else "expired" if r["expired"] else "active"
            until = f"until {r['expires_at']}" if r["expires_at"] else "no expiry"
            print(
                f"{r['id']}  {r['role']:<11} {r['subject']:<24} {scope or '*':<24}"
                f" {state:<8} {until}"
            )
        return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as app:
        token = app.access.revoke_token(args.token_id, args.reason)
    print(f"revoked {token.id} ({token.subject})")
    return 0


# --- rulebooks --------------------------------------------------------------------------


def cmd_rules_check(args: argparse.Namespace, settings: Settings) -> int:
    directory = Path(args.directory) if args.directory else None
    try:
        catalogue = load_catalogue(directory) if directory else load_catalogue()
    except RulebookError as exc:
        print(f"rulebook error: {exc}", file=sys.stderr)
        return 1
    books = list(catalogue)
    if not books:
        print("no rulebook files found", file=sys.stderr)
        return 1
    for r in books:
        items = sum(len(a.items) for a in r.articles)
        print(
            f"ok  {r.id} v{r.version}  {r.content_hash[:12]}  effective {r.effective_from}"
            f"  {items} items, {len(r.derived_rules)} derived rules"
        )
    return 0


def cmd_rules_show(args: argparse.Namespace, settings: Settings) -> int:
    try:
        rulebook = load_catalogue().get(args.rulebook_id, args.version)
    except KeyError:
        print(f"no rulebook {args.rulebook_id}", file=sys.stderr)
        return 1
    print(json.dumps(rulebook.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


def _rulebook_arg(spec: str) -> Rulebook:
    """A rulebook named as ``ID``, ``ID@VERSION`` or the path of a YAML file (a draft)."""
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return parse_draft(path.read_bytes(), str(path))
    return named(load_catalogue(), spec)


def cmd_rules_diff(args: argparse.Namespace, settings: Settings) -> int:
    """What changes from OLD to NEW, article by article and parameter by parameter."""
    try:
        old, new = _rulebook_arg(args.old), _rulebook_arg(args.new)
    except DraftError as exc:
        for p in exc.problems:
            print(f"{p.file}:{p.line}: {p.field or '(top level)'}: {p.reason}", file=sys.stderr)
        return 1
    except (KeyError, ValueError, OSError) as exc:
        print(f"no such rulebook: {exc}", file=sys.stderr)
        return 1
    changes = diff(old, new)
    if args.json:
        print(json.dumps([c.as_dict() for c in changes], ensure_ascii=False, indent=2))
        return 0
    print(f"{old.id} v{old.version} -> {new.id} v{new.version}: {len(changes)} change(s)")
    for c in changes:
        where = f"{c.subject} {c.parameter}".rstrip()
        print(f"  {c.kind:<16} {where}\n      {c.text_zh}\n      {c.text_en}")
    return 0


# --- verification -----------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as app:
        checked = 0
        for aggregate_id in app.records.all_originators():
            broken = app.records.verify_aggregate(aggregate_id)
            checked += 1
            if broken is not None:
                label = str(aggregate_id)
                try:
                    agg: object = app.store.repository.get(aggregate_id)
                    if isinstance(agg, Institution):
                        label = f"institution {agg.name} ({agg.credit_code}, {aggregate_id})"
                except Exception:  # a damaged record may not load; the id still names it
                    label = f"record {aggregate_id}"
                print(
                    f"BROKEN  {label}: first break at event {broken.position}: {broken.reason}",
                    file=sys.stderr,
                )
                return 2
        print(f"ok  {checked} hash chains verified")
        return 0


# --- workers ----------------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if args.worker == "projections":
        projection_worker_process(settings)
        return 0
    if args.worker == "notices":
        notice_worker_process(settings, once=args.once)
        return 0
    configure_logging(settings.log_format, settings.log_level)
    with opened(settings) as app, closing(build_projections(settings, app)) as projections:
        store = heartbeat_store(settings, app)
        started_collector()
        try:
            deadlines.main(
                app,
                once=args.once,
                interval=settings.deadline_interval_seconds,
                coordinator=coordinator(settings, "deadlines", store),
                index=None if args.full_scan else DueIndex(projections),
            )
        finally:
            store.close()
    return 0


def projection_worker_process(
    settings: Settings, *, poll_interval: float = 0.5, batch_size: int = DEFAULT_BATCH_SIZE
) -> None:
    """``oversight worker projections``: the read models kept current until SIGTERM."""
    configure_logging(settings.log_format, settings.log_level)
    with (
        opened(settings) as app,
        closing(build_projections(settings, app, batch_size=batch_size)) as projections,
    ):
        started_collector()
        projection_worker.main(
            projections,
            poll_interval=poll_interval,
            coordinator=coordinator(settings, "projections", projections.store),
            clock=system_clock,
        )


def cmd_projections(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as app, closing(build_projections(settings, app)) as projections:
        return projection_worker.command(projections, args.action, args.name, args.all)


# --- spot-check draws ------------------------------------------------------------------


def cmd_draw(args: argparse.Namespace, settings: Settings) -> int:
    """Re-run a campaign's draw from its seed and pools: from the store (a campaign id) or,
    offline, from a published result saved as JSON (a file path)."""
    target = str(args.campaign)
    try:
        campaign: UUID | None = UUID(target)
    except ValueError:
        campaign = None
    if campaign is not None:
        with opened(settings) as app:
            published = app.records.campaign(SYSTEM, campaign).publication()
    elif Path(target).is_file():
        published = json.loads(Path(target).read_text(encoding="utf-8"))
    else:
        print(f"{target} is neither a campaign id nor a file", file=sys.stderr)
        return 1
    check = verify_publication(published)
    label = f"campaign {published.get('reference', '?')} ({published.get('campaign_id', '?')})"
    if check.matches:
        print(
            f"ok  {label}: {len(check.recomputed.targets)} targets and their groups reproduced"
            f" from seed {published['seed']!r} ({published['seed_source']}),"
            f" {len(published['institution_pool'])} institutions,"
            f" {len(published['supervisor_pool'])} supervisors,"
            f" {len(published['barred_pairs'])} barred pairs"
        )
        return 0
    print(f"MISMATCH  {label}:", file=sys.stderr)
    for difference in check.differences:
        print(f"  {difference}", file=sys.stderr)
    return 2


# --- encryption, export and import ------------------------------------------------------


def cmd_keygen(args: argparse.Namespace, settings: Settings) -> int:
    """Print a new AES-256 key for OVERSIGHT_CIPHER_KEY."""
    print(base64.b64encode(secrets.token_bytes(32)).decode())
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as app:
        if args.file == "-":
            count = export_events(app.store, sys.stdout)
        else:
            with open(args.file, "w", encoding="utf-8") as out:
                count = export_events(app.store, out)
        print(f"exported {count} events", file=sys.stderr)
        return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    with open(args.file, encoding="utf-8") as source, opened(settings) as app:
        count = import_events(app.store, source)
    print(f"imported {count} events; rebuild the read models: oversight projections rebuild --all")
    return 0


def add_transfer_commands(sub: Any) -> None:
    sub.add_parser("keygen", help="print a new key for OVERSIGHT_CIPHER_KEY")
    export = sub.add_parser("export", help="write every event, with its hashes, as JSON lines")
    export.add_argument("file", nargs="?", default="-", help="a file, or - for stdout")
    restore = sub.add_parser("import", help="load an export into an empty store")
    restore.add_argument("file", help="a file written by 'oversight export'")


# --- parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oversight", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the API (demo data with OVERSIGHT_DEMO_DATA=true)")
    serve.add_argument(
        "--loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="the event loop (auto: uvloop where it is installed)",
    )
    serve.add_argument(
        "--http",
        choices=("auto", "httptools", "h11"),
        default="auto",
        help="the HTTP parser (auto: httptools where it is installed)",
    )

    token = sub.add_parser("token", help="create, list or revoke bearer tokens")
    tsub = token.add_subparsers(dest="action", required=True)
    create = tsub.add_parser("create", help="issue a token; the secret is printed once")
    create.add_argument("--user", help="a user's token: acts as that user (role and scope)")
    create.add_argument("--subject", help="who holds it, e.g. 'zhang.wei' (without --user)")
    create.add_argument("--role", choices=ROLES, help="its role (without --user)")
    create.add_argument("--jurisdiction", help="scope: a jurisdiction, e.g. chengdu")
    create.add_argument("--district", help="scope: a district of the jurisdiction")
    create.add_argument("--institution", type=UUID, help="scope: one institution id")
    create.add_argument("--credit-code", help="scope: the institution with this credit code")
    create.add_argument("--note", help="free text kept with the token")
    create.add_argument(
        "--expires-in",
        type=positive_days,
        default=DEFAULT_TOKEN_DAYS,
        metavar="DAYS",
        help=f"refused from this many days on (default {DEFAULT_TOKEN_DAYS})",
    )
    tlist = tsub.add_parser("list", help="every token issued, with its state")
    tlist.add_argument("--json", action="store_true")
    revoke = tsub.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id", type=UUID)
    revoke.add_argument("--reason", default="revoked by an administrator")

    rules = sub.add_parser("rules", help="validate or print rulebooks")
    rsub = rules.add_subparsers(dest="action", required=True)
    check = rsub.add_parser("check", help="validate every rulebook file")
    check.add_argument("--directory", help="another rulebook directory to check")
    show = rsub.add_parser("show", help="print one rulebook as JSON")
    show.add_argument("rulebook_id")
    show.add_argument("--version", type=int)
    rdiff = rsub.add_parser("diff", help="the changes from one rulebook version to another")
    rdiff.add_argument("old", help="ID, ID@VERSION or a YAML file")
    rdiff.add_argument("new", help="ID, ID@VERSION or a YAML file (a draft)")
    rdiff.add_argument("--json", action="store_true")
    add_impact_arguments(
        rsub.add_parser("impact", help="every institution replayed under a draft rulebook")
    )

    sub.add_parser("verify", help="check every hash chain; names the first break")
    sub.add_parser("migrate", help="create the store's and read models' tables (idempotent)")

    worker = sub.add_parser("worker", help="run a background worker until SIGTERM")
    worker.add_argument("worker", choices=["projections", "deadlines", "notices"])
    worker.add_argument("--once", action="store_true", help="deadlines, notices: one pass")
    worker.add_argument(
        "--full-scan",
        action="store_true",
        help="deadlines: read every record, not only those the deadlines read model has due",
    )

    proj = sub.add_parser("projections", help="read-model status and rebuilds")
    proj.add_argument("action", choices=["status", "rebuild"])
    proj.add_argument("name", nargs="?")
    proj.add_argument("--all", action="store_true")

    drawp = sub.add_parser("draw", help="random spot-check draws (双随机)")
    dsub = drawp.add_subparsers(dest="draw_action", required=True)
    dverify = dsub.add_parser("verify", help="re-run a draw from its seed and compare")
    dverify.add_argument("campaign", help="a campaign id, or a published result saved as JSON")
    add_transfer_commands(sub)
    add_notice_arguments(sub)
    add_register_arguments(
        sub.add_parser("import-register", help="bring in the register kept before (xlsx, csv)")
    )
    conf = sub.add_parser("config", help="print docs/configuration.md from the settings")
    conf.add_argument("action", choices=["docs"])
    add_bench_arguments(sub.add_parser("bench", help="a synthetic province, measured (make bench)"))
    HANDLERS.update(add_user_commands(sub))
    return parser


def positive_days(value: str) -> int:
    days = int(value)
    if days < 1:
        raise argparse.ArgumentTypeError("a token is valid for at least one day")
    return days


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from bootstrap.bench.run import main as bench

    return bench(BenchOptions.of(args))


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """``oversight migrate``: the store's and read models' tables, safe from every replica."""
    return migrate_command(settings)


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    """``oversight config docs``: write docs/configuration.md from the settings class."""
    return config_docs()


HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("serve", None): cmd_serve,
    ("token", "create"): cmd_token_create,
    ("token", "list"): cmd_token_list,
    ("token", "revoke"): cmd_token_revoke,
    ("rules", "check"): cmd_rules_check,
    ("rules", "show"): cmd_rules_show,
    ("rules", "diff"): cmd_rules_diff,
    ("rules", "impact"): cmd_rules_impact,
    ("verify", None): cmd_verify,
    ("migrate", None): cmd_migrate,
    ("worker", None): cmd_worker,
    ("projections", None): cmd_projections,
    ("draw", None): cmd_draw,
    ("keygen", None): cmd_keygen,
    ("export", None): cmd_export,
    ("import", None): cmd_import,
    ("import-register", None): cmd_import_register,
    ("bench", None): cmd_bench,
    ("config", None): cmd_config,
    ("notices", None): cmd_notices,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    action = getattr(args, "action", None) if args.command in ("token", "rules", "user") else None
    handler = HANDLERS[(args.command, action)]
    settings = Settings()
    try:
        return handler(args, settings)
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"refused{where}: {exc.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
