"""Optional rephrasing of a cited answer by an OpenAI-compatible chat endpoint (off by default).

The endpoint may only rephrase: it gets the question, the extractive answer and the cited passages
and is asked for one short Korean sentence built from them. Its sentence is kept (as
``Answer.rephrased``) only when every number and every name in it appears in a cited passage;
otherwise, and whenever the call fails, the answer stays extractive and ``Answer.rephrase_rejected``
says why. The short answer (``Answer.text``) is never changed, so eval scores the same span.

>>> rephraser = Rephraser("http://127.0.0.1:8080/v1", "qwen2.5-7b-instruct")
>>> answer = rephraser.rephrase(answerer.ask("내년 스마트공장 지원 예산은 얼마인가요?"))
>>> answer.text, answer.rephrased
("'26년 4,366억원", '내년 스마트공장 구축·확산 지원 예산은 4,366억원입니다.')
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence

import httpx
from kiwipiepy import Token

from answer.records import Answer
from core.errors import ConfigError
from core.text import norm
from ingest.amounts import AMOUNT_RE, NUMBER, YEAR_RE, fold_marks, parse_amount
from ingest.sentences import kiwi

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "당신은 정부 보도자료 질의응답 서비스의 문장 다듬기 도우미입니다. "
    "사용자가 질문, 보도자료에서 찾은 짧은 답, 인용문을 줍니다. "
    "인용문에 있는 내용만으로 질문에 답하는 짧은 한국어 문장 하나를 쓰세요. "
    "숫자, 금액, 연도, 날짜, 전화번호, 기관명, 사람 이름은 인용문에 쓰인 그대로 옮기고, "
    "인용문에 없는 숫자나 이름은 절대 쓰지 마세요. 계산하거나 추측하지 마세요. "
    "설명이나 인사 없이 문장 하나만 답하세요."
)
MAX_PASSAGES = 3
MAX_PASSAGE_CHARS = 1200
MAX_SENTENCE_CHARS = 300

_PHONE_RE = re.compile(r"(?<!\d)0\d{1,2}[)\-.\s]{1,2}\d{3,4}-\d{4}(?!\d)")
# A number with its scale and unit: "10만개소", "40%", "3.5배", "'30년", "13일".
_UNIT = r"%p|%|개소|개사|개교|개국|가구|세대|년|월|일|시|분|명|개|곳|건|배|호|척|톤|종|회|차|위|세|원|달러"
_QUANTITY_RE = re.compile(rf"'?(?:{NUMBER})(?:\s?(?:[십백천]?[만억조]|[십백천]))?(?:\s?(?:{_UNIT}))?")
# 기획재정부, 국세청, 방송통신위원회; not 정부 or 지방정부, which name no particular body.
_ORGANISATION_RE = re.compile(r"(?:(?<!정)|(?<=재정))(?:부|처|청)$|(?:위원회|공단|진흥원|연구원|재단)$")
_LATIN_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[&.\-][A-Za-z0-9]+)*")
_QUOTED_RE = re.compile(r"\"([^\"\n]{2,60})\"|“([^”\n]{2,60})”|「([^」\n]{2,60})」|『([^』\n]{2,60})』"
                        r"|'(?!\d)([^'\n]{2,60})'")


class Rephraser:
    """Asks an OpenAI-compatible endpoint (``POST {url}/chat/completions``) to rephrase a cited answer.

    Never raises on a request: a network error, a timeout, a non-200 status, malformed JSON or an
    ungrounded sentence all keep the extractive answer, with the reason in ``rephrase_rejected``.
    Thread-safe (httpx clients are).

    Args:
        url: the endpoint's base URL, e.g. ``http://127.0.0.1:8080/v1``.
        model: the model name sent in each request.
        api_key: sent as ``Authorization: Bearer``; never logged.
        timeout_s: per request, for connecting and for reading the reply.
    """

    def __init__(self, url: str, model: str, api_key: str | None = None, timeout_s: float = 10.0) -> None:
        if not re.match(r"https?://[^/\s]+", url or ""):
            raise ConfigError("BRIEFQA_LLM_URL", f"{url!r} is not an http(s) URL, e.g. http://127.0.0.1:8080/v1")
        if not model.strip():
            raise ConfigError("BRIEFQA_LLM_MODEL", "a model name is required when BRIEFQA_LLM_URL is set")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.endpoint = url.rstrip("/") + "/chat/completions"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers)

    def close(self) -> None:
        self._client.close()

    def rephrase(self, answer: Answer) -> Answer:
        """``answer`` with ``rephrased`` set when the endpoint's sentence is grounded, else with the reason."""
        if answer.text is None or not answer.citations:
            return answer  # nothing to rephrase in an abstention
        passages = [c.quote for c in answer.citations[:MAX_PASSAGES]]
        try:
            sentence = self._complete(answer.question, answer.text, passages)
        except RephraseFailed as exc:
            logger.warning("rephrase skipped (%s): %s", self.endpoint, exc)
            return dataclasses.replace(answer, rephrase_rejected=str(exc))
        missing = ungrounded_terms(sentence, passages)
        if missing:
            reason = f"인용문에 없는 수치·이름: {', '.join(missing)}"
            logger.info("rephrase rejected for %r: %s (sentence %r)", answer.question, reason, sentence)
            return dataclasses.replace(answer, rephrase_rejected=reason)
        return dataclasses.replace(answer, rephrased=sentence)

    def _complete(self, question: str, text: str, passages: Sequence[str]) -> str:
        quoted = "\n".join(f"[{i}] {p[:MAX_PASSAGE_CHARS]}" for i, p in enumerate(passages, 1))
        body = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": 200,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"질문: {question}\n짧은 답: {text}\n인용문:\n{quoted}"},
            ],
        }
        try:
            response = self._client.post(self.endpoint, json=body)
        except httpx.TimeoutException as exc:
            raise RephraseFailed(f"LLM 응답 시간 초과 ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise RephraseFailed(f"LLM 연결 실패 ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise RephraseFailed(f"LLM 응답 상태 {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, LookupError, TypeError) as exc:
            raise RephraseFailed("LLM 응답이 OpenAI 형식의 JSON이 아님") from exc
        if not isinstance(content, str) or not content.strip():
            raise RephraseFailed("LLM 응답이 비어 있음")
        sentence = " ".join(content.split())
        if len(sentence) > MAX_SENTENCE_CHARS:
            raise RephraseFailed(f"LLM 응답이 너무 김 ({len(sentence)}자)")
        return sentence


class RephraseFailed(Exception):
    """The endpoint gave no usable sentence; the message is the recorded reason (kept inside this module)."""


def ungrounded_terms(sentence: str, passages: Sequence[str]) -> list[str]:
    """The numbers and names of ``sentence`` that no passage contains; empty when it is grounded.

    Numbers: phone numbers (by their digits), money amounts (by value, so "4366억 원" matches
    "4,366억원"), years (by value, so "2030년" matches "'30년") and any other number with its scale
    and unit ("10만개소", "40%"), matched after ``core.text.norm`` without being part of a longer
    number. Names: Kiwi proper nouns (NNP), Latin words and quoted strings, matched after ``norm``.

    >>> ungrounded_terms("예산은 4,636억원입니다.", ["지원 예산 4,366억원"])
    ['4,636억원']
    """
    folded = fold_marks(sentence)
    haystack = _match_form(" | ".join(passages))
    missing: list[str] = []

    def blank(match: re.Match[str]) -> None:
        nonlocal folded
        folded = folded[: match.start()] + " " * (match.end() - match.start()) + folded[match.end() :]

    passage_phones = {_digits(m.group(0)) for p in passages for m in _PHONE_RE.finditer(fold_marks(p))}
    for match in list(_PHONE_RE.finditer(folded)):
        if _digits(match.group(0)) not in passage_phones:
            missing.append(match.group(0).strip())
        blank(match)
    passage_amounts = {parse_amount(m.group(0)) for p in passages for m in AMOUNT_RE.finditer(fold_marks(p))}
    for match in list(AMOUNT_RE.finditer(folded)):
        if parse_amount(match.group(0)) not in passage_amounts and not _has_number(haystack, match.group(0)):
            missing.append(match.group(0).strip())
        blank(match)
    passage_years = {_year(m) for p in passages for m in YEAR_RE.finditer(fold_marks(p))}
    for match in list(YEAR_RE.finditer(folded)):
        if _year(match) not in passage_years and not _has_number(haystack, match.group(0)):
            missing.append(match.group(0).strip())
        blank(match)
    for match in _QUANTITY_RE.finditer(folded):
        if not _has_number(haystack, match.group(0)):
            missing.append(match.group(0).strip())
    for name in _names(sentence):
        if norm(name) not in haystack and name not in missing:
            missing.append(name)
    return missing


def _names(sentence: str) -> list[str]:
    """Proper nouns (Kiwi NNP, two characters or more), organisations, Latin words and quoted strings."""
    tokens = kiwi().tokenize(sentence)
    names = [t.form for t in tokens if str(t.tag) == "NNP" and len(t.form) >= 2]
    names += _organisations(tokens)
    names += [m.group(0) for m in _LATIN_RE.finditer(sentence) if len(m.group(0)) >= 2]
    names += [next(g for g in m.groups() if g) for m in _QUOTED_RE.finditer(sentence)]
    return [n.strip() for n in names if n.strip()]


def _organisations(tokens: Sequence[Token]) -> list[str]:
    """Noun runs that name a body: Kiwi tags 기획+재정부 or 고용+노동부 as common nouns, not NNP."""
    found: list[str] = []
    run: list[Token] = []
    for token in [*tokens, None]:
        if token is not None and str(token.tag) in ("NNG", "NNP") and (not run or run[-1].end == token.start):
            run.append(token)
            continue
        name = "".join(t.form for t in run)
        if len(name) >= 3 and _ORGANISATION_RE.search(name):
            found.append(name)
        run = [token] if token is not None and str(token.tag) in ("NNG", "NNP") else []
    return found


def _match_form(text: str) -> str:
    """``norm`` that keeps separate numbers apart: "1, 2" and "2026 4366" must not read as one number."""
    text = re.sub(r"(?<=\d),(?!\d{3}(?!\d))", "|", fold_marks(text))  # a list comma, not a thousands one
    return norm(re.sub(r"(?<=\d)\s+(?=\d)", "|", text))


def _has_number(haystack: str, token: str) -> bool:
    """Whether the normalised ``token`` occurs in ``haystack`` and not inside a longer number."""
    needle = _match_form(token)
    if not needle:
        return True
    tail = r"(?!\d)" if needle[-1].isdigit() else ""
    # Not after a digit ("366억원" in "4366억원") nor after a decimal point ("5%" in "3.5%").
    return re.search(rf"(?<!\d)(?<!\d\.){re.escape(needle)}{tail}", haystack) is not None


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _year(match: re.Match[str]) -> int:
    short, full = match.groups()
    return 2000 + int(short) if short else int(full)
