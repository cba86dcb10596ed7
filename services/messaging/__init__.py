"""Messaging: per-order conversations, inquiries and notifications."""
