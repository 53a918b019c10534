"""Kafka (Amazon MSK in production): the durable producer and the consumer groups."""
