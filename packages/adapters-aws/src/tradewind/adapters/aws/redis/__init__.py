"""Redis (ElastiCache in production): the last-price cache and live-update pub/sub."""
