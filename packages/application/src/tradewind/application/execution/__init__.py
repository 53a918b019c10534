"""Execution: the engine that turns order requests into broker calls, and the broker port."""
