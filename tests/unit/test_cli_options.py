"""The CLI's options come from the settings: a flag is a settings field, spelled once."""

from __future__ import annotations

from dataclasses import fields

import click

from quizboard.cli import main
from quizboard.settings import ENV_PREFIX, Settings

FLAGGED = {f.name for f in fields(Settings) if "help" in f.metadata}


def _commands(group: click.Group) -> list[click.Command]:
    found: list[click.Command] = [group]
    for command in group.commands.values():
        found += _commands(command) if isinstance(command, click.Group) else [command]
    return found


def _options() -> list[click.Option]:
    return [p for c in _commands(main) for p in c.params if isinstance(p, click.Option)]


def test_no_option_reads_the_environment_itself() -> None:
    """Settings.from_env reads every QUIZBOARD_* variable; an option's envvar would be a
    second reading, with its own cast and default."""
    assert [o.name for o in _options() if o.envvar] == []


def test_every_flagged_setting_is_an_option_and_every_setting_option_names_its_variable() -> None:
    from_settings = [o for o in _options() if o.name in FLAGGED]
    assert {o.name for o in from_settings} == FLAGGED
    for option in from_settings:
        assert option.help is not None
        assert f"[{ENV_PREFIX}{(option.name or '').upper()}]" in option.help
        assert not option.required
