"""Extraction: fields, encodings (exact Cyrillic, no mojibake), listings recognised, bad input handled."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from monitor.extract import decode_html, extract

BODY = (
    "Рабочие Жезказганского медеплавильного завода собрались у проходной. Они требуют индексации зарплаты на 30 "
    "процентов и отказа от консервации завода. Представители корпорации «Казахмыс» обещали ответить до пятницы. "
    "Профсоюз заявил, что если ответа не будет, 6 июля состоится митинг у Дворца металлургов."
)
TITLE = "Металлурги Жезказгана требуют повысить зарплату"


def page(meta: str = "", charset: str = "utf-8", date_html: str = "") -> str:
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in BODY.split(".") if s.strip())
    return (
        f"<html><head><meta charset='{charset}'><title>{TITLE} | Вестник</title>{meta}</head><body>"
        f"<nav><a href='/'>Главная</a></nav><article><h1>{TITLE}</h1>{date_html}{paragraphs}</article>"
        "<footer>© 2026 Все права защищены</footer></body></html>"
    )


def test_fields_from_meta() -> None:
    meta = (
        "<meta property='article:published_time' content='2026-07-01T09:40:00+05:00'>"
        "<meta name='author' content='Айгерим Сапарова'><link rel='canonical' href='https://example.kz/a/1'>"
    )
    art = extract(page(meta), "https://example.kz/a/1?utm_source=x")
    assert art.title == TITLE
    assert "консервации завода" in art.text and "Все права защищены" not in art.text
    assert art.published_at == datetime(2026, 7, 1, 4, 40, tzinfo=UTC)
    assert art.date_source == "meta"
    assert art.author == "Айгерим Сапарова"
    assert art.canonical_url == "https://example.kz/a/1"
    assert art.language == "ru" and art.is_article


def test_visible_russian_date() -> None:
    art = extract(page(date_html="<span class='date'>12 марта 2024, 14:05</span>"), "https://x.kz/1")
    assert art.published_at == datetime(2024, 3, 12, 9, 5, tzinfo=UTC) and art.date_source == "visible"


def test_visible_kazakh_date_and_selector_precedence() -> None:
    html = page(date_html="<div class='meta'><span class='d'>6 шілде 2024 ж.</span></div>")
    art = extract(html, "https://x.kz/1", selectors={"date": ".d", "title": "h1"})
    assert art.published_at == datetime(2024, 7, 5, 19, 0, tzinfo=UTC) and art.date_source == "selector"


@pytest.mark.parametrize("encoding", ["windows-1251", "koi8-r"])
def test_legacy_encodings_declared_correctly(encoding: str) -> None:
    raw = page(charset=encoding).encode(encoding, errors="xmlcharrefreplace")  # KOI8-R has no «»
    art = extract(raw, "https://x.kz/1", declared_encoding=encoding)
    assert art.title == TITLE and BODY.split(".")[0] in art.text


@pytest.mark.parametrize("declared", ["utf-8", "koi8-r", None])
def test_windows_1251_with_a_lying_header(declared: str | None) -> None:
    raw = page(charset="utf-8").encode("windows-1251")  # meta and header both wrong or missing
    art = extract(raw, "https://x.kz/1", declared_encoding=declared)
    assert art.title == TITLE
    assert "Казахмыс" in art.text


def test_utf8_declared_as_windows_1251() -> None:
    raw = page(charset="windows-1251").encode("utf-8")
    art = extract(raw, "https://x.kz/1", declared_encoding="windows-1251")
    assert art.title == TITLE


def test_bom_wins() -> None:
    text, enc = decode_html(codecs.BOM_UTF8 + "Жезқазған".encode(), "windows-1251")
    assert text == "Жезқазған" and enc == "utf-8"


def test_listing_page_is_not_an_article() -> None:
    links = "".join(
        f"<li><a href='/news/{i}'>Новость номер {i}: рабочие Казахмыса провели собрание в Жезказгане</a></li>"
        for i in range(20)
    )
    art = extract(f"<html><head><title>Новости</title></head><body><h1>Новости</h1><ul>{links}</ul></body></html>")
    assert not art.is_article


@pytest.mark.parametrize(
    "junk",
    [b"", b"\x00\x01\x02\xff" * 100, b"<html><head><title>\xd0\x9e", "<html>" * 10_000, b"%PDF-1.4 binary"],
)
def test_broken_pages_are_not_articles_and_do_not_raise(junk: bytes | str) -> None:
    art = extract(junk, "https://x.kz/broken")
    assert not art.is_article
