"""The layers of DESIGN.md ("Layers"), held by walking every module's imports.

``core`` imports only ``core`` and no I/O library; ``store`` and ``observe``
build on ``core``; ``api``, ``gateway`` and ``streams`` build on those and
never import each other; ``ops``, ``local`` and the CLI may import anything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent.parent / "quizboard"

# Which quizboard layers each layer may import. "settings" is the root module every
# process builds first and passes down.
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "store": frozenset({"core", "store", "settings"}),
    "observe": frozenset({"core", "observe", "settings"}),
    "api": frozenset({"core", "store", "observe", "settings", "api"}),
    "gateway": frozenset({"core", "store", "observe", "settings", "gateway"}),
    "streams": frozenset({"core", "store", "observe", "settings", "streams"}),
    "settings": frozenset({"core"}),
}
# Libraries that do I/O: the pure core imports none of them.
IO_LIBRARIES = frozenset(
    {"redis", "hiredis", "psycopg", "psycopg_pool", "starlette", "uvicorn", "websockets",
     "uvloop", "httpx", "prometheus_client", "click"}
)  # fmt: skip


def imports(module: str, source: str) -> Iterator[tuple[int, str]]:
    """Every module name ``source`` imports, with its line, type-only ones included."""
    tree = ast.parse(source, filename=module)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{module}:{node.lineno}: use absolute imports")
            module = node.module or ""
            if module == "quizboard":
                for alias in node.names:
                    yield node.lineno, f"quizboard.{alias.name}"
            else:
                yield node.lineno, module


def broken_rules(module: str, source: str) -> list[str]:
    """Each import of ``module`` (``quizboard/core/keys.py``) that breaks a rule, as
    ``file:line: what``."""
    layer = Path(module).with_suffix("").parts[1]  # "settings" for quizboard/settings.py
    allowed = ALLOWED.get(layer)
    found: list[str] = []
    for line, name in imports(module, source):
        where = f"{module}:{line}"
        top, _, rest = name.partition(".")
        if layer == "core" and top in IO_LIBRARIES:
            found.append(f"{where}: the pure core imports the I/O library {name}")
        if top != "quizboard" or allowed is None or not rest:
            continue
        target = rest.split(".")[0]
        if target not in allowed:
            found.append(f"{where}: {layer} imports {name} ({target} is not below it)")
    return found


MODULES = sorted(str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_every_import_keeps_to_the_layers(module: str) -> None:
    assert broken_rules(module, (PACKAGE.parent / module).read_text()) == []


def test_the_root_holds_only_the_entry_points() -> None:
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert root == ["__init__.py", "__main__.py", "cli.py", "settings.py"]


def test_a_broken_rule_is_named() -> None:
    # The checker itself can fail: a gateway module importing the API is caught...
    assert broken_rules(
        "quizboard/gateway/probe.py", "from quizboard.api.errors import unexpected\nimport redis\n"
    ) == [
        "quizboard/gateway/probe.py:1: gateway imports quizboard.api.errors (api is not below it)"
    ]
    # ...and so is an I/O library or a higher layer in the core, however it is imported.
    source = "import redis.asyncio\nfrom quizboard import store\nimport websockets\n"
    assert broken_rules("quizboard/core/probe.py", source) == [
        "quizboard/core/probe.py:1: the pure core imports the I/O library redis.asyncio",
        "quizboard/core/probe.py:2: core imports quizboard.store (store is not below it)",
        "quizboard/core/probe.py:3: the pure core imports the I/O library websockets",
    ]


TESTS = PACKAGE.parent / "tests"


def test_tests_share_helpers_through_tests_support_only() -> None:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        module = str(path.relative_to(TESTS.parent))
        for line, name in imports(module, path.read_text()):
            if name.startswith("tests.") and not name.startswith("tests.support"):
                found.append(
                    f"{module}:{line}: imports {name}; move what it needs to tests/support"
                )
    assert found == []
