"""Sign-in attempts are limited per client address too (R26): one address trying many
e-mails is refused (429) once it passes its limit, while a person at another address still
signs in. The gateway counts `request.remote_addr`, the peer of its connection: no proxy
header (X-Forwarded-For) is trusted, so a guesser cannot pick the address counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from services.gateway.bootstrap import Gateway
from services.gateway.entrypoints.app import create_app
from tests.support.infra import Infra
from tests.support.standalone_gateway import standalone_gateway

PASSWORD = "a long enough password 1"
GUESSER, NEIGHBOUR = "203.0.113.7", "198.51.100.20"
LIMIT = 1  # per e-mail; an address may make 20 times as many attempts


@pytest.fixture(scope="module")
def gateway(infra: Infra) -> Iterator[Gateway]:
    with standalone_gateway(infra) as wired:
        wired.signin_limit = LIMIT
        yield wired


@pytest.fixture(scope="module")
def app(gateway: Gateway) -> Flask:
    return create_app(gateway)


def _sign_in(app: Flask, address: str, email: str, forwarded_for: str = "") -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    answer = app.test_client().post(
        "/auth/signin",
        json={"email": email, "password": PASSWORD},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )
    return answer.status_code


@pytest.mark.rule("R26")
def test_one_address_trying_many_emails_is_stopped_while_another_still_signs_in(
    app: Flask, gateway: Gateway
) -> None:
    gateway.accounts.create("nora@example.com", PASSWORD, "customer")
    per_address = LIMIT * 20
    tries = [_sign_in(app, GUESSER, f"guess{n}@example.com") for n in range(per_address)]
    assert set(tries) == {401}  # each e-mail once: under every per-e-mail limit
    # Fresh e-mails, under their own limit: only the address's limit refuses them.
    assert _sign_in(app, GUESSER, "guess-more@example.com") == 429
    # A forged X-Forwarded-For does not make the guesser someone else.
    assert _sign_in(app, GUESSER, "guess-again@example.com", forwarded_for=NEIGHBOUR) == 429
    assert _sign_in(app, NEIGHBOUR, "nora@example.com") == 200
