"""Pure logic and types: no I/O library is imported here (see tests/unit/test_layers.py)."""
