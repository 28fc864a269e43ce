"""Importing a module of the load kit (``scripts/loadkit``), which is not a package of
the project: the scripts run with ``scripts/`` on their path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

LOADKIT = Path(__file__).parent.parent.parent / "scripts" / "loadkit"


def load_kit_module(name: str) -> ModuleType:
    """``scripts/loadkit/<name>.py``, imported as ``loadkit_<name>``."""
    spec = importlib.util.spec_from_file_location(f"loadkit_{name}", LOADKIT / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
