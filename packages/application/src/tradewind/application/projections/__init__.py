"""Read-side projections: consumers that turn events into query tables."""
