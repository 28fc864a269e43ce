"""The load-test kit behind ``scripts/loadtest.py``: a fast HTTP client, measurements, reports."""
