"""`python -m deploy.paypal_standin --port 8199 --webhook-target URL`: the stand-in for PayPal
that `make run` starts in development. It refuses to start in production mode."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from deploy.paypal_standin.server import DEFAULT_WEBHOOK_ID, PayPalStandIn

DEFAULT_PORT = 8199
REFUSAL = (
    "the PayPal stand-in is a development tool: it does not start when CNNECT_ENV=production "
    "(billing talks to PayPal itself there)"
)


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted."""
    if os.environ.get("CNNECT_ENV", "development") == "production":
        print(REFUSAL, file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m deploy.paypal_standin")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--client-id", default="standin-client")
    parser.add_argument("--client-secret", default="standin-secret")
    parser.add_argument("--webhook-id", default=DEFAULT_WEBHOOK_ID)
    parser.add_argument("--webhook-target", help="where to send webhooks (the gateway's)")
    args = parser.parse_args(argv)
    # A key of its own each start: its certificate's URL names the key, so a billing that
    # cached the previous certificate fetches the new one.
    standin = PayPalStandIn(args.client_id, args.client_secret, True, args.port, args.host)
    standin.webhook_id = args.webhook_id
    standin.webhook_target = args.webhook_target
    print(f"PayPal stand-in on {standin.base_url}, webhooks to {args.webhook_target}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C under honcho: a quiet stop
        standin.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
