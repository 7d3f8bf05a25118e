"""MkDocs hook: one search index per language. mkdocs-static-i18n builds the languages one after the other, then
writes one index of all of them (Material loads `search/search_index.json` from the site's base, so the plugin offers
nothing better: ultrabug/mkdocs-static-i18n#271), and Russian readers got English pages first. Here each language's
build writes its own pages, with its own lunr language, into its own subsite (site/search/ for English, site/ru/search/
for Russian), and the pages of a subsite take it as their base: its search loads that index and links its results."""

from __future__ import annotations

import json
import os
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url, write_file

# mkdocs-static-i18n runs the other languages' builds inside the default one's post_build, so the builds nest: a
# stack pairs each build's start with its end. It holds the SearchIndex the search plugin made for that build.
_pending: list[tuple[str, str, Any]] = []


def subsite(config: Any) -> str:
    """The folder of the language being built, relative to the site: '' for the default language, 'ru/' for ru."""
    language = config.theme["language"]
    default = next(lang.locale for lang in config.plugins["i18n"].config.languages if lang.default)
    return "" if language == default else f"{language}/"


def language_index(language: str, prefix: str, entries: list[dict[str, Any]], search: Any) -> dict[str, Any]:
    """The search index of one language's subsite: its entries, located relative to the subsite, and its lunr."""
    settings = {key: search.config[key] for key in ("separator", "pipeline", "fields")}
    docs = [{**entry, "location": entry["location"].removeprefix(prefix)} for entry in entries]
    return {"config": {"lang": [language], **settings}, "docs": docs}


def on_page_context(context: dict[str, Any], page: Page, config: Any, nav: Any) -> dict[str, Any]:
    # Material's `__config.base` (and its local storage scope) come from base_url: the subsite's root here.
    if prefix := subsite(config):
        context["base_url"] = get_relative_url(prefix, page.url)
    return context


def on_pre_build(config: Any) -> None:
    # The search plugin makes a new SearchIndex in each build's on_config; mkdocs-static-i18n refills the last one
    # with every language, but only after that build has ended (and written its own index below).
    _pending.append((config.theme["language"], subsite(config), config.plugins["material/search"].search_index))


@event_priority(-200)  # after mkdocs-static-i18n's post_build (-100) has written its combined index over ours
def on_post_build(config: Any) -> None:
    language, prefix, search_index = _pending.pop()
    index = language_index(language, prefix, list(search_index.entries), config.plugins["material/search"])
    path = os.path.join(config.site_dir, prefix, "search", "search_index.json")
    write_file(json.dumps(index, separators=(",", ":"), default=str).encode("utf-8"), path)
