"""Accounts and their API tokens."""
