"""The caller's identity, passed by the gateway to the services as a short-lived signed token.

Services verify the signature and age; they never trust a plain header."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared.events.errors import CnnectError

TOKEN_MAX_AGE_S = 300
_SALT = "cnnect-identity"


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


def issue_token(secret: str, identity: Identity) -> str:
    """A signed token for `identity` (the gateway's job; tests mint their own)."""
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps(
        {"sub": identity.subject, "role": identity.role}
    )


def verify_token(secret: str, token: str, max_age: int = TOKEN_MAX_AGE_S) -> Identity:
    """The identity in a token, if its signature is ours and it is recent."""
    try:
        claims = URLSafeTimedSerializer(secret, salt=_SALT).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise UnauthorizedError("identity token expired") from exc
    except BadSignature as exc:
        raise UnauthorizedError("identity token invalid") from exc
    if not isinstance(claims, dict) or claims.get("role") not in ("customer", "staff", "admin"):
        raise UnauthorizedError("identity token invalid")
    return Identity(str(claims["sub"]), str(claims["role"]))
