"""Messaging's settings are read once, at start: a value it cannot use stops the start with the
name of its variable, not the e-mail sender's first attempt."""

from __future__ import annotations

import pytest

from services.messaging.config import load_config
from shared.config import ConfigurationError, load_settings


def test_a_bad_smtp_port_stops_the_start_naming_its_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"^CNNECT_MESSAGING_SMTP_PORT cannot be 'smtp'"):
        load_config(load_settings("messaging", {"CNNECT_MESSAGING_SMTP_PORT": "smtp"}))


def test_settings_are_parsed_with_the_development_defaults() -> None:
    assert load_config(load_settings("messaging", {})).smtp.port == 1025
    env = {
        "CNNECT_MESSAGING_SMTP_PORT": "25",
        "CNNECT_MESSAGING_SITE_URL": "https://cnnect.example",
    }
    config = load_config(load_settings("messaging", env))
    assert (config.smtp.port, config.site_url) == (25, "https://cnnect.example")
