"""The gateway's settings are read once, at start: a value it cannot use stops the start with
the name of its variable."""

from __future__ import annotations

import pytest

from services.gateway.config import load_config
from shared.config import ConfigurationError, load_settings


@pytest.mark.parametrize("proxies", ["-1", "6", "one"])
def test_a_bad_proxy_count_stops_the_start_naming_its_variable(proxies: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^CNNECT_GATEWAY_PROXIES cannot be '{proxies}'"):
        load_config(load_settings("gateway", {"CNNECT_GATEWAY_PROXIES": proxies}))


def test_the_proxy_count_is_0_unless_set() -> None:
    assert load_config(load_settings("gateway", {})).proxies == 0
    assert load_config(load_settings("gateway", {"CNNECT_GATEWAY_PROXIES": " 1 "})).proxies == 1
