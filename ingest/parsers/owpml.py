"""Text of OWPML section XML (the body of HWPX, and of HWP once converted to HWPX parts).

Paragraphs become lines; a table becomes one line per row with cells joined by `` | ``
(a one-cell table, the boxed summary of a briefing, keeps its paragraphs as lines);
footnotes and endnotes follow the paragraph that cites them; page headers and footers are
dropped, as they repeat on every page.
"""

from __future__ import annotations

from lxml import etree

from ingest.parsers.layout import cell_text, format_rows

_HP = "{http://www.hancom.co.kr/hwpml/2011/paragraph}"
_SKIPPED = {"header", "footer", "linesegarray", "secPr", "script", "pageNum", "fieldBegin"}
_NOTES = {"footNote", "endNote"}


def safe_xml_parser() -> etree.XMLParser:
    """An lxml parser that expands no entities, loads no DTD, reaches no network and caps tree size."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rsplit("}", 1)[-1]


def _t_text(t: etree._Element) -> str:
    """Text of one <hp:t>, with its inline tab, line-break and space marks."""
    parts = [t.text or ""]
    for child in t:
        name = _local(child)
        if name == "tab":
            parts.append("\t")
        elif name == "lineBreak":
            parts.append("\n")
        elif name in ("fwSpace", "nbSpace"):
            parts.append(" ")
        elif name == "hyphen":
            parts.append("-")
        parts.append(child.tail or "")
    return "".join(parts)


class _SectionWalker:
    """Collects the lines of one section in document order."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def paragraphs(self, container: etree._Element) -> None:
        for p in container:
            if _local(p) == "p":
                self.paragraph(p)

    def paragraph(self, p: etree._Element) -> None:
        pending: list[str] = []
        notes: list[str] = []
        for run in p:
            if _local(run) != "run":
                continue
            for child in run:
                self._inline(child, pending, notes)
        self.lines.append("".join(pending))
        self.lines.extend(notes)

    def _inline(self, element: etree._Element, pending: list[str], notes: list[str]) -> None:
        name = _local(element)
        if name == "t":
            pending.append(_t_text(element))
        elif name == "tbl":
            self._flush(pending)
            self.table(element)
        elif name in _NOTES:
            note = _SectionWalker()
            for sub in element.iter(f"{_HP}subList"):
                note.paragraphs(sub)
                break
            notes.extend(line for line in note.lines if line.strip())
        elif name == "subList":  # text boxes, captions
            self._flush(pending)
            self.paragraphs(element)
        elif name and name not in _SKIPPED:
            for child in element:
                self._inline(child, pending, notes)

    def _flush(self, pending: list[str]) -> None:
        if "".join(pending).strip():
            self.lines.append("".join(pending))
        pending.clear()

    def table(self, tbl: etree._Element) -> None:
        rows: list[list[str]] = []
        for tr in tbl:
            if _local(tr) != "tr":
                continue
            cells: list[str] = []
            for tc in tr:
                if _local(tc) != "tc":
                    continue
                inner = _SectionWalker()
                for sub in tc:
                    if _local(sub) == "subList":
                        inner.paragraphs(sub)
                cells.append(cell_text(inner.lines))
            rows.append(cells)
        if sum(len(r) for r in rows) == 1:
            inner = _SectionWalker()
            for sub in tbl.iter(f"{_HP}subList"):
                inner.paragraphs(sub)
                break
            self.lines.extend(inner.lines)
            return
        self.lines.extend(format_rows(rows))


def section_lines(xml: bytes) -> list[str]:
    """Lines of one ``Contents/sectionN.xml`` part; raises ``etree.XMLSyntaxError`` on bad XML."""
    root = etree.fromstring(xml, parser=safe_xml_parser())
    walker = _SectionWalker()
    walker.paragraphs(root)
    return walker.lines
