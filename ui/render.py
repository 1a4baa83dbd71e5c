"""HTML for the chat: answers, abstentions, the latest releases and a release's full text.

Every piece of document text is escaped, since it is untrusted. Pieces that go into a chat
message are single HTML blocks with no blank lines, so the chat's Markdown renderer leaves the
(escaped) text alone instead of reading ``|`` or ``*`` in it as Markdown. Release text keeps the
parsers' Markdown tables and escapes (``(26.1월\\~)``); ``release_html`` shows the tables as tables
and drops the escapes, and leaves every other line as it is written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlencode

from markdown_it import MarkdownIt

from answer.records import Answer, Passage
from ingest.records import Briefing, Fact

NO_REASON = "보도자료에서 이 질문에 대한 답을 찾지 못했습니다."
TRY_AGAIN = "사업명, 연도, 부처 이름을 넣어 질문을 조금 더 구체적으로 바꾸어 보세요."
FULL_TEXT = "보도자료 원문 전체 보기"
MORE_SOURCES = 2
NEAREST = 3
CONTACTS = 2
DOUBT_BELOW = 0.5
DOUBT_NOTE = "확실하지 않은 답입니다. 아래 보도자료 원문을 확인해 주세요."

# Also usable as mount_gradio_app(css=UI_CSS); build_ui injects it into the page head itself.
UI_CSS = """
.briefqa-answer { font-size: 1.05em; margin: 0 0 .4em; }
.briefqa-card { border: 1px solid var(--border-color-primary, #d0d7de); border-radius: 10px;
  padding: .55em .8em; margin: .4em 0; background: var(--background-fill-secondary, #f8fafc); }
.briefqa-card p { margin: .15em 0; }
.briefqa-card blockquote { margin: .45em 0; padding: .2em .6em; border-left: 4px solid #f59e0b;
  white-space: normal; overflow-wrap: anywhere; }
.briefqa-meta { color: var(--body-text-color-subdued, #57606a); font-size: .92em; }
mark { background: #fde68a; color: #1f2328; padding: 0 .15em; border-radius: 3px; }
.briefqa-recent ol { padding-left: 1.2em; margin: 0; }
.briefqa-recent li { margin: .35em 0; line-height: 1.35; }
.briefqa-doc-text { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.6;
  max-height: 70vh; overflow-y: auto; border: 1px solid var(--border-color-primary, #d0d7de);
  border-radius: 8px; padding: .8em; }
.briefqa-doc { max-width: 960px; }
#briefqa-ask { white-space: nowrap; }
.briefqa-answer strong { font-size: 1.12em; }
.briefqa-doubt { color: #7c2d12; background: #fff7ed; border: 1px solid #fdba74; border-radius: 8px;
  padding: .35em .6em; margin: 0 0 .4em; }
.briefqa-card-doubtful blockquote { border-left-color: #9ca3af; }
.briefqa-card-doubtful mark { background: #e5e7eb; }
.briefqa-table { overflow-x: auto; margin: .3em 0; white-space: normal; }
.briefqa-table table { border-collapse: collapse; font-size: .92em; }
.briefqa-table th, .briefqa-table td { border: 1px solid var(--border-color-primary, #d0d7de);
  padding: .15em .4em; text-align: left; vertical-align: top; }
@media (max-width: 480px) {
  /* the chat grows with its messages and the page scrolls, so an answer card is never cut inside a box */
  #briefqa-chatbot, #briefqa-chatbot .wrapper, #briefqa-chatbot .bubble-wrap {
    height: auto !important; max-height: none !important; overflow: visible !important; }
  .gradio-container { padding-left: 6px !important; padding-right: 6px !important; }
  .briefqa-header h1, .briefqa-header .prose h1 { font-size: 1.3rem !important; margin-bottom: .3em !important; }
  .briefqa-header p { font-size: .9rem; }
  #briefqa-chatbot .message-row.bubble { margin-left: 4px !important; margin-right: 4px !important; }
  #briefqa-chatbot .bot-row .message, #briefqa-chatbot .bot-row .flex-wrap { max-width: 100% !important; }
  .briefqa-card { padding: .4em .5em; }
  .briefqa-card blockquote { padding: .1em .4em; margin: .35em 0; }
}
"""


def render_answer(answer: Answer, document: Briefing | None = None, contacts: Sequence[Fact] = ()) -> str:
    """One chat reply: the answer in bold, the source card (title, ministry, date, kind), the cited
    passage with the answer marked, a link to the full text and the contact to call, if any. A
    doubtful answer (``is_doubtful``) says so first, shows the passage, and offers the span after it.

    ``document`` is the cited release (for its kind); ``contacts`` are its contact facts.
    """
    if answer.is_abstention or not answer.citations:
        return render_abstention(answer)
    first = answer.citations[0]
    text = answer.text or ""
    doubtful = is_doubtful(answer)
    if doubtful:  # the passage leads and the answer is offered, not asserted
        parts = [f'<p class="briefqa-doubt" role="note">⚠️ {esc(DOUBT_NOTE)}</p>']
    else:
        parts = [f'<p class="briefqa-answer"><strong>{esc(text)}</strong></p>']
    if answer.rephrased:
        parts.append(f'<p class="briefqa-rephrased">{esc(answer.rephrased)}</p>')
    if len(answer.items) > 1:
        parts.append("<ul>" + "".join(
            f'<li><a href="{doc_link(i.citation.source, i.citation.start, i.citation.end)}" target="_blank">'
            f"{esc(i.text)}</a></li>" for i in answer.items) + "</ul>")
    at = first.quote.find(text) if text else -1
    span = (first.start + at, first.start + at + len(text)) if at >= 0 else (first.start, first.end)
    kind = document.kind if document is not None else ""
    card = [
        f'<div class="briefqa-card{" briefqa-card-doubtful" if doubtful else ""}">',
        f"<p>📄 <strong>출처</strong> · {esc(_clean(first.title))}</p>",
        f'<p class="briefqa-meta">{esc(byline(first.ministry, first.date, kind))}</p>',
        f"<blockquote>{highlight(first.quote, text)}</blockquote>",
        f'<p><a href="{doc_link(first.source, *span)}" target="_blank">📑 {FULL_TEXT}</a></p>',
    ]
    contact_line = render_contacts(contacts)
    if contact_line:
        card.append(f"<p>{contact_line}</p>")
    card.append("</div>")
    parts.append("".join(card))
    if doubtful:
        parts.append(f'<p class="briefqa-answer briefqa-answer-doubtful">찾은 답 (확인 필요): {esc(text)}</p>')
    more = other_sources(first.source, answer.passages)
    if more:
        items = "".join(
            f'<li><a href="{doc_link(c.source)}" target="_blank">{esc(_clean(c.title))}</a> '
            f"<small>({esc(byline(c.ministry, c.date))})</small></li>"
            for c in more
        )
        parts.append(f"<p>다른 관련 보도자료</p><ul>{items}</ul>")
    return "\n".join(parts)


def is_doubtful(answer: Answer) -> bool:
    """Whether the answering layer gives the answer less than even odds of being right (its
    ``confidence`` is that probability, calibrated on releases the reader was not trained on)."""
    return answer.text is not None and answer.confidence < DOUBT_BELOW


def render_abstention(answer: Answer) -> str:
    """Why there is no answer, how to ask better, and the closest releases (linked)."""
    parts = [f"<p>{esc(answer.reason or NO_REASON)}</p>", f"<p>{esc(TRY_AGAIN)}</p>"]
    nearest: dict[str, str] = {}
    for passage in answer.passages:
        if passage.title and passage.source not in nearest and passage.title not in nearest.values():
            nearest[passage.source] = passage.title
        if len(nearest) == NEAREST:
            break
    if nearest:
        items = "".join(
            f'<li><a href="{doc_link(source)}" target="_blank">{esc(_clean(title))}</a></li>'
            for source, title in nearest.items()
        )
        parts.append(f"<p><strong>가장 가까운 보도자료</strong></p><ul>{items}</ul>")
    return "\n".join(parts)


def render_contacts(contacts: Sequence[Fact]) -> str:
    """'☎ 문의: 산업경제과 정일 과장 044-215-4530' for up to CONTACTS people, or ''."""
    people = []
    for fact in pick_contacts(contacts):
        a = fact.attrs
        who = " ".join(p for p in (a.get("department", ""), a.get("name", ""), a.get("title", "")) if p)
        phone = a.get("phone", "")
        people.append(esc(who) + (f' <a href="tel:{esc(phone)}">{esc(phone)}</a>' if phone else ""))
    if not people:
        return ""
    return "☎ <strong>문의</strong>: " + " · ".join(people)


def pick_contacts(contacts: Sequence[Fact]) -> list[Fact]:
    """The person in charge (책임자) first, then the officers, without repeating a phone number."""
    ranked = sorted(contacts, key=lambda f: (f.attrs.get("role") != "책임자", f.start))
    chosen: list[Fact] = []
    phones: set[str] = set()
    for fact in ranked:
        phone = fact.attrs.get("phone", "")
        if phone and phone in phones:
            continue
        if not (phone or fact.attrs.get("name")):
            continue
        phones.add(phone)
        chosen.append(fact)
        if len(chosen) == CONTACTS:
            break
    return chosen


def render_recent(documents: Iterable[Briefing], limit: int = 8) -> str:
    """The latest releases, newest first: title (linked to its full text), ministry and date."""
    docs = sorted(documents, key=lambda d: (d.published_on, d.doc_id), reverse=True)[:limit]
    if not docs:
        return '<div class="briefqa-recent"><p>아직 색인된 보도자료가 없습니다.</p></div>'
    items = "".join(
        f'<li><a href="{doc_link(d.doc_id)}" target="_blank">{esc(_clean(d.title) or d.doc_id)}</a><br>'
        f'<span class="briefqa-meta">{esc(byline(d.ministry, d.published_on))}</span></li>'
        for d in docs
    )
    return f'<div class="briefqa-recent"><ol>{items}</ol></div>'


def render_document(document: Briefing, start: int | None = None, end: int | None = None,
                    contacts: Sequence[Fact] = ()) -> str:
    """A release's full text, with ``text[start:end]`` marked when given."""
    text = document.text
    marked = start is not None and end is not None and 0 <= start < end <= len(text)
    body = release_html(text, (start, end) if marked else None, mark_id="briefqa-hit", line_breaks=False)
    contact_line = render_contacts(contacts)
    return (
        '<div class="briefqa-doc">'
        f"<h2>{esc(_clean(document.title) or document.doc_id)}</h2>"
        f'<p class="briefqa-meta">{esc(byline(document.ministry, document.published_on, document.kind))}</p>'
        + (f"<p>{contact_line}</p>" if contact_line else "")
        + f'<div class="briefqa-doc-text">{body}</div>'
        "</div>"
    )


def highlight(quote: str, text: str) -> str:
    """The quote as HTML (``release_html``), with the first occurrence of the answer text marked."""
    at = quote.find(text) if text else -1
    return release_html(quote, (at, at + len(text)) if at >= 0 else None)


_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
_DELIMITER_ROW = re.compile(r"^[ \t]*\|(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*$")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # a Markdown backslash escape of ASCII punctuation
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use marks of the highlighted span while rendering
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_EMPTY_HEAD = re.compile(r"<thead><tr>(?:<th(?: [^>]*)?></th>)+</tr></thead>")


def release_html(text: str, span: tuple[int, int] | None = None, *, mark_id: str | None = None,
                 line_breaks: bool = True) -> str:
    """Release text as HTML: runs of Markdown table rows as ``<table>``s, other lines escaped as
    written (line breaks as ``<br>``, or kept for ``white-space: pre-wrap`` when ``line_breaks`` is
    False), Markdown escapes dropped, and ``text[span[0]:span[1]]`` in ``<mark>`` (closed and reopened
    at cell borders, so the HTML stays well formed). No blank line comes out, so the result is one
    HTML block inside a chat message's Markdown.
    """
    if span is not None:
        start, end = span
        text = text[:start] + _OPEN + text[start:end] + _CLOSE + text[end:]
    blocks: list[str] = []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        j = i
        is_table = bool(_TABLE_ROW.match(lines[i].rstrip("\r\n")))
        while j < len(lines) and bool(_TABLE_ROW.match(lines[j].rstrip("\r\n"))) == is_table:
            j += 1
        chunk = lines[i:j]
        blocks.append(_table_html(chunk) if is_table else _text_html("".join(chunk), line_breaks))
        i = j
    return _place_marks("".join(blocks), mark_id)


def _table_html(rows: list[str]) -> str:
    rows = [r.rstrip("\r\n") for r in rows]
    if len(rows) < 2 or not _DELIMITER_ROW.match(rows[1]):
        # rows without a header line (a quote cut out of a table): all body rows, under an empty head
        columns = max(1, len(re.split(r"(?<!\\)\|", rows[0].strip())) - 2)
        rows[:0] = ["|" + "  |" * columns, "|" + " --- |" * columns]
    rendered = _MARKDOWN.render("\n".join(rows) + "\n").replace("\n", "")
    rendered = _EMPTY_HEAD.sub("", rendered)  # contact tables often open with a row of empty cells
    return f'<div class="briefqa-table">{rendered}</div>'


def _text_html(text: str, line_breaks: bool) -> str:
    plain = html.escape(_ESCAPED.sub(r"\1", text))
    if line_breaks:
        plain = plain.replace("\r\n", "\n").replace("\n", "<br>")
    return plain


def _place_marks(rendered: str, mark_id: str | None) -> str:
    """Turn the private-use marks into ``<mark>`` tags, one pair per text run between tags."""
    if _OPEN not in rendered:
        return rendered
    out: list[str] = []
    inside = False
    first = True

    def opening() -> str:
        nonlocal first
        tag = f'<mark id="{mark_id}">' if first and mark_id else "<mark>"
        first = False
        return tag

    for piece in _TAG_OR_TEXT.split(rendered):
        if piece.startswith("<"):
            out.append(piece)
            continue
        run = [opening()] if inside and piece else []
        for ch_run in re.split(f"([{_OPEN}{_CLOSE}])", piece):
            if ch_run == _OPEN:
                inside = True
                run.append(opening())
            elif ch_run == _CLOSE:
                inside = False
                run.append("</mark>")
            else:
                run.append(ch_run)
        if inside and piece:
            run.append("</mark>")
        out.append("".join(run))
    return "".join(out).replace("<mark></mark>", "")


def other_sources(cited: str, passages: list[Passage]) -> list[Passage]:
    """Up to MORE_SOURCES other releases among the retrieved passages, best first, one per release."""
    seen = {cited}
    more: list[Passage] = []
    for passage in passages:
        if passage.source not in seen and passage.title:
            seen.add(passage.source)
            more.append(passage)
        if len(more) == MORE_SOURCES:
            break
    return more


def doc_link(doc_id: str, start: int | None = None, end: int | None = None) -> str:
    """A link to the chat page's full-text view of ``doc_id`` (relative, so any mount path works)."""
    params: dict[str, str | int] = {"doc": doc_id}
    if start is not None and end is not None:
        params.update(s=start, e=end)
    return html.escape("?" + urlencode(params), quote=True)


def byline(ministry: str, date: str, kind: str = "") -> str:
    return " · ".join(p for p in (_clean(ministry), korean_date(date), _clean(kind)) if p)


def korean_date(iso: str) -> str:
    """'2025-09-19' -> '2025년 9월 19일'; anything else is shown as it is."""
    parts = iso.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0])}년 {int(parts[1])}월 {int(parts[2])}일"
    return iso


def esc(text: str) -> str:
    """HTML-escape, keeping line breaks visible without blank lines ending the HTML block."""
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>")


def _clean(text: str) -> str:
    """Runs of whitespace (titles often carry double spaces or line breaks) become one space."""
    return " ".join(text.split())
