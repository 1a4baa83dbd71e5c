"""HTML through BeautifulSoup + lxml: a korea.kr policy-briefing page, or any plain page.

On a korea.kr page (정책브리핑 ``pressReleaseView.do``) the title is the ``.article_head h1``
and the body the first article container found; on other pages, the whole ``<body>``.
Scripts, styles and page chrome (nav, header, footer, aside, form) are dropped; tables come
out a row per line with cells `` | ``; HTML whitespace collapses as a browser would show it.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Comment, Tag
from bs4.dammit import EncodingDetector

from core.errors import ParseError
from ingest.parsers.base import ParsedDocument
from ingest.parsers.layout import cell_text, finish_text, format_rows
from ingest.parsers.txt import decode_text

_DROPPED = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
)
_BODY_SELECTORS = (".article_body", ".view_cont", ".view_content", ".article_content", "#contents", "main")
_BLOCKS = (
    "p",
    "div",
    "li",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "blockquote",
    "pre",
    "section",
    "article",
    "ul",
    "ol",
    "dl",
)
_SPACES = re.compile(r"\s+")
_SITE_SUFFIX = " - 대한민국 정책브리핑"


def _title(soup: BeautifulSoup) -> str:
    heading = soup.select_one(".article_head h1")
    if heading is not None:
        return heading.get_text(" ", strip=True)
    if soup.title is not None and soup.title.string:
        return soup.title.string.strip().removesuffix(_SITE_SUFFIX).strip()
    return ""


def _flatten_tables(container: Tag) -> None:
    """Replace each table (innermost first) by its rows as text lines."""
    for table in reversed(container.find_all("table")):
        rows = [
            [cell_text([cell.get_text(" ")]) for cell in tr.find_all(("td", "th"), recursive=False)]
            for tr in table.find_all("tr")
        ]
        table.replace_with("\n" + "\n".join(format_rows(rows)) + "\n")


def parse_html(path: Path, data: bytes) -> ParsedDocument:
    """Read an HTML briefing page."""
    if b"\x00" in data[:4096]:
        raise ParseError(path, "binary data (NUL bytes) in an HTML file")
    declared = EncodingDetector.find_declared_encoding(data, is_html=True, search_entire_document=False)
    # Without a declared charset, Korean pages are UTF-8 or CP949; guessing bytes often picks neither.
    markup: bytes | str = data if declared else decode_text(data, path)
    soup = (
        BeautifulSoup(markup, "lxml", from_encoding=declared) if declared else BeautifulSoup(markup, "lxml")
    )
    title = _title(soup)
    for element in soup.find_all(_DROPPED):
        element.decompose()
    container = next((c for s in _BODY_SELECTORS if (c := soup.select_one(s)) is not None), None)
    container = container or soup.body or soup
    for comment in container.find_all(string=lambda node: isinstance(node, Comment)):
        comment.extract()
    for node in container.find_all(string=True):
        if node.find_parent("pre") is None:  # HTML whitespace is one space, as a browser shows it
            node.replace_with(_SPACES.sub(" ", node))
    _flatten_tables(container)
    for br in container.find_all("br"):
        br.replace_with("\n")
    for block in container.find_all(_BLOCKS):
        block.insert_before("\n")
        block.append("\n")
    lines = [" ".join(line.split()) for line in container.get_text().split("\n")]
    text = "\n".join(line for line in lines if line)
    return ParsedDocument(text=finish_text(text), format="html", title=title)
