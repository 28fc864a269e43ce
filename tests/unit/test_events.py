"""Events: the wire names the Lua scripts spell come from the types."""

from __future__ import annotations

import msgspec
import pytest

from quizboard.core.events import FIELD, ChangeEvent, lua, wire_name


def test_wire_names_come_from_the_type() -> None:
    assert wire_name(ChangeEvent, "as_of") == "as_of"

    class Renamed(msgspec.Struct, rename="camel"):
        as_of: str

    assert wire_name(Renamed, "as_of") == "asOf"
    with pytest.raises(KeyError, match="ChangeEvent has no field 'asof'"):
        wire_name(ChangeEvent, "asof")


def test_lua_fills_every_placeholder_or_refuses() -> None:
    source = "redis.call('XADD', KEYS[1], '*', '{{FIELD}}', '{\"{{QUIZ_ID}}\":' .. ARGV[1] .. '}')"
    assert lua(source, FIELD=FIELD, QUIZ_ID="quiz_id") == (
        "redis.call('XADD', KEYS[1], '*', 'd', '{\"quiz_id\":' .. ARGV[1] .. '}')"
    )
    with pytest.raises(KeyError):
        lua(source, FIELD=FIELD)
    # Lua's own braces and patterns are left alone.
    assert lua("local t = {} string.match(a, '^(%d+)-(%d+)$')") == (
        "local t = {} string.match(a, '^(%d+)-(%d+)$')"
    )
