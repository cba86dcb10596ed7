"""The whole running system for the modules that drive it (tests/e2e, tests/attacks).

Starting a whole system costs 6-9 s on two cores, and some thirty modules need nothing of
their own: they share one, started by the first of them and stopped after the last test that
can use it. Each of them makes its own customers, staff (their own e-mails) and orders, so none
reaches another's. A module marked `own_system` starts a system of its own (with what its
`system_env` adds to the environment): it moves a worker's clock, counts everything in the
system, reads the processes' logs or runs several workers per service; such modules run after
the shared system has stopped. A test that kills a process restarts it before it ends; each
module checks, as it takes the shared system, that every process still runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from deploy.paypal_standin import PayPalStandIn, running_standin
from tests.support.infra import Infra
from tests.support.smtp_server import SmtpTestServer
from tests.support.system import System, running_system

_STOP_SHARED = pytest.StashKey[Callable[[], None]]()
_LAST_USER = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def paypal() -> Iterator[PayPalStandIn]:
    """A local PayPal stand-in (the shared system's billing is pointed at it)."""
    with running_standin() as standin:
        yield standin


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpTestServer]:
    """A real SMTP server that the shared system's messaging sends to."""
    server = SmtpTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def shared_system(
    infra: Infra,
    paypal: PayPalStandIn,
    smtp: SmtpTestServer,
    tmp_path_factory: pytest.TempPathFactory,
    pytestconfig: pytest.Config,
) -> Iterator[System]:
    """The system the modules without needs of their own share (billing pointed at `paypal`,
    messaging at `smtp`)."""
    env = {
        **paypal.billing_env(),
        "CNNECT_MESSAGING_SMTP_HOST": "127.0.0.1",
        "CNNECT_MESSAGING_SMTP_PORT": str(smtp.port),
    }
    with ExitStack() as stack:
        logs = tmp_path_factory.mktemp("shared-system-logs")
        running = stack.enter_context(running_system(infra, logs, env))
        # The last test that can use it stops it (closing twice is harmless), so that it
        # does not idle through the later tiers on a two-core machine.
        pytestconfig.stash[_STOP_SHARED] = stack.close
        yield running


@pytest.fixture(scope="module")
def system_env() -> dict[str, str]:
    """What an `own_system` module adds to its system's environment (it overrides this)."""
    return {}


@pytest.fixture(scope="module")
def system(
    request: pytest.FixtureRequest,
    infra: Infra,
    system_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[System]:
    """The whole system for one module's tests: the shared one, or, for a module marked
    `own_system`, one of its own (with its `system_env`)."""
    if request.node.get_closest_marker("own_system"):
        with running_system(infra, tmp_path_factory.mktemp("logs"), system_env) as own:
            yield own
        return
    assert not system_env, f"{request.node.name} sets system_env: mark it own_system"
    shared: System = request.getfixturevalue("shared_system")
    shared.check_running()
    yield shared


@pytest.hookimpl(trylast=True)  # after deselection (-k, -m): what runs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the `own_system` modules after the last test of the shared system, whose end stops
    it, so that two whole systems never run at once (their connections together would pass
    PostgreSQL's default 100), and note that last test."""

    def own(item: pytest.Item) -> bool:
        return item.get_closest_marker("own_system") is not None

    shared = [
        index
        for index, item in enumerate(items)
        if not own(item) and {"system", "system_env"} <= set(getattr(item, "fixturenames", ()))
    ]
    if not shared:
        return
    before = items[: shared[-1] + 1]
    items[:] = (
        [i for i in before if not own(i)] + [i for i in before if own(i)] + items[len(before) :]
    )
    config.stash[_LAST_USER] = before[shared[-1]].nodeid


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the shared system once the last test that can use it is done."""
    if item.nodeid == item.config.stash.get(_LAST_USER, None):
        stop = item.config.stash.get(_STOP_SHARED, None)
        if stop is not None:
            stop()
