"""The Lua scripts and their layouts: every name a script unpacks from KEYS or ARGV is a
field of the layout class it names, in the same order, and every field is unpacked."""

from __future__ import annotations

import re
from dataclasses import fields
from importlib import resources

import pytest

from quizboard.store import scripts
from quizboard.store.scripts import source

LUA = resources.files("quizboard.store").joinpath("lua")
FILES = sorted(p.name for p in LUA.iterdir() if p.name.endswith(".lua"))
#: ``local a, b = unpack(KEYS, 1, 2)  -- Layout``, over one or more lines.
UNPACK = re.compile(r"local ([\w,\s]+?)\s*=\s*unpack\((KEYS|ARGV), ([^,]+), ([^)]+)\)\s*--\s*(\w+)")
#: Files only ever included by others.
INCLUDED = {"clock.lua", "close.lua", "previous.lua", "apply_prelude.lua"}


def _span(start: str, end: str) -> int:
    """How many values ``unpack(X, start, end)`` takes: ``1, 4``, or ``i + 7, i + 17``."""

    def offset(bound: str) -> int:
        found = re.fullmatch(r"\s*(?:(\d+)|i(?:\s*\+\s*(\d+))?)\s*", bound)
        assert found is not None, bound
        return int(found.group(1) or found.group(2) or 0)

    return offset(end) - offset(start) + 1


def _layouts(text: str) -> list[tuple[str, list[str], int]]:
    return [
        (layout, [n.strip() for n in names.split(",")], _span(start, end))
        for names, _, start, end, layout in UNPACK.findall(text)
    ]


@pytest.mark.parametrize("name", FILES)
def test_each_unpacked_name_is_its_layout_s_field_in_order(name: str) -> None:
    text = LUA.joinpath(name).read_text()
    for layout, names, span in _layouts(text):
        cls = getattr(scripts, layout)
        assert names == [f.name for f in fields(cls)], f"{name}: {layout}"
        assert span == len(names), f"{name}: {layout} unpacks {span} values"


def test_every_layout_is_read_by_a_script() -> None:
    used = {layout for name in FILES for layout, _, _ in _layouts(LUA.joinpath(name).read_text())}
    layouts = {
        name for name, value in vars(scripts).items()
        if isinstance(value, type) and value.__module__ == scripts.__name__
    }  # fmt: skip
    assert used == layouts


@pytest.mark.parametrize("name", sorted(set(FILES) - INCLUDED))
def test_each_script_documents_its_keys_and_arguments_and_loads_whole(name: str) -> None:
    head = LUA.joinpath(name).read_text().split("\n--#include", 1)[0]
    assert "KEYS" in head
    assert "ARGV" in head
    text = source(name)
    assert "{{" not in text
    assert "--#include" not in text


def test_a_script_s_names_come_from_the_types() -> None:
    text = source("accept.lua")
    assert "local function now_ms()" in text  # included
    assert "',\"points\":'" in text
    assert "math.min(100 * (streak - 1), 500)" in text


def test_a_placeholder_that_names_nothing_refuses_to_load() -> None:
    with pytest.raises(KeyError):
        scripts._PLACEHOLDER.sub(scripts._fill, "'{{AnswerEvent.nothing}}'")
    with pytest.raises(KeyError):
        scripts._PLACEHOLDER.sub(scripts._fill, "'{{NOTHING}}'")
    # Lua's own braces and patterns are left alone.
    lua = "local t = {} string.match(a, '^(%d+)-(%d+)$')"
    assert scripts._PLACEHOLDER.sub(scripts._fill, lua) == lua
