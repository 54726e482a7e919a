from __future__ import annotations

import pytest

from monitor.language import detect_language


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Жезқазғанда ереуіл басталды", "", "kk"),
        ("Рабочие Казахмыса вышли на митинг", "", "ru"),
        ("Берік Жағыпаров заявил, что ему угрожают", "", "ru"),
        ("Qazaqmys jumysshylary ereýilge shyqty", "", "kk"),
        ("Strike at Kazakhmys smelter enters second week", "", "en"),
        ("", "Робітники вийшли на страйк біля заводу.", "other"),
        (
            "",
            "Ұлытау облысында «Қазақмыс» корпорациясының жұмысшылары жалақыны көтеруді талап етіп отыр. "
            "Әкімдік бұл туралы ақпаратты растады.",
            "kk",
        ),
    ],
)
def test_language(title: str, text: str, expected: str) -> None:
    assert detect_language(text, title).language == expected


def test_mixed_page_reports_shares() -> None:
    text = "Рабочие Казахмыса требуют повышения зарплаты и отмены консервации завода.\n" + (
        "Жұмысшылар жалақыны көтеруді және зауытты консервациялауды тоқтатуды талап етеді."
    )
    result = detect_language(text)
    assert set(result.shares) == {"ru", "kk"}
    assert abs(sum(result.shares.values()) - 1) < 0.01


def test_empty_input_is_unknown_not_an_error() -> None:
    assert detect_language("", "").language == "unknown"
    assert detect_language("12345 !!! ...", "").language == "unknown"
