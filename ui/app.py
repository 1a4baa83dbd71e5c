"""The citizens' chat UI: ask in Korean, get a short answer with the press release it comes from.

>>> app = gr.mount_gradio_app(app, build_ui(holder.get), path="/")

``build_ui`` takes a getter rather than an ``Answerer`` because a new ingest may swap the index
while the server runs; the getter is called once per question and returns the live ``Answerer``.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from answer.answerer import Answerer
from answer.records import Answer, Citation
from core.errors import BriefqaError, IndexCorrupt, IndexMismatch, IndexNotFound
from index.records import SearchFilters

logger = logging.getLogger(__name__)

TITLE = "briefqa · 정부 보도자료 질의응답"
PLACEHOLDER = "궁금한 점을 물어보세요. 예: 내년 스마트공장 지원 예산은 얼마인가요?"
EXAMPLES = [
    "내년 스마트공장 지원 예산은 얼마인가요?",
    "제조기업 AI 도입률 목표는 언제까지 얼마인가요?",
    "스마트공장 확산 방안은 어느 부서에 문의하나요?",
    "중소기업 스마트공장 가속상각은 언제까지 적용되나요?",
]
NO_REASON = "보도자료에서 이 질문에 대한 답을 찾지 못했습니다."
TRY_AGAIN = "사업명, 연도, 부처 이름을 넣어 질문을 조금 더 구체적으로 바꾸어 보세요."
INDEX_MISSING = "아직 검색할 수 있는 보도자료가 준비되지 않았습니다. 잠시 후 다시 시도해 주세요."
SERVICE_ERROR = "죄송합니다. 답변을 준비하는 중에 문제가 생겼습니다. 잠시 후 다시 시도해 주세요."
MORE_SOURCES = 2
NEAREST = 3

Message = dict[str, Any]


def render_answer(answer: Answer) -> str:
    """One chat reply as HTML; every piece of document text is escaped, since it is untrusted.

    The reply is a single HTML block with no blank lines, so the chat's Markdown renderer leaves
    the (escaped) document text alone instead of reading ``|`` or ``*`` in it as Markdown.
    """
    if answer.is_abstention or not answer.citations:
        return _render_abstention(answer)
    first = answer.citations[0]
    parts = [f"<p><strong>{_esc(answer.text or '')}</strong></p>"]
    if len(answer.items) > 1:
        parts.append("<ul>" + "".join(f"<li>{_esc(item)}</li>" for item in answer.items) + "</ul>")
    parts.append(
        '<div class="briefqa-source">'
        f"<p>📄 <strong>출처</strong> · {_esc(first.title)}<br>{_esc(_byline(first))}</p>"
        f"<blockquote>{_highlight(first.quote, answer.text or '')}</blockquote>"
        "</div>"
    )
    more = _other_sources(answer.citations)
    if more:
        items = "".join(f"<li>{_esc(c.title)} <small>({_esc(_byline(c))})</small></li>" for c in more)
        parts.append(f"<p>다른 관련 보도자료</p><ul>{items}</ul>")
    return "\n".join(parts)


def chat(
    get_answerer: Callable[[], Answerer],
    question: str,
    history: list[Message] | None,
    ministry: str = "",
) -> tuple[list[Message], str]:
    """Answer one question: returns the history with the user's and the assistant's messages, and
    an empty string to clear the textbox. Errors become a polite message in the chat."""
    history = list(history or [])
    question = (question or "").strip()
    if not question:
        return history, ""
    ministry = (ministry or "").strip()
    filters = SearchFilters(ministry=ministry) if ministry else None
    try:
        reply = render_answer(get_answerer().ask(question, filters=filters))
    except (IndexNotFound, IndexCorrupt, IndexMismatch) as exc:
        logger.warning("chat question %r: index unavailable: %s", question, exc)
        reply = _esc(INDEX_MISSING)
    except BriefqaError as exc:
        logger.error("chat question %r failed: %s", question, exc)
        reply = _esc(SERVICE_ERROR)
    except Exception:
        # The UI edge: the trace goes to the log, never to the citizen's screen.
        logger.exception("chat question %r failed unexpectedly", question)
        reply = _esc(SERVICE_ERROR)
    history.append({"role": "user", "content": question})
    history.append({"role": "assistant", "content": reply})
    return history, ""


def build_ui(get_answerer: Callable[[], Answerer]) -> gr.Blocks:
    """The chat page; ``get_answerer`` is called once per question, so index swaps are picked up."""

    def on_submit(question: str, history: list[Message] | None, ministry: str) -> tuple[list[Message], str]:
        return chat(get_answerer, question, history, ministry)

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n정부 보도자료에서 예산·목표·문의처·일정을 찾아 짧게 답하고, 근거가 된 문장을 함께 보여 드립니다.")
        chatbot = gr.Chatbot(
            label="대화",
            height="60vh",
            min_height=320,
            placeholder="아래에 질문을 입력하거나 예시 질문을 눌러 보세요.",
            feedback_options=None,
            sanitize_html=True,
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
            )
            ask = gr.Button("질문하기", variant="primary", scale=1, min_width=90)
        with gr.Accordion("검색 조건 (선택)", open=False):
            ministry = gr.Textbox(
                label="부처",
                placeholder="예: 기획재정부 (비워 두면 모든 부처)",
                lines=1,
                min_width=160,
            )
        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="예시 질문")
        clear = gr.Button("대화 지우기", variant="secondary", size="sm")

        inputs = [question, chatbot, ministry]
        outputs = [chatbot, question]
        question.submit(on_submit, inputs, outputs, api_name="ask")
        ask.click(on_submit, inputs, outputs, api_name=False)
        clear.click(lambda: ([], ""), None, outputs, api_name=False)
    return demo


def _render_abstention(answer: Answer) -> str:
    parts = [f"<p>{_esc(answer.reason or NO_REASON)}</p>", f"<p>{_esc(TRY_AGAIN)}</p>"]
    titles: list[str] = []
    for passage in answer.passages:
        if passage.title and passage.title not in titles:
            titles.append(passage.title)
        if len(titles) == NEAREST:
            break
    if titles:
        items = "".join(f"<li>{_esc(t)}</li>" for t in titles)
        parts.append(f"<p><strong>가장 가까운 보도자료</strong></p><ul>{items}</ul>")
    return "\n".join(parts)


def _highlight(quote: str, text: str) -> str:
    """The quote escaped, with the first occurrence of the answer text in ``<mark>``."""
    at = quote.find(text) if text else -1
    if at < 0:
        return _esc(quote)
    end = at + len(text)
    return f"{_esc(quote[:at])}<mark>{_esc(quote[at:end])}</mark>{_esc(quote[end:])}"


def _other_sources(citations: list[Citation]) -> list[Citation]:
    """Up to MORE_SOURCES further citations, one per release (several can cite the same one)."""
    seen = {citations[0].source}
    more: list[Citation] = []
    for citation in citations[1:]:
        if citation.source not in seen:
            seen.add(citation.source)
            more.append(citation)
        if len(more) == MORE_SOURCES:
            break
    return more


def _byline(citation: Citation) -> str:
    return " · ".join(p for p in (citation.ministry, _korean_date(citation.date)) if p)


def _korean_date(iso: str) -> str:
    """'2025-09-19' -> '2025년 9월 19일'; anything else is shown as it is."""
    parts = iso.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0])}년 {int(parts[1])}월 {int(parts[2])}일"
    return iso


def _esc(text: str) -> str:
    """HTML-escape, keeping line breaks visible without blank lines ending the HTML block."""
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>")
