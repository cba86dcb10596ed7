"""Whole-system benchmark (`make bench-system`): simulated customers and staff take orders
through their entire life over HTTP, at a rising rate, against every Procfile process."""
