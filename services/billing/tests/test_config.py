"""Billing's settings are read once, at start: a value it cannot use stops the start with the
name of its variable, not the first request that needs it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.billing.config import DEV_BANK_SECRET, load_config
from services.billing.domain.pricing import PricingRule
from shared.config import ConfigurationError, load_settings


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CNNECT_BILLING_CNY_RATE", "0,128"),
        ("CNNECT_BILLING_FEE_PERCENT", "five"),
        ("CNNECT_BILLING_FEE_MINIMUM_CNY", ""),
        ("CNNECT_BILLING_CNY_RATE_DATE", "2026-02-30"),
        ("CNNECT_BILLING_CARD_FEE_PERCENT", "3.9%"),
        ("CNNECT_BILLING_BANK_HOLIDAYS", "24.12.2026"),
    ],
)
def test_a_bad_value_stops_the_start_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{variable} cannot be {value!r}"):
        load_config(load_settings("billing", {variable: value}))


def test_unset_settings_are_the_documented_defaults() -> None:
    config = load_config(load_settings("billing", {}))
    assert config.pricing == PricingRule()
    assert config.card_fee_percent == Decimal("3.9")
    assert config.bank_webhook_secrets == (DEV_BANK_SECRET,)
    assert config.bank_account.development
    assert config.calendar.country == "DE" and config.calendar.timezone == "Asia/Shanghai"


def test_set_settings_are_parsed() -> None:
    env = {
        "CNNECT_BILLING_CNY_RATE": "0.13",
        "CNNECT_BILLING_CNY_RATE_DATE": "2026-11-02",
        "CNNECT_BILLING_BANK_WEBHOOK_SECRETS": " new , old ",
    }
    config = load_config(load_settings("billing", env))
    assert config.pricing.cny_rate == Decimal("0.13")
    assert config.pricing.rate_date == date(2026, 11, 2)
    assert config.bank_webhook_secrets == ("new", "old")
