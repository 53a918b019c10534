"""In-memory twins of every port, for the `memory` profile and unit tests. Each passes the same
contract suite as its real twin (tests/contract/ports)."""
