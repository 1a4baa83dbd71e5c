"""Rule-based extraction of typed facts (contacts, money, targets, dates) from a briefing's text.

Every regex runs over ``fold_marks(text)``, which keeps one character per input character, so
match offsets are offsets into the original text and ``text[fact.start:fact.end] == fact.text``.

>>> facts = extract_facts("0001.txt", "예산은 '26년 4,366억원으로 확대", "2026-04-13")
>>> [(f.kind, f.text, f.attrs["year"]) for f in facts]
[('money', '4,366억원', 2026)]
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ingest.amounts import (
    AMOUNT_PATTERN,
    AMOUNT_RE,
    DATE_RE,
    NUMBER,
    YEAR_PATTERN,
    YEAR_RE,
    fold_marks,
    match_to_span,
    parse_amount,
    parse_year,
)
from ingest.records import Fact

# ---------------------------------------------------------------- contacts
_ROLES = ("책임자", "담당자")
_TITLE_RE = re.compile(
    r"(?:외무|농업|학예|보건|행정)?(?:사무관|주무관|서기관|연구관|연구사|지도관|지도사|행정관|사무국장|운영부장|"
    r"과장|팀장|센터장|부장|차장|국장|실장|단장|본부장|계장|대리|팀원|검사|경정|총경|경감|경위|중령|대령|소령|조정관|담당|위원)"
)
_NAME_RE = re.compile(r"^[가-힣]{2,4}$")
_PHONE_RE = re.compile(r"\(?(0\d{1,2})\s?[)\-]\s?(\d{3,4})-(\d{4})\)?((?:\s?,\s?\d{4}(?!\d))*)")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CELL_RE = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
_INLINE_TAG_RE = re.compile(r"</?(?:br|p|span|b|strong|div|sub|sup|font)\b[^>]*>", re.I)
_LABEL_RE = re.compile(r"(?:총괄\s?)?담당\s?(?:부\s?서|기\s?관)|연락처")
_TOPIC_RE = re.compile(r"<\s*([^<>|]{1,40}?)\s*>")
_MINISTRY_RE = re.compile(r"^(?:[가-힣A-Za-z·]+(?<!본)(?:부|처|청)|[가-힣A-Za-z·]*위원회|국무조정실|국무총리비서실|대통령비서실|국가안보실)$")
_LINE_ROLE_RE = re.compile(r"^(?P<pre>.*?)(?P<role>책임자|담당자)\s?[:：]?\s?(?P<rest>.+)$")


@dataclass(slots=True)
class _Row:
    start: int
    end: int
    line_no: int
    role: str
    fragment: str  # department text found before the role cell
    has_label: bool
    topic: str
    people: list[tuple[str, str]]
    phones: list[str]
    email: str
    is_line_format: bool


@dataclass(slots=True)
class _Block:
    rows: list[_Row] = field(default_factory=list)
    topic: str = ""


def _normalise_phones(text: str) -> list[str]:
    """'(044)201-3398, 3400' -> ['044-201-3398', '044-201-3400'] (a bare 4-digit tail keeps the prefix)."""
    phones = []
    for area, mid, last, tails in _PHONE_RE.findall(text):
        phones.append(f"{area}-{mid}-{last}")
        phones.extend(f"{area}-{mid}-{tail}" for tail in re.findall(r"\d{4}", tails))
    return phones


def _cells_of(line: str) -> tuple[list[str], bool] | None:
    if re.search(r"<t[dh][\s>]", line):
        cells = [html.unescape(_INLINE_TAG_RE.sub(" ", c)).strip() for c in _CELL_RE.findall(line)]
        return cells, False
    if "|" in line:
        return [c.strip() for c in line.split("|")], False
    if len(line) > 160:
        return None
    match = _LINE_ROLE_RE.match(line.strip())
    if match is None:
        return None
    pre = match.group("pre").strip(" -·∙•:/")
    rest = [p.strip() for p in match.group("rest").split("/") if p.strip()]
    return [pre, match.group("role"), *rest], True


def _people_of(cells: list[str]) -> list[tuple[str, str]]:
    if len(cells) >= 2:
        titles, names = cells[0].split(), cells[1].split()
        if len(names) > 1 and all(_NAME_RE.match(n) for n in names) and len(titles) == len(names):
            return list(zip(titles, names, strict=True))
        return [("".join(titles), "".join(names))]
    if len(cells) == 1:
        pairs = re.findall(rf"({_TITLE_RE.pattern})\s+([가-힣](?:\s?[가-힣]){{1,3}})(?![가-힣])", cells[0])
        if pairs:
            return [(t, n.replace(" ", "")) for t, n in pairs]
        tokens = cells[0].split()
        if len(tokens) >= 2:
            return [("".join(tokens[:-1]), tokens[-1])]
    return []


def _parse_row(line: str, start: int, line_no: int) -> _Row | None:
    parsed = _cells_of(line)
    if parsed is None:
        return None
    cells, is_line_format = parsed
    keys = [c.replace(" ", "") for c in cells]
    role_at = next((i for i, k in enumerate(keys) if k in _ROLES), None)
    if role_at is None:
        return None
    after = " | ".join(c for c in cells[role_at + 1 :] if c)
    phones = _normalise_phones(after)
    email_match = _EMAIL_RE.search(after)
    cleaned = _EMAIL_RE.sub(" ", _PHONE_RE.sub(" ", after))
    cleaned = re.sub(r"[()☎∙·•]|tel|전화", " ", cleaned, flags=re.I)
    rest = [c.strip(" ,") for c in cleaned.split(" | ") if c.strip(" ,")]
    people = [(t, n) for t, n in _people_of(rest) if _NAME_RE.match(n) and t]
    if is_line_format:
        people = [(t, n) for t, n in people if _TITLE_RE.fullmatch(t)]
    if not people or (not phones and not email_match and not is_line_format and len(rest) < 2):
        return None
    before = " ".join(c for c in cells[:role_at] if c)
    topic_match = _TOPIC_RE.search(before)
    fragment = _TOPIC_RE.sub(" ", before)
    has_label = bool(_LABEL_RE.search(fragment))
    fragment = " ".join(_LABEL_RE.sub(" ", fragment).strip(" -·∙•:/").split())
    stripped = line.strip()
    lead = len(line) - len(line.lstrip())
    return _Row(
        start=start + lead, end=start + lead + len(stripped), line_no=line_no, role=keys[role_at],
        fragment=fragment.strip(" :/"), has_label=has_label,
        topic=" ".join(topic_match.group(1).split()) if topic_match else "",
        people=people, phones=phones, email=email_match.group(0) if email_match else "",
        is_line_format=is_line_format,
    )


def _blocks(rows: list[_Row]) -> list[_Block]:
    blocks: list[_Block] = []
    for row in rows:
        current = blocks[-1] if blocks else None
        starts_new = (
            current is None
            or row.has_label
            or bool(row.topic)
            or row.line_no - current.rows[-1].line_no > 3
            or (row.role == "책임자" and any(r.role == "책임자" for r in current.rows))
        )
        if starts_new:
            blocks.append(_Block(topic=row.topic))
        blocks[-1].rows.append(row)
    return blocks


def _split_ministry(path: str, allow_topic: bool) -> tuple[str, str, str]:
    """Split '과학기술정보통신부 미래인재양성과' into (topic, ministry, department)."""
    tokens = path.split()
    for i in range(len(tokens) if allow_topic else 1):
        for width in (1, 2):
            candidate = "".join(tokens[i : i + width])
            # two tokens only for a spaced committee name: '방송미디어 통신위원회'
            if width == 2 and not candidate.endswith("위원회"):
                continue
            if width <= len(tokens) - i and _MINISTRY_RE.match(candidate):
                return " ".join(tokens[:i]), " ".join(tokens[i : i + width]), " ".join(tokens[i + width :])
    return "", "", path


def _contact_facts(doc_id: str, text: str) -> list[Fact]:
    rows: list[_Row] = []
    offset = 0
    for line_no, line in enumerate(text.splitlines(keepends=True)):
        row = _parse_row(line.rstrip("\r\n"), offset, line_no)
        if row is not None:
            rows.append(row)
        offset += len(line)
    facts = []
    for block in _blocks(rows):
        block_ministry, last_path = "", ""
        head = block.rows[0].fragment
        tail = next((r.fragment for r in block.rows[1:] if r.fragment), "")
        for row in block.rows:
            if row.is_line_format:
                # '- 담당자: 사무관 / 정솔희(…)' belongs to the unit named on the line above
                path = row.fragment or last_path or head
            else:
                own = row.fragment if row is not block.rows[0] else ""
                path = " ".join(p for p in (head, own or tail) if p)
            last_path = path
            topic, ministry, department = _split_ministry(path, allow_topic=row.is_line_format)
            # '- 행정안전부: 책임자 / …' then '- 재정정책과: 담당자 / …' share the ministry
            block_ministry = block_ministry or ministry
            ministry = ministry or block_ministry
            for i, (title, name) in enumerate(row.people):
                phone = row.phones[i] if len(row.phones) == len(row.people) else (row.phones[0] if row.phones else "")
                attrs = {"ministry": ministry, "department": department, "role": row.role, "title": title,
                         "name": name, "phone": phone, "topic": block.topic or topic}
                if row.email:
                    attrs["email"] = row.email
                facts.append(Fact(doc_id, "contact", text[row.start : row.end], row.start, row.end, attrs))
    return facts


# ---------------------------------------------------------------- money
_ARROW = r"(?:→|->|⇒|=>)"
_CHANGE_RE = re.compile(r"(?:[+\-△▲▽↑↓]\s?\d+(?:\.\d+)?\s?%p?)")
_CLAUSE_BREAK_RE = re.compile(r"[.\n,;:!?\"“”「」『』<>\[\]]|다\s|(?<=\d)\)")
_PARTICLE_RE = re.compile(r"(?<=[가-힣A-Za-z0-9])(?:에서|으로|로서|이며|도|은|는|이|가|을|를|에|로|의)$")
_STOP_WORDS = {"총", "약", "최대", "최소", "연간", "대폭", "확대", "증액", "감액", "신규", "추가", "각각", "규모", "등", "및", "현재"}
_YEAR_NEAR_RE = re.compile(rf"{YEAR_PATTERN}[^\d→]{{0,12}}$")
_YEAR_AFTER_RE = re.compile(rf"^\s?\(\s?{YEAR_PATTERN}\s?\)")


def _open_paren_before(folded: str, pos: int) -> int | None:
    depth = 0
    for i in range(pos - 1, max(-1, pos - 120), -1):
        ch = folded[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                return i
            depth -= 1
        elif ch == "\n":
            break
    return None


def _blank_matches(raw: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    """Blank out (keeping offsets) every match of ``patterns`` found in the folded form of ``raw``."""
    chars = list(raw)
    for pattern in patterns:
        for m in pattern.finditer(fold_marks(raw)):
            chars[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(chars)


def _phrase_after(text: str, folded: str, pos: int) -> str:
    """The phrase after '규모(의)' ('2,000억원 규모 대출 등' -> '대출')."""
    match = re.match(r"\s?규모(?:의|로)?\s([^.,()\n]{1,40})", folded[pos : pos + 50])
    if match is None:
        return ""
    tokens = text[pos + match.start(1) : pos + match.end(1)].split()
    for i, token in enumerate(tokens):
        if token in _STOP_WORDS or token.endswith(("을", "를", "등")):
            tokens = tokens[:i] + ([token[:-1]] if token[:-1] and token not in _STOP_WORDS else [])
            break
    return " ".join(tokens[:4])


def _phrase_before(folded: str, text: str, pos: int) -> str:
    """Best-effort noun phrase ending at ``pos`` ('스마트공장 구축·확산 지원 예산도 대폭 확대(' -> '스마트공장 구축·확산 지원 예산')."""
    paren = _open_paren_before(folded, pos)
    if paren is not None:
        pos = paren
    window_start = max(0, pos - 60)
    segment = folded[window_start:pos]
    breaks = list(_CLAUSE_BREAK_RE.finditer(segment))
    cut = breaks[-1].end() if breaks else 0
    raw = _blank_matches(text[window_start + cut : pos], (YEAR_RE, AMOUNT_RE, _QTY_RE))
    tokens = [t for t in re.sub(r"[()'‘’~*※□○▶→\-]", " ", raw).split()]
    while tokens and (tokens[-1] in _STOP_WORDS or _PARTICLE_RE.sub("", tokens[-1]) in _STOP_WORDS):
        tokens.pop()
    if tokens:
        tokens[-1] = _PARTICLE_RE.sub("", tokens[-1])
    return " ".join(tokens[-5:])


def _year_near(folded: str, start: int, end: int) -> int | None:
    before = _YEAR_NEAR_RE.search(folded[max(0, start - 16) : start])
    if before is not None:
        return parse_year(before.group(0))
    after = _YEAR_AFTER_RE.search(folded[end : end + 12])
    return parse_year(after.group(0)) if after is not None else None


def _money_facts(doc_id: str, text: str, folded: str) -> list[Fact]:
    matches = list(AMOUNT_RE.finditer(folded))
    facts: list[Fact] = []
    for i, m in enumerate(matches):
        amount = parse_amount(m.group(0))
        if amount is None:
            continue
        attrs: dict[str, Any] = {"value": amount.value, "currency": amount.currency, "year": _year_near(folded, m.start(), m.end())}
        if amount.currency == "KRW":
            attrs["amount_krw"] = amount.value
        attrs["item"] = _phrase_after(text, folded, m.end()) or _phrase_before(folded, text, m.start())
        paren = _open_paren_before(folded, m.start())
        scope = folded[paren if paren is not None else max(0, m.start() - 25) : m.end() + 15]
        change = _CHANGE_RE.search(scope)
        if change is not None:
            attrs["change"] = change.group(0).replace(" ", "")
        for j, key in ((i - 1, "before"), (i + 1, "after")):
            if 0 <= j < len(matches):
                lo, hi = sorted((m, matches[j]), key=lambda x: x.start())
                gap = re.sub(r"\([^()]*\)", "", YEAR_RE.sub("", folded[lo.end() : hi.start()])).strip()
                other = parse_amount(matches[j].group(0))
                if re.fullmatch(_ARROW, gap) and other is not None:
                    attrs[key] = other.value
                    attrs[f"{key}_year"] = _year_near(folded, matches[j].start(), matches[j].end())
        facts.append(Fact(doc_id, "money", text[m.start() : m.end()], m.start(), m.end(), attrs))
    return facts


# ---------------------------------------------------------------- targets
_UNITS = r"%p|%|배|개소|개교|개사|개국|개|명|곳|건|가구|세대|호|척|톤|종|기관|팀"
_QTY = rf"(?:{NUMBER})\s?(?:[십백천]?만|천|억)?\s?(?:{_UNITS})"
_QTY_RE = re.compile(rf"(?P<num>{NUMBER})\s?(?P<scale>[십백천]?만|천|억)?\s?(?P<unit>{_UNITS})")
_GOAL_WORDS = r"까지|달성|목표|확대|제고|증가|늘리|늘려|확충|양성|육성|보급|구축|조성|감축|줄이|줄여|축소|감소"
_ARROW_TARGET_RE = re.compile(
    rf"(?<![\d.,])(?P<a>{NUMBER})\s?(?P<a_scale>[십백천]?만|천|억)?\s?(?:{_UNITS})?\s?{_ARROW}\s?(?:{YEAR_PATTERN}\s?)?(?P<b>{_QTY})"
)
_DEADLINE_TARGET_RE = re.compile(
    rf"(?P<year>{YEAR_PATTERN})\s?(?:까지)?[^\n.()\d]{{0,20}}?(?<![\d.,])(?P<goal>{_QTY}|{AMOUNT_PATTERN})"
    rf"(?=\s?(?:[가-힣]{{0,2}}\s?)(?:{_GOAL_WORDS})|\s?(?:으로|로|까지))"
)
_REDUCTION_RE = re.compile(rf"(?<![\d.,])(?P<goal>{_QTY})\s?(?:을|를)?\s?(?:줄이|줄여|감축|감소시|축소)")
_BASELINE_AFTER_RE = re.compile(rf"^[^\n.()]{{0,15}}?\(\s?(?:현재\s?)?(?P<year>{YEAR_PATTERN})?\s?(?P<qty>{_QTY})\s?\)")
_BASELINE_BEFORE_RE = re.compile(rf"현재\s?\(?\s?(?P<year>{YEAR_PATTERN})?\s?\)?\s?(?P<qty>{_QTY})")


def _quantity(raw: str) -> tuple[float, str] | None:
    match = _QTY_RE.search(raw)
    if match is None:
        amount = parse_amount(raw)
        return (amount.value, amount.currency) if amount else None
    scale = {"만": 1e4, "십만": 1e5, "백만": 1e6, "천만": 1e7, "천": 1e3, "억": 1e8}.get(match.group("scale") or "", 1)
    return float(match.group("num").replace(",", "")) * scale, match.group("unit")


def _target_facts(doc_id: str, text: str, folded: str) -> list[Fact]:
    found: list[tuple[int, int, dict[str, Any]]] = []
    for m in _ARROW_TARGET_RE.finditer(folded):
        goal = _quantity(m.group("b"))
        if goal is None:
            continue
        baseline = float(m.group("a").replace(",", "")) * ({"만": 1e4, "천": 1e3, "억": 1e8}.get(m.group("a_scale") or "", 1))
        year_before = _YEAR_NEAR_RE.search(folded[max(0, m.start() - 16) : m.start()])
        found.append((m.start(), m.end(), {
            "baseline_value": baseline, "baseline_year": parse_year(year_before.group(0)) if year_before else None,
            "goal_value": goal[0], "unit": goal[1], "deadline_year": parse_year(m.group(0)),
        }))
    for regex in (_DEADLINE_TARGET_RE, _REDUCTION_RE):
        for m in regex.finditer(folded):
            goal = _quantity(m.group("goal"))
            if goal is None or any(s < m.end() and m.start() < e for s, e, _ in found):
                continue
            attrs: dict[str, Any] = {"goal_value": goal[0], "unit": goal[1],
                                     "deadline_year": parse_year(m.group("year")) if "year" in m.groupdict() else None}
            base = _BASELINE_AFTER_RE.search(folded[m.end() : m.end() + 30])
            if base is None:
                sentence = folded[max(0, m.start() - 80) : m.start()].rsplit(".", 1)[-1]
                base = _BASELINE_BEFORE_RE.search(sentence)
            if base is not None:
                quantity = _quantity(base.group("qty"))
                attrs["baseline_value"] = quantity[0] if quantity else None
                attrs["baseline_year"] = parse_year(base.group("year")) if base.group("year") else None
            found.append((m.start(), m.end(), attrs))
    facts = []
    for start, end, attrs in sorted(found, key=lambda f: f[0]):
        attrs["metric"] = _phrase_before(folded, text, start)
        facts.append(Fact(doc_id, "target", text[start:end], start, end, attrs))
    return facts


# ---------------------------------------------------------------- dates
_DATE_LABELS = ("신청", "접수", "모집", "공모", "마감", "시행", "개최", "발표", "입법예고", "운영", "교육", "설명회", "보도", "지급", "점검", "단속")


def _date_facts(doc_id: str, text: str, folded: str, published_on: str) -> list[Fact]:
    try:
        reference = date.fromisoformat(published_on) if published_on else None
    except ValueError:
        reference = None
    facts = []
    for m in DATE_RE.finditer(folded):
        span = match_to_span(m, reference)
        if span is None:
            continue
        end = m.end() + 2 if folded.startswith("까지", m.end()) else m.end()
        context_before, context_after = folded[max(0, m.start() - 30) : m.start()], folded[end : end + 20]
        label, distance = "", 10**6
        for word in _DATE_LABELS:
            pos = context_before.rfind(word)
            if pos >= 0 and len(context_before) - pos < distance:
                label, distance = word, len(context_before) - pos
            pos = context_after.find(word)
            if pos >= 0 and pos < distance:
                label, distance = word, pos
        attrs = {"start": span.start, "end": span.end, "label": label, "is_deadline": end > m.end()}
        facts.append(Fact(doc_id, "date", text[m.start() : end], m.start(), end, attrs))
    return facts


def extract_facts(doc_id: str, text: str, published_on: str = "") -> list[Fact]:
    """All contact, money, target and date facts of one briefing, in that order, each sorted by offset."""
    folded = fold_marks(text)
    return [
        *_contact_facts(doc_id, text),
        *_money_facts(doc_id, text, folded),
        *_target_facts(doc_id, text, folded),
        *_date_facts(doc_id, text, folded, published_on),
    ]
