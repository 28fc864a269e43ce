"""Plugins for every tier of the suite."""

pytest_plugins = ["tests.support.hangs", "tests.support.axe"]
