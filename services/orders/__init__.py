"""Orders: the life of an order and its items, from application to completion."""
