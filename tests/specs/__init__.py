"""Operation specs, one module per kind of operation (see tests/opspec.py)."""
