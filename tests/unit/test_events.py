"""Events: the wire names the Lua scripts spell come from the types."""

from __future__ import annotations

import msgspec
import pytest

from quizboard.core.events import ChangeEvent, wire_name


def test_wire_names_come_from_the_type() -> None:
    assert wire_name(ChangeEvent, "as_of") == "as_of"

    class Renamed(msgspec.Struct, rename="camel"):
        as_of: str

    assert wire_name(Renamed, "as_of") == "asOf"
    with pytest.raises(KeyError, match="ChangeEvent has no field 'asof'"):
        wire_name(ChangeEvent, "asof")
