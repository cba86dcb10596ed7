"""Driver errors are translated once into our hierarchy; only transient ones are retryable."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pg_errors

from shared.events import errors
from shared.events.database import translate


@pytest.mark.parametrize(
    ("driver_error", "ours"),
    [
        (pg_errors.UniqueViolation("duplicate"), errors.IntegrityError),
        (pg_errors.SerializationFailure("retry"), errors.OperationalError),
        (pg_errors.DeadlockDetected("deadlock"), errors.OperationalError),
        (psycopg.OperationalError("connection lost"), errors.OperationalError),
        (pg_errors.UndefinedTable("no table"), errors.ProgrammingError),
    ],
    ids=["unique", "serialization", "deadlock", "connection", "programming"],
)
def test_driver_errors_become_ours(driver_error: Exception, ours: type[Exception]) -> None:
    assert type(translate(driver_error)) is ours
