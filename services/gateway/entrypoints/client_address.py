"""Who the client is when the gateway sits behind reverse proxies (the ingress): their
`X-Forwarded-For` and `X-Forwarded-Proto`, trusted for as many hops as there are proxies
(`CNNECT_GATEWAY_PROXIES`, 0 when browsers reach the gateway directly). Sign-in limits count
attempts per client address, so behind a proxy without this every customer would share the
proxy's address; trusting a hop that is not there would let a client pick its own address."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask, proxies: int) -> None:
    """Take the client's address and scheme from the last `proxies` hops of the forwarding
    headers (the scheme also makes the return addresses given to PayPal https)."""
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
