"""DynamoDB adapters: the positions view."""
