"""The trader's dashboard: sign-in, one live screen, sign-out (issue #8)."""
