"""A small OpenID Connect issuer for the single sign-on tests, on a local port.

It exists only because no real issuer can run here: it serves the discovery document,
its public keys (JWKS), an authorization endpoint that answers at once for the user the
test chose, and a token endpoint that checks the client's secret, the code, the redirect
URI and the PKCE verifier (S256) before it signs an id_token with its test key (RS256).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "oversight-test"
CLIENT_SECRET = "test-client-secret"


@dataclass
class FakeIssuer:
    url: str
    clock: Callable[[], datetime]
    #: The claims the next sign-on vouches for (``sub`` and the rest).
    claims: dict[str, Any] = field(default_factory=dict)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "test-1"}))
    #: What the authorization endpoint received, per code.
    grants: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Change the next id_token's claims (a wrong nonce, another audience…).
    tamper: dict[str, Any] = field(default_factory=dict)
    #: Sign the next id_token with another key than the published one.
    foreign_key: bool = False
    requests: list[str] = field(default_factory=list)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Where the issuer sends the browser back: the redirect URI with a code."""
        code = secrets.token_urlsafe(16)
        self.grants[code] = query
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {basic}":
            return 401, {"error": "invalid_client"}
        grant = self.grants.pop(form.get("code", ""), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if grant.get("code_challenge_method") != "S256" or challenge != grant["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(self.clock().timestamp())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **self.claims,
            **self.tamper,
        }
        key = RSAKey.generate_key(2048, {"kid": "test-1"}) if self.foreign_key else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "test-1"}, claims, key)
        return 200, {"access_token": "at", "token_type": "Bearer", "id_token": id_token}


def _handler(issuer: FakeIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            issuer.requests.append(f"GET {parts.path}")
            if parts.path == "/.well-known/openid-configuration":
                self._json(200, issuer.discovery())
            elif parts.path == "/jwks":
                self._json(200, {"keys": [issuer.key.as_dict(private=False)]})
            elif parts.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self.send_response(302)
                self.send_header("Location", issuer.authorize(query))
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            issuer.requests.append(f"POST {self.path}")
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            status, body = issuer.token(form, self.headers.get("Authorization", ""))
            self._json(status, body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_issuer(clock: Callable[[], datetime]) -> Iterator[FakeIssuer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    issuer = FakeIssuer(f"http://127.0.0.1:{server.server_address[1]}", clock)
    server.RequestHandlerClass = _handler(issuer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
