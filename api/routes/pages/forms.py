"""The pages' forms: CSRF, one command per Idempotency-Key, refusals next to their field.

A form page is a :class:`Step` — what the form shows (read and authorised for the caller),
the one application command its POST runs, and where to go after — served by two handlers
(:func:`show` and :func:`submit`; :mod:`.workbench` registers them)::

    GET  …  → view(page, path parameters)              → the template, with a fresh form
    POST …  → CSRF + Origin → view → run(once, view, fields) → 303 to ``done(view)``
                                                   or the template again with the refusal

Protection, on every POST of a form:

- **CSRF**: the form carries ``csrf_token``, an HMAC-SHA256 of the session cookie under
  ``Settings.form_secret``; a POST without it, with another, or with an ``Origin`` (or,
  without one, a ``Referer``) of another site is refused (403) before anything is read.
  The session cookie is also ``SameSite=Strict``.
- **Double submission**: each rendered form carries a fresh ``idempotency_key``; the POST
  runs its command through :class:`api.commands.Once`, keyed by the signed-in subject and
  that key, exactly as the API's ``Idempotency-Key`` header. The same form sent twice
  records one set of events; the second answer is the first one's result.
- **Hostile input**: a body that is not the form (another content type, over
  :data:`MAX_FORM_BYTES` or :data:`MAX_FORM_FIELDS`, a multipart body that does not parse)
  is refused whole before anything is read (:class:`FormUnreadable`, 415, 413 or 400).
  Within the form, a value that is not UTF-8, a field the form does not have, a field of
  one value sent twice, a control character (other than tab and line breaks) or a lone
  surrogate is refused beside its field (422, :meth:`Fields.check`) before the command
  runs.
- **Refusals**: a :class:`DomainError` from the command renders the form again with the
  values sent, a fresh key, the status the API would answer (422, 409, 403, 404) and a
  :class:`Refusal` beside the field it names: a headline in the page's language (the kind
  of refusal and the field's label), the domain's own message (English), and the text of
  every article it cites from the rulebook, in both languages. A 403 or 404 of the step
  itself (the record is outside the caller's scope, the role may not act) is the error page.

With htmx (``hx-post``, :file:`workbench/_form.html`), a refused form is swapped in place
(``hx-select`` of the same full page) and a success answers ``HX-Redirect``; without
JavaScript the same handlers answer full pages and a 303.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Generic, TypeVar, get_origin
from urllib.parse import unquote_to_bytes, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from api.commands import Once
from api.deps import SESSION_COOKIE, get_app
from api.errors import STATUS
from api.i18n import Translator
from api.routes.pages.common import (
    PageContext,
    SignedIn,
    SignedInDep,
    get_store,
    page_translator,
)
from api.schemas.fields import first_control
from domain.errors import DomainError, InvalidInput
from domain.ledger import Context
from projections.rulebook_items import ArticleText, article_texts

CSRF_FIELD = "csrf_token"
KEY_FIELD = "idempotency_key"
#: Form fields that are the machinery's, not the command's.
MACHINERY = frozenset({CSRF_FIELD, KEY_FIELD})
#: The largest form body read (a form's longest texts fit, percent-encoded: 8,000 Chinese
#: characters are 72,000 bytes); a longer one is refused whole (413), never cut.
MAX_FORM_BYTES = 262_144
#: The most fields a form body may carry (the longest form has about twenty).
MAX_FORM_FIELDS = 200
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
MAX_KEY_LENGTH = 200
#: Fields the domain names by their API spelling, as the forms name them.
FORM_NAMES = {"Idempotency-Key": KEY_FIELD}

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


# --- CSRF ------------------------------------------------------------------------------


def csrf_token(secret: str, session: str) -> str:
    """The form token of a session: HMAC-SHA256 of its cookie under the form secret."""
    return hmac.new(secret.encode(), b"csrf:" + session.encode(), hashlib.sha256).hexdigest()


def same_origin(request: Request) -> bool:
    """The request's ``Origin`` (or, without one, its ``Referer``) is this site, or absent."""
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == request.url.netloc
    referer = request.headers.get("referer")
    return referer is None or urlsplit(referer).netloc == request.url.netloc


class FormRefused(Exception):
    """A form POST failed the CSRF checks; nothing was read or recorded (403)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FormUnreadable(Exception):
    """A form body that cannot be read as the form sent: of another content type, too
    large, with too many fields, or a multipart body that does not parse. Nothing was
    read or recorded; ``reason`` words it (``form.unreadable.<reason>``)."""

    def __init__(self, status: int, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.params = params


def content_type(request: Request) -> str:
    """The request's media type, without its parameters, in lower case."""
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def require_content_type(request: Request, *expected: str) -> None:
    """Refuse (415) a body that is not of the form's content type (one of ``expected``)."""
    sent = content_type(request)
    if sent not in expected:
        raise FormUnreadable(415, "content_type", sent=sent or "—", expected=expected[0])


async def read_form(request: Request, **limits: int) -> FormData:
    """A form body (``multipart/form-data`` or not) within ``limits`` (``max_files``,
    ``max_fields``, ``max_part_size``); a body the parser refuses (a wrong boundary, a
    limit passed) is :class:`FormUnreadable` with the parser's words (400)."""
    try:
        return await request.form(**limits)
    except HTTPException as exc:
        raise FormUnreadable(exc.status_code, "multipart", cause=exc.detail) from None


def _form_secret(request: Request) -> str:
    return str(request.app.state.settings.form_secret.get_secret_value())


# --- what a form sends -----------------------------------------------------------------


def _decoded(raw: bytes) -> str | None:
    """One name or value of an ``application/x-www-form-urlencoded`` body; None if it is
    not UTF-8 (which also refuses an encoded lone surrogate)."""
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class Fields:
    """The fields of a posted form, each with every value sent (spaces trimmed)."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: What a value held as sent, before its spaces were trimmed: ``(field, reason)`` of a
    #: value that is not UTF-8 or holds a control character; :meth:`check` refuses them.
    problems: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str | None]], *, strip: bool = True) -> Fields:
        """The fields ``(name, value)`` as sent (``None``: a value that is not UTF-8), each
        value's spaces trimmed unless not ``strip`` (a password)."""
        values: dict[str, tuple[str, ...]] = {}
        problems: list[tuple[str, str]] = []
        for name, value in pairs:
            if value is None:
                problems.append((name, f"{name} is not valid UTF-8"))
            elif (bad := first_control(value, "\t\r\n")) is not None:
                at, char = bad
                reason = f"{name} holds the character U+{ord(char):04X} at {at}"
                problems.append((name, reason + "; only tab and line breaks are allowed"))
            value = value or ""
            values[name] = (*values.get(name, ()), value.strip() if strip else value)
        return cls(values, tuple(problems))

    @classmethod
    def parse(cls, body: bytes, *, strip: bool = True) -> Fields:
        """An ``application/x-www-form-urlencoded`` body (:meth:`of`); one over
        :data:`MAX_FORM_BYTES` or :data:`MAX_FORM_FIELDS` is refused whole (413)."""
        if len(body) > MAX_FORM_BYTES:
            raise FormUnreadable(413, "too_large", limit=MAX_FORM_BYTES)
        pairs = [pair.partition(b"=") for pair in body.split(b"&") if pair]
        if len(pairs) > MAX_FORM_FIELDS:
            raise FormUnreadable(413, "too_many", limit=MAX_FORM_FIELDS)
        fields: list[tuple[str, str | None]] = []
        for raw_name, _, raw_value in pairs:
            name, value = _decoded(raw_name), _decoded(raw_value)
            if name is None:  # named by what can be read of it, refused as not UTF-8
                name, value = unquote_to_bytes(raw_name).decode("utf-8", "replace"), None
            fields.append((name, value))
        return cls.of(fields, strip=strip)

    def check(self, accepted: Collection[str], lists: Collection[str] = ()) -> None:
        """Refuse, naming the field, what no browser sends for this form: a value that is not
        UTF-8 or holds a control character other than tab and line breaks (or a lone
        surrogate), a field the form does not have (``accepted``), a field of one value
        sent more than once (only ``lists`` take several)."""
        for name, reason in self.problems:
            raise InvalidInput(reason, field=name)
        for name, sent in self.values.items():
            if name not in accepted and name not in MACHINERY:
                raise InvalidInput(f"{name} is not a field of this form", field=name)
            if len(sent) > 1 and name not in lists:
                raise InvalidInput(
                    f"{name} was sent {len(sent)} times; it takes one value", field=name
                )

    def get(self, name: str) -> str:
        """The first value of ``name``; ``""`` when not sent."""
        return next(iter(self.values.get(name, ())), "")

    def all(self, name: str) -> list[str]:
        """Every non-empty value of ``name`` (checkboxes, multi-selects), in order."""
        return [v for v in self.values.get(name, ()) if v]

    def lines(self, name: str) -> list[str]:
        """The non-empty lines of a text area."""
        return [line.strip() for line in self.get(name).splitlines() if line.strip()]

    def text(self, name: str, *, required: bool = False) -> str:
        value = self.get(name)
        if required and not value:
            raise InvalidInput(f"{name} must not be empty", field=name)
        return value

    def date(self, name: str) -> date | None:
        value = self.get(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{name} must be a date written YYYY-MM-DD", field=name) from None

    def integer(self, name: str) -> int | None:
        value = self.get(name)
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise InvalidInput(f"{name} must be a whole number", field=name) from None

    def choice(self, name: str, options: Sequence[str]) -> str:
        value = self.get(name)
        if value not in options:
            raise InvalidInput(f"{name} must be one of {', '.join(options)}", field=name)
        return value

    def body(self, model: type[M], **given: object) -> M:
        """The form as the API's request body ``model``, validated with the API's limits.

        Each field of ``model`` the form sent is taken (every value for a list field, an
        empty value left out so the model's default applies); ``given`` values win. A value
        the model refuses is an :class:`InvalidInput` naming its field.
        """
        data: dict[str, object] = {}
        for name, info in model.model_fields.items():
            if name not in self.values:
                continue
            if get_origin(info.annotation) is list:
                data[name] = self.all(name)
            elif self.get(name):
                data[name] = self.get(name)
        data.update(given)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = str(error["loc"][0]) if error["loc"] else None
            raise InvalidInput(f"{where}: {error['msg']}", field=where) from None

    def fingerprint(self, method: str, path: str) -> str:
        """What makes two posts "the same request" for the Idempotency-Key: the address
        and the command's fields (not the form's tokens), in a fixed order."""
        content = sorted((k, v) for k, v in self.values.items() if k not in MACHINERY)
        return hashlib.sha256(f"{method} {path}\n{content!r}".encode()).hexdigest()


# --- refusals --------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A refused command as a form shows it, beside the field it names."""

    status: int
    #: The kind of refusal (``rule-refusal``, ``invalid-input``, ``conflict``…).
    kind: str
    field: str | None
    #: The domain's own message (English).
    detail: str
    #: The articles it cites, with their text from the rulebook.
    articles: tuple[ArticleText, ...] = ()

    @classmethod
    def of(cls, exc: DomainError, articles: tuple[ArticleText, ...] = ()) -> Refusal:
        status, kind = next((s, k) for c, s, k in STATUS if isinstance(exc, c))
        name = FORM_NAMES.get(exc.field, exc.field) if exc.field else None
        return cls(status, kind, name, exc.detail, articles)

    def headline(self, tr: Translator) -> str:
        """``<field label>：<kind of refusal>`` in the page's language."""
        what = tr(f"refusal.{self.kind}")
        if not self.field:
            return what
        label = tr.field(self.field)
        return f"{label}：{what}" if tr.lang == "zh" else f"{label[:1].upper()}{label[1:]}: {what}"


@dataclass(frozen=True)
class FormState:
    """What the form macros read: the tokens, the values to show, the refusal."""

    action: str
    csrf: str
    #: A fresh Idempotency-Key for this rendering of the form.
    key: str
    #: The names of the fields the form shows (a refusal naming another is shown on top).
    names: frozenset[str]
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    refusal: Refusal | None = None

    def value(self, name: str, default: object = "") -> str:
        sent = self.values.get(name)
        if sent is not None:
            return next(iter(sent), "")
        return "" if default is None else str(default)

    def chosen(self, name: str, option: object, default: Sequence[object] = ()) -> bool:
        """Whether ``option`` is selected or checked (what was sent, else the defaults)."""
        if name in self.values:
            return str(option) in self.values[name]
        return str(option) in {str(d) for d in default}

    def error(self, name: str) -> Refusal | None:
        """The refusal, on the field it names."""
        return self.refusal if self.refusal and self.refusal.field == name else None

    @property
    def general(self) -> Refusal | None:
        """The refusal, when it names no field of this form."""
        if self.refusal is None or self.refusal.field in self.names:
            return None
        return self.refusal


# --- steps -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step(Generic[T]):
    """One form of the pages: what it shows, the command it runs, where it goes after."""

    #: The template under ``api/templates/``; it renders ``form`` (a :class:`FormState`)
    #: and ``view`` (what ``view`` returned).
    template: str
    #: The form's fields, by the names the domain's refusals use.
    names: tuple[str, ...]
    #: Read and authorise what the form shows, from the page and the address's path
    #: parameters (raises NotFound or Forbidden).
    view: Callable[[SignedIn, Mapping[str, str]], T]
    #: The one application command, through ``once``.
    run: Callable[[Once, T, Fields], object]
    #: Where the browser goes after the command was recorded.
    done: Callable[[T], str]
    #: The values a fresh form shows.
    defaults: Callable[[SignedIn, T], Mapping[str, object]] = lambda page, view: {}
    #: The form's inputs that are not in ``names`` (a contact's name and phone).
    inputs: tuple[str, ...] = ()
    #: The inputs that take several values (checkboxes); every other one takes one.
    lists: tuple[str, ...] = ()

    def check(self, fields: Fields) -> None:
        """Refuse what this form's inputs cannot have sent (:meth:`Fields.check`)."""
        fields.check({*self.names, *self.inputs}, self.lists)


@dataclass(frozen=True)
class Forms:
    """A signed-in page request that renders or receives a form."""

    page: SignedIn
    secret: str

    @property
    def request(self) -> Request:
        return self.page.request

    def token(self) -> str:
        return csrf_token(self.secret, self.request.cookies.get(SESSION_COOKIE, ""))

    def render(
        self,
        step: Step[T],
        view: T,
        *,
        values: Mapping[str, tuple[str, ...]] | None = None,
        refusal: Refusal | None = None,
    ) -> HTMLResponse:
        if values is None:
            defaults = step.defaults(self.page, view)
            values = {k: _as_values(v) for k, v in defaults.items() if v is not None}
        query = self.request.url.query
        form = FormState(
            action=self.request.url.path + (f"?{query}" if query else ""),
            csrf=self.token(),
            key=secrets.token_urlsafe(18),
            names=frozenset(step.names),
            values=values,
            refusal=refusal,
        )
        status = refusal.status if refusal else 200
        return self.page.render(step.template, status_code=status, form=form, view=view)

    async def posted(self) -> Fields:
        """The form sent, once its CSRF token and origin are checked."""
        if not same_origin(self.request):
            raise FormRefused("origin")
        body = await self.request.body()
        if body or content_type(self.request):  # an empty post is a form without its token
            require_content_type(self.request, URLENCODED)
        fields = Fields.parse(body)
        if not hmac.compare_digest(fields.get(CSRF_FIELD), self.token()):
            raise FormRefused("token")
        return fields

    def once(self, fields: Fields) -> Once:
        """The command context of this post, keyed by the signed-in subject and the form's
        Idempotency-Key."""
        key = fields.get(KEY_FIELD)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput("the form carries no Idempotency-Key; reload it", field=KEY_FIELD)
        request = self.request
        ctx = Context(
            principal=self.page.principal,
            request_id=request.state.request_id,
            idempotency_key=key,
            fingerprint=fields.fingerprint(request.method, request.url.path),
        )
        return Once(self.page.app, ctx, Response())

    def refusal(self, exc: DomainError) -> Refusal:
        return Refusal.of(exc, article_texts(self.page.app, exc.articles))

    def done(self, url: str) -> Response:
        """After the command: to ``url`` (htmx follows ``HX-Redirect``, a browser the 303)."""
        if self.request.headers.get("hx-request") == "true":
            response = Response(status_code=200, headers={"HX-Redirect": url})
        else:
            response = RedirectResponse(url, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        return response


def _as_values(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(str(v) for v in value)
    return (str(value),)


def get_forms(request: Request, page: SignedInDep) -> Forms:
    return Forms(page, _form_secret(request))


FormsDep = Annotated[Forms, Depends(get_forms)]


# --- the two handlers of a step --------------------------------------------------------


def register(router: APIRouter, path: str, step: Step[Any]) -> None:
    """``GET path`` shows the step's form, ``POST path`` takes it."""

    async def take(forms: FormsDep) -> Response:
        return await submit(step, forms)

    def form(forms: FormsDep) -> Response:
        return show(step, forms)

    router.add_api_route(path, form, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(path, take, methods=["POST"], response_class=HTMLResponse)


def show(step: Step[Any], forms: Forms) -> Response:
    """GET: the form, fresh (or the error page when the caller may not take the step)."""
    try:
        view = step.view(forms.page, forms.request.path_params)
    except DomainError as exc:
        return forms.page.refused(exc)
    return forms.render(step, view)


async def submit(step: Step[Any], forms: Forms) -> Response:
    """POST: checks, one command through ``Once``, then to where the step goes next."""
    fields = await forms.posted()
    try:
        view = step.view(forms.page, forms.request.path_params)
    except DomainError as exc:
        return forms.page.refused(exc)
    try:
        step.check(fields)
        step.run(forms.once(fields), view, fields)
    except DomainError as exc:
        return forms.render(step, view, values=fields.values, refusal=forms.refusal(exc))
    return forms.done(step.done(view))


async def form_refused(request: Request, exc: FormRefused) -> Response:
    """A form that failed the CSRF checks: 403, nothing recorded."""
    tr = page_translator(request)
    page = PageContext(request, get_app(request), tr, get_store(request))
    return page.render(
        "error.html",
        status_code=403,
        message=tr("form.refused"),
        detail=tr(f"form.refused.{exc.reason}"),
    )


async def form_unreadable(request: Request, exc: FormUnreadable) -> Response:
    """A form body that could not be read as the form: its status, nothing recorded."""
    tr = page_translator(request)
    page = PageContext(request, get_app(request), tr, get_store(request))
    return page.render(
        "error.html",
        status_code=exc.status,
        message=tr("form.refused"),
        detail=tr(f"form.unreadable.{exc.reason}", **exc.params),
    )
