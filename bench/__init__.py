"""Throughput and latency benchmark of the event kit: `python -m bench`."""
