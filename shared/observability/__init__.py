"""Observability: JSON logs carrying a correlation id, Prometheus metrics, probes, progress."""
