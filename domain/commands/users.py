"""User accounts: create, list, change a role, disable, set a password, sign in.

The administrator's commands (``oversight user …``) act as ``SYSTEM`` unless a context is
given. A sign-in's events are the user's own: their actor is the user's name.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.access import SYSTEM, Principal, Registry, registry_id
from domain.base import Stamp
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ledger import Context, Ledger
from domain.users import Passwords, SignIn, User, check_password, user_id

USER_REGISTRY = "users"


class UserCommands:
    def __init__(self, ledger: Ledger, passwords: Passwords | None = None) -> None:
        self.ledger = ledger
        self._passwords = passwords
        self._decoy: str | None = None

    @property
    def passwords(self) -> Passwords:
        if self._passwords is None:
            raise RuntimeError("this application was built without a password hasher")
        return self._passwords

    def _stamp(self, ctx: Context | None, request_id: str) -> Stamp:
        return self.ledger.stamp(ctx or Context(SYSTEM, request_id))

    def known_jurisdiction(self, jurisdiction: str | None) -> None:
        if jurisdiction is not None and jurisdiction not in self.ledger.catalogue.jurisdictions():
            raise InvalidInput(f"unknown jurisdiction {jurisdiction!r}", field="jurisdiction")

    # --- the administrator's ----------------------------------------------------------

    def create_user(
        self,
        name: str,
        *,
        role: str,
        display_name: str = "",
        jurisdiction: str | None = None,
        district: str | None = None,
        institution: UUID | None = None,
        password: str | None = None,
        ctx: Context | None = None,
        request_id: str = "cli",
    ) -> User:
        """A new account; with ``password``, its first password too (one transaction)."""
        self.known_jurisdiction(jurisdiction)
        if password is not None:
            check_password(password)
        stamp = self._stamp(ctx, request_id)
        user = User.create(
            name,
            display_name=display_name,
            role=role,
            jurisdiction=jurisdiction,
            district=district,
            institution_id=institution,
            stamp=stamp,
        )
        if self.ledger.find(User, user.id) is not None:
            raise Conflict(f"a user named {user.name} exists", existing=str(user.id), field="name")
        if password is not None:
            user.set_password(self.passwords.hash(password), stamp)
        registry = self.ledger.find(Registry, registry_id(USER_REGISTRY))
        if registry is None:
            registry = Registry.open(USER_REGISTRY, stamp)
        registry.add(user.id, stamp)
        try:
            self.ledger.store.save(user, registry)
        except IntegrityError:
            raise Conflict(
                f"a user named {user.name} exists", existing=str(user.id), field="name"
            ) from None
        return user

    def set_password(
        self, name: str, password: str, *, ctx: Context | None = None, request_id: str = "cli"
    ) -> User:
        check_password(password)
        user = self.user(name)
        user.set_password(self.passwords.hash(password), self._stamp(ctx, request_id))
        self.ledger.store.save(user)
        return user

    def change_own_password(self, ctx: Context, current: str, new: str) -> User:
        """The signed-in user's new password, given its current one. A wrong current
        password counts as a failed sign-in (five in a row lock the account) and is
        refused naming ``current_password``."""
        name = ctx.principal.user
        if name is None:
            raise InvalidInput("only a user has a password", field="current_password")
        check_password(new)
        user = self.user(name)
        if not user.password_hash:
            raise InvalidInput("this account signs in by single sign-on", field="current_password")
        if not self.passwords.verify(user.password_hash, current[:1024]):
            self._sign_in(user, False, ctx.request_id, via="password")
            raise InvalidInput("the current password is wrong", field="current_password")
        if new == current:
            raise InvalidInput("the new password is the current one", field="password")
        user.set_password(self.passwords.hash(new), self.ledger.stamp(ctx))
        self.ledger.store.save(user)
        return user

    def change_role(
        self,
        name: str,
        *,
        role: str,
        jurisdiction: str | None = None,
        district: str | None = None,
        institution: UUID | None = None,
        ctx: Context | None = None,
        request_id: str = "cli",
    ) -> User:
        self.known_jurisdiction(jurisdiction)
        user = self.user(name)
        user.change_role(
            role=role,
            jurisdiction=jurisdiction,
            district=district,
            institution_id=institution,
            stamp=self._stamp(ctx, request_id),
        )
        self.ledger.store.save(user)
        return user

    def disable(
        self, name: str, reason: str, *, ctx: Context | None = None, request_id: str = "cli"
    ) -> User:
        user = self.user(name)
        user.disable(reason, self._stamp(ctx, request_id))
        self.ledger.store.save(user)
        return user

    # --- reading ----------------------------------------------------------------------

    def user(self, name: str) -> User:
        found = self.find(name)
        if found is None:
            raise NotFound(f"no user named {name.strip().lower()!r}", field="name")
        return found

    def find(self, name: str) -> User | None:
        try:
            uid = user_id(name)
        except InvalidInput:
            return None
        return self.ledger.find(User, uid)

    def users(self) -> list[User]:
        registry = self.ledger.find(Registry, registry_id(USER_REGISTRY))
        if registry is None:
            return []
        return [self.ledger.get(User, UUID(u)) for u in registry.entries]

    def principal_of(self, name: str, password_version: int | None = None) -> Principal | None:
        """The principal of an enabled user (for a session signed at ``password_version``:
        only while no other password was set since), else None."""
        user = self.find(name)
        if user is None or user.disabled:
            return None
        if password_version is not None and password_version != user.password_version:
            return None
        return user.principal()

    # --- signing in -------------------------------------------------------------------

    def sign_in(self, name: str, password: str, *, request_id: str) -> SignIn:
        """A sign-in by name and password. A wrong password is recorded (the fifth in a row
        locks the account); an unknown name costs the same hashing as a known one, so the
        time taken tells nothing."""
        user = self.find(name) if len(password) <= 1024 else None
        if user is None or not user.password_hash:
            self.passwords.verify(self._decoy_hash(), password[:1024])
            return SignIn("unknown")
        # Verified even for a disabled or locked account, so the time taken tells nothing.
        matches = self.passwords.verify(user.password_hash, password)
        return self._sign_in(user, matches, request_id, via="password")

    def sign_in_federated(
        self,
        name: str,
        *,
        issuer: str,
        request_id: str,
        role: str | None = None,
        jurisdiction: str | None = None,
        district: str | None = None,
        display_name: str = "",
        create: bool = False,
    ) -> SignIn:
        """A sign-in vouched for by the single sign-on ``issuer`` for the local user
        ``name``, enabled; a lock holds as for a password. With a ``role`` from the
        issuer's claims the user's role and scope follow it (a change is recorded, its
        actor ``sso:<issuer>``), and with ``create`` an unknown name becomes a user."""
        user = self.find(name)
        if role is not None and (user is None or not user.disabled):
            sso = Context(Principal(subject=f"sso:{issuer}", role="admin"), request_id)
            if user is None and create:
                user = self.create_user(
                    name,
                    display_name=display_name,
                    role=role,
                    jurisdiction=jurisdiction,
                    district=district,
                    ctx=sso,
                )
            elif user is not None:
                user = self.change_role(
                    name, role=role, jurisdiction=jurisdiction, district=district, ctx=sso
                )
        if user is None:
            return SignIn("unknown")
        return self._sign_in(user, True, request_id, via="oidc")

    def _sign_in(self, user: User, matches: bool, request_id: str, *, via: str) -> SignIn:
        stamp = self.ledger.stamp(Context(user.principal(), request_id))
        result = user.sign_in(matches, stamp, via=via)
        if user.pending_events:
            self.ledger.store.save(user)
        return result

    def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = self.passwords.hash("decoy password, never anyone's")
        return self._decoy
