"""Optional error reporting to Sentry.

With ``SENTRY_DSN`` set (and ``uv sync --extra errors``), unexpected
exceptions of every process go to Sentry, tagged with the process role.
Without it, nothing of Sentry is imported.
"""

from __future__ import annotations

from collections.abc import Mapping

DSN = "SENTRY_DSN"


def init_error_reporting(role: str, environ: Mapping[str, str]) -> bool:
    """Start reporting when a DSN is configured; whether it started."""
    dsn = environ.get(DSN)
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(dsn=dsn, send_default_pii=False)
    sentry_sdk.set_tag("role", role)
    return True
