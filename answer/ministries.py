"""Ministries named in a question, by full name or by the short name journalists use ("산업부").

Releases and contact tables write full names ("산업통상부", "중소벤처기업부"); questions often use the
short ones. A short name maps to every full name it has stood for, since ministries were renamed
in 2025–26 ("산업부" is 산업통상자원부, now 산업통상부; "기재부" became 재정경제부 and 기획예산처).

>>> ministries_named("산업부 담당자 연락처 전부", known=())
('산업통상부', '산업통상자원부')
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.text import nfkc

ALIASES: dict[str, tuple[str, ...]] = {
    "산업부": ("산업통상부", "산업통상자원부"),
    "산자부": ("산업통상부", "산업통상자원부"),
    "기재부": ("기획재정부", "재정경제부", "기획예산처"),
    "재경부": ("재정경제부",),
    "예산처": ("기획예산처",),
    "중기부": ("중소벤처기업부",),
    "과기정통부": ("과학기술정보통신부",),
    "과기부": ("과학기술정보통신부",),
    "고용부": ("고용노동부",),
    "노동부": ("고용노동부",),
    "복지부": ("보건복지부",),
    "농식품부": ("농림축산식품부",),
    "농림부": ("농림축산식품부",),
    "해수부": ("해양수산부",),
    "국토부": ("국토교통부",),
    "행안부": ("행정안전부",),
    "문체부": ("문화체육관광부",),
    "환경부": ("기후에너지환경부", "환경부"),
    "기후부": ("기후에너지환경부",),
    "여가부": ("성평등가족부", "여성가족부"),
    "여성가족부": ("성평등가족부", "여성가족부"),
    "보훈부": ("국가보훈부",),
    "보훈처": ("국가보훈부",),
    "식약처": ("식품의약품안전처",),
    "인사처": ("인사혁신처",),
    "공정위": ("공정거래위원회",),
    "금융위": ("금융위원회",),
    "권익위": ("국민권익위원회",),
    "방통위": ("방송미디어통신위원회", "방송통신위원회"),
    "방미통위": ("방송미디어통신위원회",),
    "개인정보위": ("개인정보보호위원회",),
    "원안위": ("원자력안전위원회",),
    "질병청": ("질병관리청",),
    "농진청": ("농촌진흥청",),
    "해경": ("해양경찰청",),
    "행복청": ("행정중심복합도시건설청",),
    "방사청": ("방위사업청",),
    "특허청": ("지식재산처", "특허청"),
    "통계청": ("국가데이터처", "통계청"),
    "문화재청": ("국가유산청",),
    "국조실": ("국무조정실",),
}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", nfkc(text))


def ministries_named(text: str, known: Iterable[str]) -> tuple[str, ...]:
    """Full names of the ministries ``text`` names: short names through ``ALIASES``, and any of the
    ``known`` full names (the index's ministries) written out. Sorted; empty when none is named."""
    q = _squash(text)
    found: set[str] = set()
    for name in known:
        squashed = _squash(name)
        if len(squashed) >= 3 and squashed in q:
            found.add(name.strip())
    rest = q
    for name in found:  # "환경부" inside "기후에너지환경부" is not a second ministry
        rest = rest.replace(_squash(name), " ")
    for short, names in ALIASES.items():
        if short in rest:
            found.update(names)
    return tuple(sorted(found))


def is_ministry(value: str, wanted: tuple[str, ...]) -> bool:
    """Whether a release's or a contact row's ministry is one of ``wanted`` (spaces ignored)."""
    squashed = _squash(value)
    return bool(squashed) and any(_squash(w) == squashed for w in wanted)
