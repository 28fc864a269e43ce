"""The pages' catalogues: one per language, the same keys and the same placeholders,
and every key the pages and their scripts use is in them (the English text in the
HTML is the catalogue's own)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import quizboard.web

WEB = Path(quizboard.web.__file__).parent
LANGUAGES = ("en", "vi")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalogue(lang: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((WEB / "i18n" / f"{lang}.json").read_text())
    return loaded


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_language_has_every_key_with_the_same_placeholders(lang: str) -> None:
    english, other = catalogue("en"), catalogue(lang)
    assert other.keys() == english.keys()
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), key
        assert other[key].strip(), key


class _Keyed(HTMLParser):
    """Each element's data-i18n key and its text in the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        key = dict(attrs).get("data-i18n")
        if tag not in ("input", "img", "meta", "link", "br"):
            self._open.append(key)
            if key:
                self.found.append((key, ""))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] and self.found and self.found[-1][0] == self._open[-1]:
            key, text = self.found[-1]
            self.found[-1] = (key, text + data)


@pytest.mark.parametrize("page", sorted(p.name for p in WEB.glob("*.html")))
def test_the_html_s_keys_are_in_the_catalogue_with_its_english_text(page: str) -> None:
    parser = _Keyed()
    parser.feed((WEB / page).read_text())
    english = catalogue("en")
    for key, text in parser.found:
        assert key in english, f"{page}: {key}"
        assert " ".join(text.split()) == english[key], f"{page}: {key}"


def test_every_key_a_script_asks_for_is_in_the_catalogue() -> None:
    english = catalogue("en")
    used = set()
    for script in (WEB / "js").glob("*.js"):
        used |= set(re.findall(r'\bt\("([\w.]+)"', script.read_text()))
    assert used
    assert used - english.keys() == set()
