"""Market data use cases."""
