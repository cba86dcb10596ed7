"""Integration event contracts and the event-sourcing kit shared by every service."""
