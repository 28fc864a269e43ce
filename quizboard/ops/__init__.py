"""Operator commands: status, reconcile, dead letters."""
