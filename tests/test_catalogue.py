"""The text catalogue (smlib.presentation.catalogue): one file per language, same keys and
placeholders in each, lookups that fail loudly."""

from __future__ import annotations

import pytest

from smlib.presentation import catalogue
from smlib.presentation.settings import LANGUAGES


def test_every_language_has_a_catalogue_file() -> None:
    for lang in LANGUAGES:
        assert (catalogue.LOCALES_DIR / f"{lang}.toml").is_file()


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    reference = catalogue.keys("en")
    for lang in LANGUAGES:
        other = catalogue.keys(lang)
        assert sorted(set(reference) ^ set(other)) == [], lang
        for key, value in other.items():
            assert type(value) is type(reference[key]), (lang, key)
            assert catalogue.placeholders(value) == catalogue.placeholders(reference[key]), (lang, key)
            if isinstance(value, str):
                assert value.strip(), (lang, key)


def test_text_fills_placeholders_and_names_what_is_missing(tmp_path, monkeypatch) -> None:
    for lang in LANGUAGES:
        (tmp_path / f"{lang}.toml").write_text(
            '[demo]\ngreeting = "hello {name}"\nbraces = "a {{literal}}"\n[demo.table]\nx = "X"\n',
            encoding="utf-8")
    monkeypatch.setattr(catalogue, "LOCALES_DIR", tmp_path)
    catalogue._catalogue.cache_clear()
    try:
        assert catalogue.text("demo.greeting", "en", name="Ana") == "hello Ana"
        assert catalogue.text("demo.braces", "es") == "a {literal}"
        assert catalogue.entry("demo.table", "en") == {"x": "X"}
        assert catalogue.has("demo.greeting") and not catalogue.has("demo.nope")
        with pytest.raises(KeyError, match="demo.nope"):
            catalogue.text("demo.nope", "en")
        with pytest.raises(KeyError, match="'name'"):
            catalogue.text("demo.greeting", "en")
        with pytest.raises(TypeError, match="entry"):
            catalogue.text("demo.table", "en")
        with pytest.raises(ValueError, match="language"):
            catalogue.text("demo.greeting", "fr")
    finally:
        catalogue._catalogue.cache_clear()
