"""Root conftest: the fixtures every test tier shares live in tests/support."""

pytest_plugins = ["tests.support.fixtures"]
