"""What every flow shares: settings from parameters, one store per process, escaped Markdown."""

from __future__ import annotations

import re
from functools import lru_cache

from newsdedup.config import Settings
from newsdedup.store import Store


@lru_cache(maxsize=8)
def open_store(url: str) -> Store:
    return Store.open(url)


def settings_for(**parameters: object) -> Settings:
    """Flow parameters over environment over defaults."""
    return Settings.from_env().replace(**parameters)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def md_escape(text: object) -> str:
    """Untrusted text (titles, paths, URLs) rendered inert in a Markdown artifact."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text).replace("\n", " "))
