"""Deployment: the launcher of `make run`, the health check and the development PayPal stand-in."""
