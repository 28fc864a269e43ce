"""The HTTP API: validates, scores, and enqueues; the workers do the rest."""

from quizboard.api.app import create_app

__all__ = ["create_app"]
