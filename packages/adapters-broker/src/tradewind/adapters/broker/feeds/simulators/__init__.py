"""Small local exchanges speaking the three wire formats, for tests, the bench and
``tradewind market simulate``. Each binds 127.0.0.1 (port 0: any free port), publishes what it
is given, and can misbehave on request: send raw bytes, drop every connection."""
