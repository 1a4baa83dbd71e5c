from hypothesis import given
from hypothesis import strategies as st

from core.text import fold, norm


def test_norm_follows_the_eval_rules() -> None:
    assert norm("'26년 4,366억 원") == "'26년4366억원"
    assert norm("’30년 40%") == "'30년40%"
    assert norm("4월 10일 ∼ 10월 15일") == "4월10일~10월15일"
    assert norm("구축ㆍ확산") == norm("구축·확산") == "구축·확산"
    assert norm("ＡＩ 팩토리") == "ai팩토리"


@given(st.text())
def test_norm_is_idempotent(text: str) -> None:
    assert norm(norm(text)) == norm(text)


@given(st.text())
def test_fold_keeps_one_character_per_character(text: str) -> None:
    assert len(fold(text)) == len(text)
