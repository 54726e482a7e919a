from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from monitor.archive.models import Classification
from monitor.archive.store import Archive
from monitor.classify import classify
from monitor.process import FetchedPage, classify_article, extract_page
from monitor.reprocess import reprocess

HTML = (
    "<html><head><title>Шахтёры Казахмыса объявили забастовку</title></head><body><h1>Шахтёры Казахмыса объявили "
    "забастовку</h1><p>Горняки рудника в Сатпаеве прекратили работу и требуют повысить зарплату на 30 процентов. "
    "Профсоюз заявил, что забастовка продлится до ответа руководства корпорации.</p><p>Акимат города "
    "предложил сторонам сесть за стол переговоров в понедельник.</p></body></html>"
)


def test_reprocess_uses_the_crawl_code_path_and_reports_changes(archive: Archive) -> None:
    page = FetchedPage(
        source="t", url="https://x.kz/1", body=HTML.encode(), fetched_at=datetime(2026, 7, 2, tzinfo=UTC)
    )
    item = classify_article(extract_page(page))
    ids = archive.store_batch([item])
    art_id = next(iter(ids.values()))
    # pretend an older lexicon had missed it
    stale = classify("", "")
    archive.replace_classification(art_id, stale)
    report = reprocess(archive)
    assert report.total == 1 and report.newly_relevant == [(art_id, item.article.title)]
    with archive.session() as s:
        c = s.scalars(select(Classification)).one()
        assert c.relevant and c.severity == item.classification.severity  # type: ignore[union-attr]
    assert reprocess(archive).changed == 0
