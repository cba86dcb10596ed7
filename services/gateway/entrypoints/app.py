"""The gateway app: the JSON routes, the pages, and how errors answer."""

from __future__ import annotations

from flask import Flask

from services.gateway.adapters.accounts_store import TooManyAttemptsError
from services.gateway.adapters.upstream import ServiceUnavailableError
from services.gateway.bootstrap import Gateway
from services.gateway.entrypoints.api import api
from services.gateway.entrypoints.client_address import trust_proxies
from services.gateway.entrypoints.openapi import openapi_doc
from services.gateway.entrypoints.pages import STATIC, TEMPLATES, register_pages
from services.gateway.entrypoints.pages.error_pages import serve_errors_as_pages
from services.gateway.entrypoints.second_factor_gate import SECOND_FACTOR_REFUSALS
from services.gateway.entrypoints.security_headers import install_security_headers
from shared.observability.web import instrument
from shared.web.errors import error_response, register_error_handlers
from shared.web.json_input import read_json_strictly
from shared.web.text_guard import refuse_nul_characters


def create_app(gateway: Gateway) -> Flask:
    """The gateway app over `gateway`."""
    app = Flask(
        "services.gateway",
        template_folder=str(TEMPLATES),
        static_folder=str(STATIC),
        static_url_path="/static",
    )
    instrument(app, "gateway")
    install_security_headers(app, gateway.settings.production)
    trust_proxies(app, gateway.config.proxies)  # the client behind the ingress
    app.extensions["cnnect.gateway"] = gateway
    app.config["MAX_CONTENT_LENGTH"] = 110 * 1024 * 1024
    register_gateway_errors(app)
    read_json_strictly(app)
    refuse_nul_characters(app)
    app.register_blueprint(api)
    app.register_blueprint(openapi_doc)
    register_pages(app, gateway.settings.identity_secret)
    serve_errors_as_pages(app)  # a page's error is a page; the JSON routes keep JSON
    return app


def register_gateway_errors(app: Flask) -> None:
    """The error table of every service, plus the gateway's own: too many sign-in attempts
    and a service that does not answer."""
    register_error_handlers(app)
    app.register_error_handler(
        TooManyAttemptsError, lambda exc: error_response(429, "too_many_attempts", str(exc))
    )
    # A staff sign-in without its code (or a wrong one) says which, for scripts to tell.
    for refusal in SECOND_FACTOR_REFUSALS:
        app.register_error_handler(refusal, lambda exc: error_response(401, exc.code, str(exc)))
    app.register_error_handler(
        ServiceUnavailableError,
        lambda exc: error_response(503, "service_unavailable", "that part is unavailable now"),
    )
