"""Officers' accounts and sessions, kept in the back office database.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended
profile), and rehashed on login when those parameters change. A session is a random token in an
HttpOnly, SameSite=Strict cookie; the database keeps only its sha256, with the session's CSRF
token and its expiry. Accounts are added from the command line (`python -m backoffice officer
add`); roles: a reviewer decides, a supervisor also reads the audit log and the devices, an admin
also everything a supervisor does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from backoffice import schema as t
from backoffice.store import Store, StoreError
from edge.errors import EtleError

ROLES = t.ROLES
RANK = {role: i for i, role in enumerate(ROLES)}
SESSION_S = 12 * 3600  # one shift
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
_hasher = PasswordHasher()


class AccountError(EtleError):
    """An account cannot be added as asked: the message says which rule it breaks."""


@dataclass(frozen=True, slots=True)
class Officer:
    username: str
    full_name: str
    role: str

    def may(self, role: str) -> bool:
        """At least `role` (reviewer < supervisor < admin)."""
        return RANK[self.role] >= RANK[role]


@dataclass(frozen=True, slots=True)
class Session:
    officer: Officer
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class Accounts:
    def __init__(self, store: Store) -> None:
        self._engine = store.engine

    def add(self, username: str, full_name: str, role: str, password: str) -> Officer:
        if not USERNAME.match(username):
            raise AccountError(f"username {username!r}: 2-64 lower-case letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise AccountError(f"role {role!r}: one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
        if not full_name.strip():
            raise AccountError("the officer's full name is needed (it is printed in the audit log)")
        try:
            with self._engine.begin() as db:
                db.execute(insert(t.officers).values(username=username, full_name=full_name.strip(), role=role,
                                                     password_hash=_hasher.hash(password), active=True,
                                                     created_at=time.time()))
        except IntegrityError as exc:
            raise AccountError(f"an officer {username!r} exists already") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot add the officer: {exc}") from exc
        return Officer(username, full_name.strip(), role)

    def officers(self) -> list[Officer]:
        o = t.officers.c
        with self._engine.connect() as db:
            rows = db.execute(select(o.username, o.full_name, o.role).where(o.active).order_by(o.username))
            return [Officer(str(u), str(n), str(r)) for u, n, r in rows]

    def login(self, username: str, password: str) -> tuple[str, Session] | None:
        """A new session (its cookie token and the session) for the right password, else None."""
        o = t.officers.c
        with self._engine.begin() as db:
            row = db.execute(select(o.password_hash, o.full_name, o.role)
                             .where(o.username == username, o.active)).first()
            if row is None:
                _hasher.hash(password)  # as slow as a wrong password: no telling which names exist
                return None
            stored, full_name, role = str(row[0]), str(row[1]), str(row[2])
            try:
                _hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if _hasher.check_needs_rehash(stored):
                db.execute(update(t.officers).where(o.username == username)
                           .values(password_hash=_hasher.hash(password)))
            token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
            db.execute(delete(t.sessions).where(t.sessions.c.expires_at < now))
            db.execute(insert(t.sessions).values(token_sha256=_digest(token), username=username, csrf=csrf,
                                                 created_at=now, expires_at=now + SESSION_S))
        return token, Session(Officer(username, full_name, role), csrf)

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        s, o = t.sessions.c, t.officers.c
        with self._engine.connect() as db:
            row = db.execute(select(o.username, o.full_name, o.role, s.csrf).join(t.officers)
                             .where(s.token_sha256 == _digest(token), s.expires_at > time.time(), o.active)).first()
        return None if row is None else Session(Officer(str(row[0]), str(row[1]), str(row[2])), str(row[3]))

    def logout(self, token: str | None) -> None:
        if token:
            with self._engine.begin() as db:
                db.execute(delete(t.sessions).where(t.sessions.c.token_sha256 == _digest(token)))
