"""The gateway's server-rendered pages: customers', the public ones and the staff console."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from services.gateway.entrypoints.pages.account import account_page
from services.gateway.entrypoints.pages.account_addresses import address_pages
from services.gateway.entrypoints.pages.account_email import account_email_pages
from services.gateway.entrypoints.pages.accounts import account_pages
from services.gateway.entrypoints.pages.common import current_csrf_token, new_form_key
from services.gateway.entrypoints.pages.data_export import data_export_pages
from services.gateway.entrypoints.pages.forgetting_pages import forgetting_pages
from services.gateway.entrypoints.pages.formats import register_formats
from services.gateway.entrypoints.pages.inspection import inspection_pages
from services.gateway.entrypoints.pages.orders import order_pages
from services.gateway.entrypoints.pages.password_reset import password_reset_pages
from services.gateway.entrypoints.pages.payments import payment_pages
from services.gateway.entrypoints.pages.public import public_pages
from services.gateway.entrypoints.pages.second_factor import second_factor_pages
from services.gateway.entrypoints.pages.staff import staff_pages
from services.gateway.entrypoints.pages.staff_accounts import staff_accounts_pages
from services.gateway.entrypoints.pages.staff_actions import staff_actions
from services.gateway.entrypoints.sessions import cookie_name

GATEWAY_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = GATEWAY_ROOT / "templates"
STATIC = GATEWAY_ROOT / "static"


class FlashCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie session (the pages' flash messages), whose serializer is made
    once per key instead of on every request, JSON calls and page views alike (a serializer
    keeps nothing of what it signs or reads)."""

    made: tuple[object, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The serializer Flask would make for the app's current keys."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = self.made
        if made is None or made[0] != keys:
            made = self.made = (keys, super().get_signing_serializer(app))
        return made[1]


def register_pages(app: Flask, secret: str) -> None:
    """Add every page to `app`; flash messages ride in a cookie signed with a key of its own."""
    app.secret_key = hmac.new(secret.encode(), b"cnnect-gateway-flash", hashlib.sha256).hexdigest()
    app.session_interface = FlashCookies()
    production = bool(app.extensions["cnnect.gateway"].settings.production)
    app.config["SESSION_COOKIE_NAME"] = cookie_name("cnnect_flash", production)
    app.config["SESSION_COOKIE_SECURE"] = production  # a `__Host-` cookie must be Secure
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.jinja_env.globals["new_form_key"] = new_form_key
    app.jinja_env.globals["current_csrf_token"] = current_csrf_token
    register_formats(app)  # the one money and moment format of every page (R4)
    for blueprint in (
        public_pages,
        account_pages,
        second_factor_pages,
        account_email_pages,
        password_reset_pages,
        account_page,
        address_pages,
        order_pages,
        inspection_pages,
        payment_pages,
        staff_pages,
        staff_actions,
        staff_accounts_pages,
        forgetting_pages,
        data_export_pages,
    ):
        app.register_blueprint(blueprint)
