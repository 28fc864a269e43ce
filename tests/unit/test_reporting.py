from __future__ import annotations

import sys

from quizboard.observe.reporting import init_error_reporting


def test_without_a_dsn_sentry_is_not_even_imported() -> None:
    assert init_error_reporting("api", {}) is False
    assert "sentry_sdk" not in sys.modules
