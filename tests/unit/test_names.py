"""Display names: normalised, compared by their key, checked against the word lists,
and made up."""

from __future__ import annotations

import pytest

from quizboard.core.errors import InvalidInput
from quizboard.core.models import clean_display_name
from quizboard.core.names import ADJECTIVES, ANIMALS, made_up_name, name_key, offensive


def test_a_name_is_normalised_and_compared_without_regard_to_case() -> None:
    assert clean_display_name("  Anna   Lee ") == "Anna Lee"
    assert clean_display_name("\uff21\uff4e\uff4e\uff41") == "Anna"  # NFKC: full-width letters
    assert name_key("ANNA  LEE") == name_key("anna lee")
    assert name_key("Straße") == name_key("STRASSE")


@pytest.mark.parametrize(
    "name",
    ["fuck", "F U C K", "Big Fuck", "\uff46\uff55\uff43\uff4b", "bitch", "địt",
     "Nguyễn Văn Đụ", "đồ chó", "Vcl", "oc cho"],
)  # fmt: skip
def test_names_on_the_lists_are_refused(name: str) -> None:
    assert offensive(name)
    with pytest.raises(InvalidInput) as refused:
        clean_display_name(name)
    assert refused.value.code == "name_not_allowed"


@pytest.mark.parametrize(
    "name", ["Anna", "Scunthorpe", "Assessment", "Dit", "Lon", "Du", "Nguyễn Văn Đức", "Mr Poopy"]
)
def test_ordinary_names_pass(name: str) -> None:
    assert not offensive(name)


def test_made_up_names_are_the_lists_words_the_same_for_a_player() -> None:
    for language in ("en", "vi"):
        name = made_up_name(language, "player-1")
        assert name == made_up_name(language, "player-1")
        assert any(a.lower() in name.lower() for a in ADJECTIVES[language])
        assert any(a in name for a in ANIMALS[language])
        assert not offensive(name)
    tries = {made_up_name("en", "player-1", n) for n in range(6)}
    assert len(tries) > 1
