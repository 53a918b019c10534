"""Orders: the aggregate, its statuses, commands and events."""
