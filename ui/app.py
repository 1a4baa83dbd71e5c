"""The citizens' chat UI: ask in Korean, get a short answer with the press release it comes from.

>>> app = gr.mount_gradio_app(app, build_ui(holder.get), path="/")

``build_ui`` takes a getter rather than an ``Answerer`` because a new ingest may swap the index
while the server runs; the getter is called once per question and returns the live ``Answerer``.
Verdicts (도움이 됨/안 됨) go to ``feedback_path``, by default ``feedback.sqlite`` in the index
folder (beside the version folders, which a new ingest replaces).

The page also shows one release's full text when opened as ``/?doc=ID&s=START&e=END`` (the links
in answers and in the "최근 보도자료" panel), with ``text[START:END]`` marked.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from answer.answerer import Answerer
from core.errors import BriefqaError, IndexCorrupt, IndexMismatch, IndexNotFound
from index.records import SearchFilters
from ui.feedback import FEEDBACK_FILE, FeedbackStore
from ui.render import UI_CSS, esc, render_answer, render_document, render_recent

__all__ = ["TITLE", "build_ui", "chat", "answer_question", "parse_filters", "record_feedback", "feedback_store",
           "load_page",
           "render_answer"]

logger = logging.getLogger(__name__)

TITLE = "briefqa · 정부 보도자료 질의응답"
INTRO = "정부 보도자료에서 예산·목표·문의처·일정을 찾아 짧게 답하고, 근거가 된 문장과 원문을 함께 보여 드립니다."
PLACEHOLDER = "궁금한 점을 물어보세요. 예: 내년 스마트공장 지원 예산은 얼마인가요?"
EXAMPLES = [
    "내년 스마트공장 지원 예산은 얼마인가요?",
    "제조기업 AI 도입률 목표는 언제까지 얼마인가요?",
    "스마트공장 확산 방안은 어느 부서에 문의하나요?",
    "중소기업 스마트공장 가속상각은 언제까지 적용되나요?",
]
ALL_MINISTRIES = "전체 부처"
SEARCHING = "🔎 보도자료에서 찾는 중…"
INDEX_MISSING = "아직 검색할 수 있는 보도자료가 준비되지 않았습니다. 잠시 후 다시 시도해 주세요."
SERVICE_ERROR = "죄송합니다. 답변을 준비하는 중에 문제가 생겼습니다. 잠시 후 다시 시도해 주세요."
DOC_NOT_FOUND = "요청하신 보도자료를 찾을 수 없습니다. 삭제되었거나 주소가 잘못되었을 수 있습니다."
THANKS = {"helpful": "의견 감사합니다. 도움이 되었다니 다행입니다.",
          "not_helpful": "의견 감사합니다. 더 나은 답을 드리도록 참고하겠습니다."}
ASK_FIRST = "먼저 질문을 하신 뒤 답변에 대한 의견을 남겨 주세요."
FEEDBACK_FAILED = "죄송합니다. 의견을 저장하지 못했습니다. 잠시 후 다시 시도해 주세요."
RECENT_LIMIT = 8
# After an answer, bring its top into view (the chat's own autoscroll would show the end of a long
# answer): on a wide screen the chat box scrolls, leaving the end of the question above it; on a phone,
# where the chat grows with its messages (UI_CSS) and the page scrolls instead, the page scrolls.
SHOW_LAST_QUESTION = """() => { setTimeout(() => {
  const box = document.querySelector('#briefqa-chatbot .bubble-wrap');
  const bots = document.querySelectorAll('#briefqa-chatbot .bot-row');
  const answer = bots[bots.length - 1];
  if (!box || !answer) return;
  if (box.scrollHeight > box.clientHeight + 4) {
    box.scrollTop += answer.getBoundingClientRect().top - box.getBoundingClientRect().top - 48;
  } else {
    window.scrollBy(0, answer.getBoundingClientRect().top - 8);
  }
}, 150); }"""
SHOW_MARKED_SPAN = """() => { setTimeout(() => {
  const hit = document.getElementById('briefqa-hit');
  const box = hit && hit.closest('.briefqa-doc-text');
  if (box) box.scrollTop += hit.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
}, 80); }"""

Message = dict[str, Any]
AnswererGetter = Callable[[], Answerer]


class FilterError(ValueError):
    """A filter the citizen typed that we cannot use; the message is Korean and shown as it is."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One answered question: the reply's HTML and what a verdict on it records."""

    question: str
    html: str
    answer: str | None = None
    sources: list[str] = field(default_factory=list)

    def feedback_state(self) -> dict[str, Any]:
        """What the page keeps (in a ``gr.State``) for the 도움이 됨/안 됨 buttons."""
        return {"question": self.question, "answer": self.answer, "sources": list(self.sources)}


def parse_filters(ministry: str | None = "", date_from: str | None = "", date_to: str | None = "") -> SearchFilters | None:
    """The filters panel as ``SearchFilters`` (None when nothing is set).

    Dates may be typed as 2025-09-01, 2025.9.1, 20250901, or only a year or a month (2025, 2025-09):
    a period's start takes its first day and its end its last. Raises ``FilterError`` otherwise.
    """
    ministry = (ministry or "").strip()
    if ministry == ALL_MINISTRIES:
        ministry = ""
    start = _parse_day(date_from or "", first=True)
    end = _parse_day(date_to or "", first=False)
    if start and end and start > end:
        raise FilterError("기간의 시작일이 종료일보다 늦습니다. 날짜를 확인해 주세요.")
    filters = SearchFilters(ministry=ministry, date_from=start, date_to=end)
    return None if filters.is_empty() else filters


def answer_question(get_answerer: AnswererGetter, question: str, filters: SearchFilters | None = None) -> Turn:
    """Ask the live answerer and render the reply; errors become a polite Korean message."""
    try:
        answerer = get_answerer()
        answer = answerer.ask(question, filters=filters)
        document = contacts = None
        if answer.citations:
            source = answer.citations[0].source
            document = answerer.index.documents.get(source)
            contacts = answerer.index.facts(doc_id=source, kind="contact")
        html = render_answer(answer, document, contacts or ())
        sources = list(dict.fromkeys(c.source for c in answer.citations))
        if not sources:
            sources = list(dict.fromkeys(p.source for p in answer.passages))[:3]
        return Turn(question, html, answer.text, sources)
    except (IndexNotFound, IndexCorrupt, IndexMismatch) as exc:
        logger.warning("chat question %r: index unavailable: %s", question, exc)
        return Turn(question, esc(INDEX_MISSING))
    except BriefqaError as exc:
        logger.error("chat question %r failed: %s", question, exc)
        return Turn(question, esc(SERVICE_ERROR))
    except Exception:
        # The UI edge: the trace goes to the log, never to the citizen's screen.
        logger.exception("chat question %r failed unexpectedly", question)
        return Turn(question, esc(SERVICE_ERROR))


def chat(
    get_answerer: AnswererGetter,
    question: str,
    history: list[Message] | None,
    ministry: str | None = "",
    date_from: str | None = "",
    date_to: str | None = "",
) -> Iterator[tuple[list[Message], str, dict[str, Any] | None]]:
    """Answer one question, streaming: first the history with the question and a "찾는 중…"
    placeholder, then with the answer. Each step is (history, "" to clear the textbox, the
    feedback state of the answered turn or None). The input history is never mutated."""
    history = list(history or [])
    question = (question or "").strip()
    if not question:
        yield history, "", None
        return
    asked = [*history, {"role": "user", "content": question}]
    try:
        filters = parse_filters(ministry, date_from, date_to)
    except FilterError as exc:
        yield [*asked, {"role": "assistant", "content": esc(str(exc))}], "", None
        return
    yield [*asked, {"role": "assistant", "content": esc(SEARCHING)}], "", None
    turn = answer_question(get_answerer, question, filters)
    state = turn.feedback_state() if turn.sources or turn.answer else None
    yield [*asked, {"role": "assistant", "content": turn.html}], "", state


def record_feedback(store: Callable[[], FeedbackStore], turn: dict[str, Any] | None, verdict: str) -> tuple[str, None]:
    """Store a verdict on the last answer; returns the message to show and the cleared turn state
    (one verdict per answer)."""
    if not turn or not turn.get("question"):
        return ASK_FIRST, None
    try:
        store().record(turn["question"], turn.get("answer"), turn.get("sources", []), verdict)
    except Exception:
        logger.exception("could not store feedback on %r", turn.get("question"))
        return FEEDBACK_FAILED, None
    return THANKS[verdict], None


@dataclass(frozen=True, slots=True)
class Page:
    """What the page shows when it loads: filter choices, the latest releases, and a full text
    when the address asks for one (``?doc=ID``)."""

    ministries: list[str]
    recent_html: str
    document_html: str = ""

    @property
    def shows_document(self) -> bool:
        return bool(self.document_html)


def load_page(get_answerer: AnswererGetter, params: dict[str, str] | None = None) -> Page:
    """The page's dynamic parts, read from the live index on every page load."""
    params = params or {}
    try:
        index = get_answerer().index
    except Exception as exc:
        logger.warning("page load without an index: %s", exc)
        missing = f'<div class="briefqa-recent"><p>{esc(INDEX_MISSING)}</p></div>'
        return Page([ALL_MINISTRIES], missing, missing if params.get("doc") else "")
    documents = list(index.documents.values())
    ministries = [ALL_MINISTRIES, *sorted({d.ministry.strip() for d in documents if d.ministry.strip()})]
    page = Page(ministries, render_recent(documents, RECENT_LIMIT))
    doc_id = params.get("doc", "")
    if not doc_id:
        return page
    document = index.document(doc_id)
    if document is None:
        return Page(ministries, page.recent_html, f"<p>{esc(DOC_NOT_FOUND)}</p>")
    start, end = _int(params.get("s")), _int(params.get("e"))
    html = render_document(document, start, end, index.facts(doc_id=doc_id, kind="contact"))
    return Page(ministries, page.recent_html, html)


def feedback_store(get_answerer: AnswererGetter, feedback_path: Path | None = None) -> FeedbackStore:
    """The store at ``feedback_path``, or ``feedback.sqlite`` in the live index's folder (the
    parent of its version folder, so a new ingest does not replace it)."""
    if feedback_path is not None:
        return FeedbackStore(feedback_path)
    return FeedbackStore(get_answerer().index.folder.parent / FEEDBACK_FILE)


def build_ui(get_answerer: AnswererGetter, feedback_path: Path | None = None) -> gr.Blocks:
    """The chat page. ``get_answerer`` is called once per question, so index swaps are picked up;
    verdicts go to ``feedback_path`` (default: ``feedback.sqlite`` in the live index's folder)."""

    def store() -> FeedbackStore:
        return feedback_store(get_answerer, feedback_path)

    def on_submit(question: str, history: list[Message] | None, ministry: str, date_from: str, date_to: str):
        yield from chat(get_answerer, question, history, ministry, date_from, date_to)

    def on_example(evt: gr.SelectData, history: list[Message] | None, ministry: str, date_from: str,
                   date_to: str):
        value = evt.value if isinstance(evt.value, dict) else {"text": str(evt.value)}
        yield from chat(get_answerer, value.get("text", ""), history, ministry, date_from, date_to)

    def on_load(request: gr.Request):
        page = load_page(get_answerer, dict(request.query_params) if request else {})
        return (
            gr.update(choices=page.ministries, value=ALL_MINISTRIES),
            page.recent_html,
            page.document_html,
            gr.update(visible=page.shows_document),
            gr.update(visible=not page.shows_document),
        )

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML("", head=f"<style>{UI_CSS}</style>", js_on_load=None, padding=False)
        with gr.Column(visible=True, elem_id="briefqa-chat-view") as chat_view:
            gr.Markdown(f"# {TITLE}\n{INTRO}", elem_classes=["briefqa-header"])
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    chatbot = gr.Chatbot(
                        label="대화",
                        height="62vh",
                        min_height=360,
                        placeholder="**무엇이든 물어보세요.** 아래 예시 질문을 누르거나 질문을 입력해 보세요.",
                        examples=[{"text": q} for q in EXAMPLES],
                        feedback_options=None,
                        sanitize_html=True,
                        elem_id="briefqa-chatbot",
                        # Our own scroll (SHOW_LAST_QUESTION) keeps the question and its bold answer in
                        # view; Gradio's autoscroll to the end would race with it under load.
                        autoscroll=False,
                    )
                    with gr.Row(equal_height=True):
                        question = gr.Textbox(
                            label="질문",
                            placeholder=PLACEHOLDER,
                            show_label=False,
                            lines=1,
                            max_lines=4,
                            scale=4,
                            min_width=180,
                            autofocus=True,
                            elem_id="briefqa-question",
                        )
                        ask = gr.Button("질문하기", variant="primary", scale=1, min_width=96, elem_id="briefqa-ask")
                    with gr.Row(equal_height=True):
                        helpful = gr.Button("👍 도움이 됨", size="sm", min_width=100, elem_id="briefqa-helpful")
                        not_helpful = gr.Button("👎 도움이 안 됨", size="sm", min_width=100,
                                                elem_id="briefqa-not-helpful")
                        clear = gr.Button("대화 지우기", variant="secondary", size="sm", min_width=90)
                    feedback_note = gr.Markdown("", elem_id="briefqa-feedback-note")
                with gr.Column(scale=1, min_width=260):
                    with gr.Accordion("검색 조건 (부처·기간)", open=False):
                        ministry = gr.Dropdown(
                            choices=[ALL_MINISTRIES], value=ALL_MINISTRIES, label="부처", allow_custom_value=True,
                            elem_id="briefqa-ministry",
                        )
                        with gr.Row():
                            date_from = gr.Textbox(label="시작일", placeholder="예: 2025-01-01", min_width=120)
                            date_to = gr.Textbox(label="종료일", placeholder="예: 2025-12-31", min_width=120)
                    with gr.Accordion("최근 보도자료", open=True):
                        recent = gr.HTML("", elem_id="briefqa-recent", js_on_load=None)
        with gr.Column(visible=False, elem_id="briefqa-doc-view") as doc_view:
            gr.HTML('<p><a href="./">← 질문 화면으로 돌아가기</a></p>', js_on_load=None)
            document = gr.HTML("", elem_id="briefqa-document", js_on_load=None)

        turn = gr.State(None)
        inputs = [question, chatbot, ministry, date_from, date_to]
        outputs = [chatbot, question, turn]
        clear_note = dict(fn=lambda: "", inputs=None, outputs=feedback_note, api_name=False, queue=False)
        question.submit(**clear_note)
        # no Gradio API of its own: programs ask through POST /api/ask (documented, with optional filters)
        question.submit(on_submit, inputs, outputs, api_name=False).then(None, js=SHOW_LAST_QUESTION)
        ask.click(**clear_note)
        ask.click(on_submit, inputs, outputs, api_name=False).then(None, js=SHOW_LAST_QUESTION)
        chatbot.example_select(on_example, [chatbot, ministry, date_from, date_to], outputs,
                               api_name=False).then(None, js=SHOW_LAST_QUESTION)
        helpful.click(lambda t: record_feedback(store, t, "helpful"), turn, [feedback_note, turn], api_name=False)
        not_helpful.click(lambda t: record_feedback(store, t, "not_helpful"), turn, [feedback_note, turn],
                          api_name=False)
        clear.click(lambda: ([], "", None, ""), None, [chatbot, question, turn, feedback_note], api_name=False)
        demo.load(on_load, None, [ministry, recent, document, doc_view, chat_view], api_name=False).then(
            None, js=SHOW_MARKED_SPAN
        )
    return demo


_DAY = re.compile(r"^\s*(\d{4})(?:\s*[-./년]?\s*(\d{1,2})(?:\s*[-./월]?\s*(\d{1,2}))?)?\s*[.일]?\s*$")


def _parse_day(text: str, first: bool) -> str:
    """'2025.9.1' -> '2025-09-01'; '2025-09' -> the month's first (or last) day; '' -> ''."""
    text = text.strip()
    if not text:
        return ""
    m = _DAY.match(text)
    try:
        if not m:
            raise ValueError(text)
        year, month, day = int(m.group(1)), m.group(2), m.group(3)
        if month is None:
            return date(year, 1 if first else 12, 1 if first else 31).isoformat()
        if day is None:
            last = calendar.monthrange(year, int(month))[1]
            return date(year, int(month), 1 if first else last).isoformat()
        return date(year, int(month), int(day)).isoformat()
    except ValueError as exc:
        raise FilterError(f"날짜 '{text}'를 알아볼 수 없습니다. 2025-09-01처럼 입력해 주세요.") from exc


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None

