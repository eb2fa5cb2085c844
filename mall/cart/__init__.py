"""The customer's cart across every shop."""
