"""Single sign-on with OpenID Connect: the authorization-code flow with PKCE (S256).

Authlib's OAuth 2 client makes the authorization URL (with ``state``, ``nonce`` and the
code challenge) and redeems the code with the verifier at the issuer's token endpoint;
joserfc (Authlib's JOSE library) checks the id_token: its signature against the issuer's
published keys (JWKS), its issuer, audience (our client id), nonce, and its expiry on the
application's clock. Its claims then name a local user (``oidc_username_claim``) and,
when configured, that user's role and scope (see ``Settings.oidc_*``).

Between the redirect to the issuer and its answer, ``state``, ``nonce``, the verifier and
where to go after are kept in a short-lived cookie signed like the session (HttpOnly,
SameSite=Lax so that the issuer's top-level redirect back carries it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from config.settings import Settings

FLOW_COOKIE = "oversight_oidc"
FLOW_SECONDS = 600
#: Signature algorithms accepted on an id_token (never ``none``, never HMAC with a shared
#: secret we might be tricked into using as a key).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
TIMEOUT = 10


class SignOnFailed(Exception):
    """The sign-on did not prove who the user is (shown on the sign-in page)."""


@dataclass(frozen=True)
class Flow:
    """What the callback must match: the state, the nonce, the PKCE verifier, where next."""

    state: str
    nonce: str
    verifier: str
    next_url: str
    expires: int


@dataclass(frozen=True)
class Identity:
    """Who the issuer vouched for, as the settings map its claims."""

    name: str
    display_name: str
    role: str | None
    jurisdiction: str | None
    district: str | None


class OidcClient:
    def __init__(self, settings: Settings, secret: str) -> None:
        if not settings.oidc_issuer or not settings.oidc_client_id:
            raise ValueError("single sign-on needs OVERSIGHT_OIDC_ISSUER and _CLIENT_ID")
        self.settings = settings
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.key = hashlib.sha256(b"oidc-flow:" + secret.encode()).digest()
        self._metadata: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, settings: Settings) -> OidcClient | None:
        """The client the settings configure, or None without an issuer."""
        if not settings.oidc_enabled:
            return None
        return cls(settings, settings.session_secret.get_secret_value())

    # --- the issuer ---------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document (read once), whose ``issuer`` must be its own."""
        with self._lock:
            if self._metadata is None:
                url = f"{self.issuer}/.well-known/openid-configuration"
                document = _get_json(url)
                if str(document.get("issuer", "")).rstrip("/") != self.issuer:
                    raise SignOnFailed("the discovery document names another issuer")
                self._metadata = document
            return self._metadata

    def _session(self, redirect_uri: str) -> OAuth2Session:
        secret = self.settings.oidc_client_secret
        return OAuth2Session(
            client_id=self.client_id,
            client_secret=secret.get_secret_value() if secret else None,
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
            scope=self.settings.oidc_scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )

    # --- the two legs -------------------------------------------------------------------

    def start(self, redirect_uri: str, next_url: str, now: datetime) -> tuple[str, str]:
        """The issuer's authorization URL and the signed flow cookie's value."""
        flow = Flow(
            state=generate_token(32),
            nonce=generate_token(32),
            verifier=generate_token(64),
            next_url=next_url,
            expires=int(now.timestamp()) + FLOW_SECONDS,
        )
        url, _ = self._session(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=flow.state,
            code_verifier=flow.verifier,
            nonce=flow.nonce,
        )
        return url, self._sign(flow)

    def finish(
        self, redirect_uri: str, cookie: str, params: dict[str, str], now: datetime
    ) -> tuple[Identity, str]:
        """The identity the issuer vouched for on its redirect back, and where to go."""
        flow = self._read(cookie, now)
        if "error" in params:
            raise SignOnFailed(f"the issuer answered {params['error'][:100]}")
        if not hmac.compare_digest(params.get("state", ""), flow.state):
            raise SignOnFailed("the answer does not belong to this sign-on (state)")
        code = params.get("code", "")
        if not code:
            raise SignOnFailed("the issuer sent no code")
        try:
            token = self._session(redirect_uri).fetch_token(
                self.metadata()["token_endpoint"],
                code=code,
                code_verifier=flow.verifier,
                timeout=TIMEOUT,
            )
        except Exception as exc:  # the library raises its own errors and requests' ones
            raise SignOnFailed(f"the token endpoint refused the code: {exc}"[:200]) from None
        claims = self.verified_claims(str(token.get("id_token", "")), flow.nonce, now)
        return self.identity(claims), flow.next_url

    def verified_claims(self, id_token: str, nonce: str, now: datetime) -> dict[str, Any]:
        if not id_token:
            raise SignOnFailed("the token endpoint sent no id_token")
        keys = KeySet.import_key_set(_get_json(self.metadata()["jwks_uri"]))  # type: ignore[arg-type]
        try:
            decoded = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
            jwt.JWTClaimsRegistry(
                now=int(now.timestamp()),
                leeway=60,
                iss={"essential": True, "value": self.metadata()["issuer"]},
                aud={"essential": True, "value": self.client_id},
                nonce={"essential": True, "value": nonce},
                exp={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise SignOnFailed(f"the id_token does not hold: {exc}"[:200]) from None
        return dict(decoded.claims)

    def identity(self, claims: dict[str, Any]) -> Identity:
        s = self.settings
        name = claims.get(s.oidc_username_claim)
        if not isinstance(name, str) or not name:
            raise SignOnFailed(f"the id_token has no {s.oidc_username_claim!r} claim")
        role = None
        if s.oidc_role_claim is not None:
            value = claims.get(s.oidc_role_claim)
            values = value if isinstance(value, list) else [value]
            mapped = [s.oidc_roles.get(str(v), str(v)) for v in values if v]
            role = next(iter(mapped), None)
            if role is None:
                raise SignOnFailed(f"the id_token has no {s.oidc_role_claim!r} claim")
        return Identity(
            name=name,
            display_name=str(claims.get("name") or ""),
            role=role,
            jurisdiction=_claim(claims, s.oidc_jurisdiction_claim),
            district=_claim(claims, s.oidc_district_claim),
        )

    # --- the flow cookie ----------------------------------------------------------------

    def _sign(self, flow: Flow) -> str:
        body = base64.urlsafe_b64encode(json.dumps(flow.__dict__).encode()).decode()
        return f"{body}.{hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()}"

    def _read(self, cookie: str, now: datetime) -> Flow:
        body, _, signature = cookie.rpartition(".")
        expected = hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()
        if not body or not hmac.compare_digest(signature, expected):
            raise SignOnFailed("the sign-on was not started here, or took too long")
        flow = Flow(**json.loads(base64.urlsafe_b64decode(body)))
        if now.timestamp() >= flow.expires:
            raise SignOnFailed("the sign-on took too long; start again")
        return flow


def _claim(claims: dict[str, Any], name: str | None) -> str | None:
    if name is None:
        return None
    value = claims.get(name)
    return str(value) if value else None


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignOnFailed(f"the issuer could not be read at {url}: {exc}"[:200]) from None
    if not isinstance(document, dict):
        raise SignOnFailed(f"the issuer sent no JSON object at {url}")
    return document
