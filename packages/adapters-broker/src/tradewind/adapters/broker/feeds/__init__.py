"""Exchange connectivity: one module per wire format, each with its normalizer into the canonical
``PriceUpdate`` (WebSocket JSON, FIX-style tag=value over TCP, polled REST), and the real-history
replay as a feed. ``simulators/`` holds the small local exchanges the tests and the demo start."""
