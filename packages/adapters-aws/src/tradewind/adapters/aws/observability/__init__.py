"""Logs and metrics output."""
