"""Code every CNNECT service may import: event contracts and the event-sourcing kit."""
