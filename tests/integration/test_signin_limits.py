"""Sign-in attempts are limited per client address too (R26): one address trying many
e-mails is refused (429) once it passes its limit, while a person at another address still
signs in. Reached directly, the gateway counts the peer of its connection and trusts no
X-Forwarded-For (a guesser cannot pick the address counted); behind the Ingress
(`CNNECT_GATEWAY_PROXIES=1`) it counts the client the proxy names, not the proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from flask import Flask

from services.gateway.bootstrap import Gateway
from services.gateway.entrypoints.app import create_app
from tests.support.infra import Infra
from tests.support.standalone_gateway import standalone_gateway

PASSWORD = "a long enough password 1"
GUESSER, NEIGHBOUR = "203.0.113.7", "198.51.100.20"
PROXY = "10.0.0.2"  # the Ingress, as the gateway sees it
LIMIT = 1  # per e-mail; an address may make 20 times as many attempts


@pytest.fixture(scope="module")
def gateway(infra: Infra) -> Iterator[Gateway]:
    with standalone_gateway(infra) as wired:
        wired.signin_limit = LIMIT
        yield wired


@pytest.fixture(scope="module")
def proxied_app(gateway: Gateway) -> Flask:
    """The gateway as deployed behind one proxy."""
    return create_app(replace(gateway, config=replace(gateway.config, proxies=1)))


def _sign_in(app: Flask, address: str, email: str, forwarded_for: str = "") -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    answer = app.test_client().post(
        "/auth/signin",
        json={"email": email, "password": PASSWORD},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )
    return answer.status_code


def _many(attempt: Callable[[int], int], count: int) -> list[int]:
    """`count` attempts at once (each spends an argon2 hash: in parallel, the test is quick)."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(attempt, range(count)))


@pytest.mark.rule("R26")
def test_one_address_trying_many_emails_is_stopped_while_another_still_signs_in(
    app: Flask, proxied_app: Flask, gateway: Gateway
) -> None:
    gateway.accounts.create("nora@example.com", PASSWORD, "customer")
    per_address = LIMIT * 20
    tries = _many(lambda n: _sign_in(app, GUESSER, f"guess{n}@example.com"), per_address)
    assert set(tries) == {401}  # each e-mail once: under every per-e-mail limit
    # Fresh e-mails, under their own limit: only the address's limit refuses them.
    assert _sign_in(app, GUESSER, "guess-more@example.com") == 429
    # A forged X-Forwarded-For does not make the guesser someone else.
    assert _sign_in(app, GUESSER, "guess-again@example.com", forwarded_for=NEIGHBOUR) == 429
    assert _sign_in(app, NEIGHBOUR, "nora@example.com") == 200

    # Behind the Ingress the client it names is counted, not the proxy: the guesser is
    # still refused, a neighbour coming through the same proxy signs in.
    gateway.accounts.create("olga@example.com", PASSWORD, "customer")
    assert _sign_in(proxied_app, PROXY, "via@example.com", forwarded_for=GUESSER) == 429
    # A client's own X-Forwarded-For comes before the proxy's entry: not believed.
    forged = f"{NEIGHBOUR}, {GUESSER}"
    assert _sign_in(proxied_app, PROXY, "forged@example.com", forwarded_for=forged) == 429
    assert _sign_in(proxied_app, PROXY, "olga@example.com", forwarded_for=NEIGHBOUR) == 200
