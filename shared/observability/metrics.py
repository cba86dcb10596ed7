"""Every Prometheus metric of the system, defined once (the default registry of the process).

Names follow Prometheus conventions: `cnnect_` prefix, `_total` counters, base units
(seconds). Each carries the `service` label, so one dashboard can sum across services."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# The `_created` series double every counter's lines and no query of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

EVENTS_APPENDED = Counter(
    "cnnect_events_appended_total",
    "Events committed to the service's event store, by type.",
    ["service", "type"],
)
EVENTS_PUBLISHED = Counter(
    "cnnect_events_published_total",
    "Integration events the relay published and the broker confirmed, by type.",
    ["service", "type"],
)
EVENTS_CONSUMED = Counter(
    "cnnect_events_consumed_total",
    "Deliveries the consumer handled, by type and outcome "
    "(applied, duplicate, held, requeued, dead_lettered).",
    ["service", "type", "outcome"],
)
EVENTS_FAILED = Counter(
    "cnnect_events_failed_total",
    "Deliveries whose handler raised (requeued, or dead-lettered on the last try), by type.",
    ["service", "type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "cnnect_events_dead_lettered_total",
    "Messages sent to the service's dead-letter queue, by type.",
    ["service", "type"],
)
EVENTS_RELEASED = Counter(
    "cnnect_events_released_total",
    "Held messages applied once the event they waited for had been applied.",
    ["service"],
)
EVENT_HANDLING_SECONDS = Histogram(
    "cnnect_event_handling_seconds",
    "Time to handle one delivery (decode, transaction, commit), by type.",
    ["service", "type"],
)
PROJECTION_LAG = Gauge(
    "cnnect_projection_lag_events",
    "Stored events a projection has not applied yet (sampled by the worker).",
    ["service", "projection"],
)
QUEUE_MESSAGES = Gauge(
    "cnnect_queue_messages",
    "Messages ready in a queue, as the broker answers a passive declare (sampled by the worker).",
    ["service", "queue"],
)
QUEUE_CONSUMERS = Gauge(
    "cnnect_queue_consumers",
    "Consumers attached to a queue (sampled by the worker).",
    ["service", "queue"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "cnnect_http_request_duration_seconds",
    "HTTP request latency by route (the Flask rule), method and status.",
    ["service", "route", "method", "status"],
)
PERSONAL_DATA_SECONDS = Counter(
    "cnnect_personal_data_seconds_total",
    "Time spent sealing and opening customers' personal data (AES-GCM, no I/O), by operation.",
    ["service", "operation"],
)
PERSONAL_DATA_VALUES = Counter(
    "cnnect_personal_data_values_total",
    "Texts and files sealed or opened, by operation.",
    ["service", "operation"],
)
PERSONAL_DATA_KEY_READS = Counter(
    "cnnect_personal_data_key_reads_total",
    "Round trips to the keyring (keys not in the process's short-lived copy).",
    ["service"],
)
