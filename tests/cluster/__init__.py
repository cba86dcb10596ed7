"""The cluster harness: the system on a three-node RabbitMQ cluster and a replicated
PostgreSQL, with node failures under load (`make cluster`, `make cluster-test`)."""
