"""Root conftest: the fixtures every test tier shares live in tests/support."""

from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.support.fixtures", "tests.support.system_fixtures"]

# Property tests judge rules, not speed: on a busy 2-core machine (several suites at once)
# generating examples can be slow, which is no failure of the rule under test.
settings.register_profile(
    "cnnect", deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
settings.load_profile("cnnect")
