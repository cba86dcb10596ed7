"""`python -m services.gateway serve [--port N] | create-user --email E --role staff|admin`."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from services.gateway.bootstrap import DEFAULT_PORT, bootstrap
from services.gateway.domain.accounts import check_password, check_role, normalised_email
from shared.web.server_errors import answer_server_errors_in_json


def main(argv: list[str] | None = None) -> int:
    """The gateway's command line."""
    parser = argparse.ArgumentParser(prog="python -m services.gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the gateway")
    serve.add_argument("--port", type=int, default=None)
    create = sub.add_parser("create-user", help="create a staff or admin account")
    create.add_argument("--email", required=True)
    create.add_argument("--role", default="staff")
    create.add_argument("--password", default=None, help="default: asked, or $CNNECT_PASSWORD")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("CNNECT_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "create-user":
        password = args.password or os.environ.get("CNNECT_PASSWORD") or getpass.getpass()
        gateway = bootstrap()
        try:
            account = gateway.accounts.create(
                normalised_email(args.email), check_password(password), check_role(args.role)
            )
        finally:
            gateway.close()
        print(f"created {account.role} {account.email} ({account.account_id})")
        return 0
    return _serve(args.port or int(os.environ.get("CNNECT_GATEWAY_PORT", DEFAULT_PORT)))


def _serve(port: int) -> int:
    from flask import Flask
    from gunicorn.app.base import BaseApplication

    from services.gateway.entrypoints.app import create_app

    answer_server_errors_in_json()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"127.0.0.1:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("threads", 8)
            self.cfg.set("worker_class", "gthread")

        def load(self) -> Flask:
            return create_app(bootstrap())

    Server().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
