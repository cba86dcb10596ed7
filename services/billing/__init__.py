"""Billing: the two billings of an order and the payments that settle them."""
