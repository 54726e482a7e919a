from __future__ import annotations

import pytest

from monitor.text import fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Казахмыс", "казахмыс"),
        ("Қазақмыстың", "казакмыстын"),
        ("Kazakhmys", "казахмыс"),
        ("Qazaqmys", "казакмыс"),
        ("Jezqazǵan", "жезказган"),
        ("Zhezkazgan", "жезказган"),
        ("Сәтбаевтағы", "сатбаевтагы"),
        ("Sátbaev", "сатбаев"),
        ("Satpayev", "сатпаев"),
        ("Жёлтый", "желтый"),
    ],
)
def test_every_script_folds_to_one_skeleton(raw: str, folded: str) -> None:
    assert fold(raw).text == folded


def test_offsets_point_back_into_the_original() -> None:
    text = "Рабочие Qazaqmys и Zhezkazgan: ereýil"
    f = fold(text)
    start = f.text.index("жезказган")
    end = start + len("жезказган")
    assert text[f.orig(start) : f.orig(end - 1) + 1] == "Zhezkazgan"


def test_cyrillic_text_keeps_offsets_unchanged() -> None:
    text = "Жезқазғандағы ереуіл"
    f = fold(text)
    assert f.breaks == [] and len(f.text) == len(text)


def test_offsets_stay_exact_after_digraphs_and_apostrophes() -> None:
    # «sh», «zh», «kh» fold to one letter and the old-Latin apostrophe to none: each shifts every later offset
    text = "Shahtyorlar O'ńtústik Jezqazǵanda kh: ereýil"
    f = fold(text)
    for word in ("шахтерлар", "онтустик", "жезказганда", "х", "ереуил"):
        start = f.text.index(word)
        end = start + len(word)
        assert fold(text[f.orig(start) : f.orig(end - 1) + 1]).text == word
    assert f.orig(len(f.text)) == len(text)  # the end of the folded text is the end of the original
