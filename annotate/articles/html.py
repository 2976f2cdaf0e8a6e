"""Main text and metadata of a news page: jusText for the text, the page's meta tags for metadata.

(trafilatura would do both, but it cannot be installed beside label-studio 1.23: its date parser
needs pytz >= 2024.2 and label-studio pins pytz < 2023, and pip gave up resolving after 10 minutes.)
"""

from __future__ import annotations

import re
from typing import Any

import justext
import lxml.html

# A closing </body> or </html> before the end (pages glued together, a stray tag) would make the
# parsers drop everything after it: they are removed, so the text after them is read too.
_CLOSING = re.compile(r"</\s*(?:body|html)\s*>", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"\s*<\?xml[^>]*>")  # lxml refuses it in a str
# What a page shows only without JavaScript ("Please enable JavaScript..."): never article text.
_NOSCRIPT = re.compile(r"<noscript\b.*?</noscript\s*>", re.IGNORECASE | re.DOTALL)

_META = {
    "title": ("og:title", "twitter:title", "title", "dc.title"),
    "author": ("author", "article:author", "dc.creator", "parsely-author", "byl"),
    "published": ("article:published_time", "datepublished", "date", "dc.date", "pubdate", "parsely-pub-date"),
    "source": ("og:site_name", "application-name", "publisher"),
    "url": ("og:url", "twitter:url"),
}


def _meta_tags(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key and content and key not in found:
            found[key] = content
    return found


def extract(html: str) -> tuple[str, dict[str, Any]]:
    """(main text with paragraphs separated by blank lines, metadata)."""
    html = _NOSCRIPT.sub("", _CLOSING.sub("", _XML_DECLARATION.sub("", html, count=1)))
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return "", {}
    tags = _meta_tags(tree)
    meta: dict[str, Any] = {}
    for field, keys in _META.items():
        meta[field] = next((tags[k] for k in keys if k in tags), None)
    if not meta["title"]:
        title = tree.findtext(".//title")
        meta["title"] = title.strip() if title else None
    if not meta["published"]:
        time = tree.find(".//time[@datetime]")
        meta["published"] = time.get("datetime") if time is not None else None
    if not meta["url"]:
        canonical = tree.find(".//link[@rel='canonical']")
        meta["url"] = canonical.get("href") if canonical is not None else None
    # Lower length thresholds than jusText's defaults (70/200): news paragraphs are short.
    try:
        paragraphs = justext.justext(html, justext.get_stoplist("English"), length_low=20, length_high=100)
    except (lxml.etree.ParserError, ValueError):
        return "", meta
    kept = [p.text.strip() for p in paragraphs if not p.is_boilerplate and p.text.strip()]
    if kept and meta["title"] and " ".join(kept[0].split()) == " ".join(meta["title"].split()):
        kept = kept[1:]  # the headline is the title: one unit, not two
    return "\n\n".join(kept), meta
