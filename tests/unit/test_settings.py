from __future__ import annotations

import pytest

from quizboard.core.errors import ConfigError
from quizboard.core.keys import Keys
from quizboard.core.slots import partition_tag
from quizboard.settings import Settings


def test_settings_come_from_quizboard_variables() -> None:
    settings = Settings.from_env({
        "QUIZBOARD_REDIS_URL": "redis://h:1/0",
        "QUIZBOARD_PARTITIONS": "8",
        "QUIZBOARD_WAIT_AOF": "yes",
        "OTHER": "ignored",
    })  # fmt: skip
    assert settings.redis_url == "redis://h:1/0"
    assert settings.partitions == 8
    assert settings.wait_aof is True
    assert settings.batch_size == Settings().batch_size


def test_a_bad_value_names_its_variable() -> None:
    with pytest.raises(ConfigError, match="QUIZBOARD_BATCH_SIZE"):
        Settings.from_env({"QUIZBOARD_BATCH_SIZE": "many"})
    with pytest.raises(ConfigError, match="QUIZBOARD_PARTITIONS"):
        Settings.from_env({"QUIZBOARD_PARTITIONS": "0"})


def test_unset_cli_flags_do_not_override() -> None:
    settings = Settings(api_port=9000).replace(api_port=None, api_host="0.0.0.0")
    assert (settings.api_host, settings.api_port) == ("0.0.0.0", 9000)


def test_keys_carry_the_partition_tag() -> None:
    keys = Keys("qb:")
    p3 = partition_tag(3)
    assert keys.stream(3, "answers") == f"qb:{{{p3}}}:answers"
    assert keys.quiz(3, 42).leaderboard == f"qb:{{{p3}}}:quiz:42:lb"
    assert keys.quiz_config(42) == "qb:quiz:42"
    assert keys.partition_of_stream(keys.stream(12, "joins")) == 12
    assert keys.streams(2, "joins") == [keys.stream(0, "joins"), keys.stream(1, "joins")]
    assert keys.channel(3, 42) == f"qb:{{{p3}}}:lb:42"


def test_settings_survive_the_trip_through_the_environment() -> None:
    settings = Settings(redis_url="redis://x", wait_aof=True, partitions=3, secret="s")
    assert Settings.from_env(settings.to_env()) == settings
