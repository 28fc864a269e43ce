"""Logs, metrics, tracing and error reporting."""
