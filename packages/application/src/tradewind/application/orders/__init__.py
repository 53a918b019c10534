"""Order use cases: place, cancel, amend, one module each."""
