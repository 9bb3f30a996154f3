"""Strings from data or parameters are shown in the report as text, never as markup.

The report notebook interpolates the title, team and dataset folder name into
``Markdown(...)``; nbconvert renders that Markdown with mistune.  These tests render
:func:`ssi_kit.report.display.md_text` output with nbconvert's own renderer and check
that no link, image, emphasis or HTML element comes out of hostile strings, and that
the text reads back unchanged.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from ssi_kit.report.display import md_text

HOSTILE = [
    "[notes](javascript:alert(4))",
    "![x](javascript:alert(5))",
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "*bold* _it_ `code` ~~gone~~",
    "# heading",
    "a | b | c\n---|---|---",
    "<https://evil.example/>",
    "Team $x^2$ & Co.",
    "1. not a list",
    "- not a bullet",
    "=HYPERLINK(\"http://x\")",
]


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def _elements(body: str) -> list:
    """Every element (tag, attributes) the HTML holds, as a browser's parser sees them."""
    parser = _Elements()
    parser.feed(body)
    return parser.found


def _without_anchor(rendered: str) -> str:
    """nbconvert adds a heading's own ``<a class="anchor-link" href="#...">``: not from data."""
    return re.sub(r'<a class="anchor-link" href="#[^"]*">[^<]*</a>', "", rendered)


def _text_of(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", _without_anchor(rendered))).strip()


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_render_as_plain_text(value):
    rendered = markdown2html_mistune(f"# Report for {md_text(value)}")
    body = _without_anchor(rendered).strip()
    assert body.startswith("<h1") and body.endswith("</h1>") and body.count("<h1") == 1
    elements = _elements(body)
    assert [tag for tag, _ in elements] == ["h1"], (value, rendered)
    assert {name for name, _ in elements[0][1]} <= {"id"}, rendered  # no link, image or handler
    assert _text_of(rendered) == "Report for " + " ".join(value.split())


def test_plain_names_stay_readable():
    assert _text_of(markdown2html_mistune(md_text("Team North (EMEA) - Q3"))) == "Team North (EMEA) - Q3"
