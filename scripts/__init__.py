"""Operational scripts: the `make demo` job and the helpers it shares with tests."""
