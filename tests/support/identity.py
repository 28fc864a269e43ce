"""The app's own users in tests: a JWT of the app, and the settings that take it."""

from __future__ import annotations

import time
from typing import Any

import jwt

SECRET = "app-secret-of-at-least-32-bytes!"
#: Settings that take the app's HS256 JWTs for the audience ``quizapp``.
HS256 = {"jwt_secret": SECRET, "jwt_audience": "quizapp"}


def app_jwt(sub: str, key: Any = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    payload = {"sub": sub, "exp": int(time.time()) + 3600, **claims}  # outlives a CI run
    return jwt.encode(payload, key, algorithm=algorithm)
