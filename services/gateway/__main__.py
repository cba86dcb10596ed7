"""`python -m services.gateway serve [--port N] | create-user --email E --role staff|admin
[--name N] [--enrol-second-factor] | enrol-second-factor --email E`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from services.gateway.adapters.account_names import set_display_name
from services.gateway.bootstrap import bootstrap
from services.gateway.domain.accounts import check_password, check_role, normalised_email
from services.gateway.domain.second_factor import SECOND_FACTOR_ROLES
from services.gateway.entrypoints.second_factor_gate import enrol_again, enrol_now
from shared.domain_errors import NotFoundError
from shared.observability.logs import configure_logging
from shared.observability.ports import API_PORTS


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
    create.add_argument("--name", default="", help="shown to staff in order histories")
    create.add_argument(
        "--enrol-second-factor",
        action="store_true",
        help="set up the second factor now: prints the otpauth:// URI to scan into an "
        "authenticator app, its secret and ten recovery codes (else: at the first sign-in)",
    )
    enrol = sub.add_parser(
        "enrol-second-factor",
        help="give a staff or admin account a new second factor (its sessions end) and print "
        "its otpauth:// URI, secret and recovery codes",
    )
    enrol.add_argument("--email", required=True)
    args = parser.parse_args(argv)
    configure_logging("gateway", "api" if args.command == "serve" else args.command)
    if args.command == "enrol-second-factor":
        gateway = bootstrap()
        try:
            print("\n".join(enrol_again(gateway, normalised_email(args.email))))
        except NotFoundError as exc:
            parser.exit(1, f"{exc}\n")
        finally:
            gateway.close()
        return 0
    if args.command == "create-user":
        if args.enrol_second_factor and args.role not in SECOND_FACTOR_ROLES:
            parser.error("--enrol-second-factor is for staff and admin accounts")
        password = args.password or os.environ.get("CNNECT_PASSWORD") or getpass.getpass()
        gateway = bootstrap()
        try:
            email = normalised_email(args.email)
            account = gateway.accounts.create(
                email, check_password(password, email), check_role(args.role)
            )
            if args.name.strip():
                set_display_name(gateway.accounts, account.account_id, args.name)
            second_factor = enrol_now(gateway, account) if args.enrol_second_factor else []
        finally:
            gateway.close()
        print(f"created {account.role} {account.email} ({account.account_id})")
        print("\n".join(second_factor), end="\n" if second_factor else "")
        return 0
    return _serve(args.port or int(os.environ.get("CNNECT_GATEWAY_PORT", API_PORTS["gateway"])))


def _serve(port: int) -> int:
    from flask import Flask

    from services.gateway.entrypoints.app import create_app
    from shared.observability.ports import metrics_host, metrics_port
    from shared.observability.server import serve_metrics
    from shared.web.server import serve

    def load() -> Flask:
        # In the gunicorn worker, where the metrics are: scrapers read them on the internal
        # port (the public /metrics is for staff).
        serve_metrics(metrics_port("gateway", port), metrics_host())
        return create_app(bootstrap(cache_sessions=True))

    serve(load, port, threads=32)
    return 0


if __name__ == "__main__":
    sys.exit(main())
