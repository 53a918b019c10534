"""Pre-trade risk: rules behind one protocol, evaluated synchronously, failing closed."""
