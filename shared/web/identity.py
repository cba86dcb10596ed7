"""The caller's identity, passed by the gateway to the services as a short-lived signed token.

Services verify the signature and age; they never trust a plain header."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared.events.errors import CnnectError

TOKEN_MAX_AGE_S = 300
_SALT = "cnnect-identity"
# The gateway signs a token for every request it forwards, and a service checks one on every
# request: an HMAC, base64 and JSON each way, a tenth of a forwarded request's CPU. A token
# issued for a caller is reused for REUSE_S (a thirtieth of its life: it still reaches the
# service with more than 290 s to go), and a service remembers the tokens it verified (their
# signature cannot change; their age is checked again on every use).
REUSE_S = 10
_REMEMBERED = 10_000  # tokens kept (issued or verified) before the memory starts again


class UnauthorizedError(CnnectError):
    """No valid identity token came with the request."""

    code = "unauthorized"


class ForbiddenError(CnnectError):
    """The caller is known but may not do this."""

    code = "forbidden"


@dataclass(frozen=True)
class Identity:
    """Who is calling: a customer (by id) or a staff member."""

    subject: str
    role: str  # "customer" | "staff" | "admin"

    @property
    def is_staff(self) -> bool:
        """Staff and admins operate every order."""
        return self.role in ("staff", "admin")

    @property
    def acting_customer(self) -> str | None:
        """The customer acting on their own data, or None when staff act (on anyone's)."""
        return None if self.is_staff else self.subject

    def may_see(self, customer_id: str) -> bool:
        """True when the caller may see data owned by `customer_id`."""
        return self.is_staff or self.subject == customer_id


_issued: dict[tuple[str, str, str], tuple[str, int]] = {}
_verified: dict[tuple[str, str], tuple[Identity, int]] = {}


@lru_cache(maxsize=8)
def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def _remember(memory: dict[Any, Any], key: Any, value: Any) -> None:
    """Keep `value`; a full memory is emptied first (a plain dict: no lock, and the worst a
    race between threads costs is a token signed or verified once more)."""
    if len(memory) >= _REMEMBERED:
        memory.clear()
    memory[key] = value


def issue_token(secret: str, identity: Identity) -> str:
    """A signed token for `identity` (the gateway's job; tests mint their own): the one
    issued for it less than REUSE_S ago, if any."""
    key = (secret, identity.subject, identity.role)
    now = int(time.time())  # itsdangerous's own clock: whole seconds
    held = _issued.get(key)
    if held is not None and 0 <= now - held[1] < REUSE_S:
        return held[0]
    token = _serializer(secret).dumps({"sub": identity.subject, "role": identity.role})
    _remember(_issued, key, (token, now))
    return token


def verify_token(secret: str, token: str, max_age: int = TOKEN_MAX_AGE_S) -> Identity:
    """The identity in a token, if its signature is ours and it is recent."""
    held = _verified.get((secret, token))
    if held is not None:
        # Verified before: only its age is news, judged as itsdangerous judges it.
        age = int(time.time()) - held[1]
        if age > max_age or age < 0:
            raise UnauthorizedError("identity token expired")
        return held[0]
    try:
        claims, signed_at = _serializer(secret).loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired as exc:
        raise UnauthorizedError("identity token expired") from exc
    except BadSignature as exc:
        raise UnauthorizedError("identity token invalid") from exc
    if not isinstance(claims, dict) or claims.get("role") not in ("customer", "staff", "admin"):
        raise UnauthorizedError("identity token invalid")
    identity = Identity(str(claims["sub"]), str(claims["role"]))
    _remember(_verified, (secret, token), (identity, int(signed_at.timestamp())))
    return identity
