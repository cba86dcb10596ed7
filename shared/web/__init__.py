"""HTTP building blocks every service API uses: errors, identity, idempotency, health."""
