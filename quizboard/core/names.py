"""Display names fit for a classroom: normalised, compared without regard to case,
checked against word lists, or made up for the players.

A name is normalised (Unicode NFKC, trimmed, inner spaces collapsed) before it is
stored, and compared case-folded, so "Anna" and "ANNA " are the same name in a
quiz. It is refused when a word of it is on the English list (LDNOOBW, CC BY 4.0)
or on our Vietnamese list (``wordlists/``). A Vietnamese entry matches as written,
accents included; without its accents it matches only when that leaves four
letters or more, as short words without accents are too often innocent.

A quiz may hand out names instead: an adjective and an animal, in its language,
the same for a player however often it asks.
"""

from __future__ import annotations

import random
import re
import unicodedata
from functools import cache
from importlib import resources
from typing import Literal

from quizboard.core.errors import InvalidInput

Language = Literal["en", "vi"]
LANGUAGES: tuple[Language, ...] = ("en", "vi")
MIN_BARE = 4  # letters an entry keeps without its accents, to match that way

ADJECTIVES: dict[Language, tuple[str, ...]] = {
    "en": ("Brave", "Bright", "Calm", "Clever", "Cosy", "Curious", "Eager", "Friendly",
           "Gentle", "Happy", "Helpful", "Jolly", "Kind", "Lively", "Lucky", "Merry",
           "Nimble", "Patient", "Polite", "Proud", "Quick", "Quiet", "Sunny", "Swift",
           "Tidy", "Wise", "Witty", "Zesty"),
    "vi": ("Dũng cảm", "Thông minh", "Vui vẻ", "Hiền lành", "Nhanh nhẹn", "Chăm chỉ",
           "Tốt bụng", "Dễ thương", "Lanh lợi", "Tinh nghịch", "Điềm tĩnh", "Khéo léo",
           "Mạnh mẽ", "Tò mò", "Siêng năng", "Vui tính", "Hăng hái", "Lễ phép"),
}  # fmt: skip
ANIMALS: dict[Language, tuple[str, ...]] = {
    "en": ("Badger", "Bear", "Beaver", "Dolphin", "Eagle", "Falcon", "Fox", "Giraffe",
           "Hedgehog", "Heron", "Koala", "Lion", "Lynx", "Otter", "Owl", "Panda",
           "Penguin", "Rabbit", "Robin", "Seal", "Squirrel", "Tiger", "Turtle", "Whale",
           "Wolf", "Zebra"),
    "vi": ("Mèo", "Hổ", "Gấu", "Thỏ", "Cáo", "Cú", "Voi", "Khỉ", "Rùa", "Sóc",
           "Cá heo", "Chim sẻ", "Ngựa", "Hươu", "Chim cánh cụt", "Gấu trúc", "Sư tử",
           "Đại bàng"),
}  # fmt: skip


def normalize_name(name: str) -> str:
    """A display name as stored: NFKC, trimmed, inner runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def name_key(name: str) -> str:
    """What two names are compared by: the normalised name, case-folded."""
    return normalize_name(name).casefold()


def _bare(text: str) -> str:
    """``text`` without accents (and đ as d)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(text: str) -> str:
    """The words of ``text``, one space apart, with a space at either end."""
    return " " + " ".join(re.findall(r"\w+", text)) + " "


@cache
def _entries() -> tuple[frozenset[str], frozenset[str]]:
    """Every entry as written (case-folded), and those that also match without their
    accents (stripped of them)."""
    folder = resources.files("quizboard.core").joinpath("wordlists")
    written: set[str] = set()
    bare: set[str] = set()
    for language in LANGUAGES:
        for line in folder.joinpath(f"{language}.txt").read_text().splitlines():
            entry = _words(line.casefold()).strip()
            if not entry:
                continue
            written.add(entry)
            stripped = _bare(entry)
            if sum(ch.isalpha() for ch in stripped) >= MIN_BARE:
                bare.add(stripped)
    return frozenset(written), frozenset(bare)


def offensive(name: str) -> bool:
    """Whether a word (or a run of words) of ``name`` is on a list."""
    written, bare = _entries()
    words = _words(name_key(name))
    stripped = _bare(words)
    squeezed = "".join(words.split())  # "f u c k", "f.u.c.k"
    return (
        any(f" {entry} " in words for entry in written)
        or any(f" {entry} " in stripped for entry in bare)
        or squeezed in written
        or _bare(squeezed) in bare
    )


def check_name(name: str) -> str:
    """``name`` normalised, or :class:`InvalidInput` when it is not fit for a room."""
    cleaned = normalize_name(name)
    if offensive(cleaned):
        raise InvalidInput("this name is not allowed here: choose another", code="name_not_allowed")
    return cleaned


def made_up_name(language: Language, seed: str, attempt: int = 0) -> str:
    """A friendly name for the player ``seed``, in ``language``; another for each
    ``attempt`` (when one was taken), with a number once the pairs run short."""
    rng = random.Random(f"{seed}:{attempt}")
    adjective = rng.choice(ADJECTIVES[language])
    animal = rng.choice(ANIMALS[language])
    name = f"{animal} {adjective.lower()}" if language == "vi" else f"{adjective} {animal}"
    return name if attempt < 3 else f"{name} {rng.randrange(2, 100)}"
