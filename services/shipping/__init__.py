"""Shipping: packing, the international fee quote, shipments and tracking."""
