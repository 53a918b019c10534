"""Positions: average-cost accounting of fills, and the event a changed position publishes."""
