"""How `make run` (deploy/launch.py) runs the stand-in in development: its Procfile entry and
the settings that point billing at it. Not used in production, where the launcher never asks."""

from __future__ import annotations

from collections.abc import Mapping

from deploy.paypal_standin.server import DEFAULT_WEBHOOK_ID

STANDIN_PORT = 8199  # beside the API ports (deploy/ports.json), never deployed
STANDIN_NAME = "paypal-standin"
CLIENT_ID, CLIENT_SECRET = "standin-client", "standin-secret"


def standin_setup(
    environ: Mapping[str, str], gateway_port: int
) -> tuple[dict[str, str], dict[str, str]]:
    """The Procfile entry of the stand-in and the billing settings pointing at it; both
    empty when billing is given a PayPal of its own (`CNNECT_BILLING_PAYPAL_BASE_URL`, e.g.
    a real sandbox account) or in production."""
    if environ.get("CNNECT_ENV", "development") == "production":
        return {}, {}
    if environ.get("CNNECT_BILLING_PAYPAL_BASE_URL", ""):
        return {}, {}
    target = f"http://127.0.0.1:{gateway_port}/webhooks/paypal"  # as set in PayPal's dashboard
    command = (
        f"exec python -m deploy.paypal_standin --port {STANDIN_PORT} --client-id {CLIENT_ID} "
        f"--client-secret {CLIENT_SECRET} --webhook-id {DEFAULT_WEBHOOK_ID} "
        f"--webhook-target {target}"
    )
    settings = {
        "CNNECT_BILLING_PAYPAL_BASE_URL": f"http://127.0.0.1:{STANDIN_PORT}",
        "CNNECT_BILLING_PAYPAL_CLIENT_ID": CLIENT_ID,
        "CNNECT_BILLING_PAYPAL_CLIENT_SECRET": CLIENT_SECRET,
        "CNNECT_BILLING_PAYPAL_WEBHOOK_ID": DEFAULT_WEBHOOK_ID,
        # Its certificate is served by itself, over http on the loopback: accepted only
        # outside production (services/billing/config.py).
        "CNNECT_BILLING_PAYPAL_CERT_HOSTS": "127.0.0.1",
        "CNNECT_BILLING_PAYPAL_ALLOW_INSECURE_LOCAL_CERTS": "1",
    }
    return {STANDIN_NAME: command}, settings
