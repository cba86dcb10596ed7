"""CNNECT_POSTGRES_URL naming a replicated PostgreSQL: a libpq multi-host URL that lets every
client find the primary (issue 20). Each service's database URL is made from it and must keep
every host and the read-write requirement."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict

from shared.config import Settings, with_database

CLUSTER = (
    "postgresql://postgres@pg-0:5432,pg-1:5433/postgres"
    "?target_session_attrs=read-write&connect_timeout=5"
)


def test_a_service_database_on_a_cluster_keeps_every_host_and_the_read_write_requirement() -> None:
    url = Settings(service="orders", postgres_url=CLUSTER).database_url
    assert url == (
        "postgresql://postgres@pg-0:5432,pg-1:5433/cnnect_orders"
        "?target_session_attrs=read-write&connect_timeout=5"
    )
    assert conninfo_to_dict(url) == {
        "user": "postgres",
        "host": "pg-0,pg-1",
        "port": "5432,5433",
        "dbname": "cnnect_orders",
        "target_session_attrs": "read-write",
        "connect_timeout": "5",
    }


def test_a_single_server_url_is_changed_only_in_its_database() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/postgres"
    assert (
        with_database(url, "cnnect_billing")
        == "postgresql://postgres@127.0.0.1:5432/cnnect_billing"
    )
