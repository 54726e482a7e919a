"""The archive: idempotent batched writes and the reads the rest of the tool needs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.archive import db
from monitor.archive.models import (
    Article,
    ArticleVersion,
    Classification,
    CrawlRun,
    CrawlSourceStats,
    EventDateRow,
    HttpValidator,
    MatchRow,
    Source,
    Story,
    utcnow,
)
from monitor.classify import Classification as Decision
from monitor.process import ProcessedArticle
from monitor.search import index_documents


class Archive:
    """A handle on the archive database. Open with :meth:`open`; every write is idempotent."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session_factory = sessionmaker(engine, expire_on_commit=False)
        self._source_ids: dict[str, int] = {}

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Archive:
        """Open (and by default create or upgrade) the archive at ``url``; :class:`db.ArchiveError` if impossible."""
        engine = db.make_engine(db.db_url(url))
        if migrate:
            db.upgrade(engine)
        return cls(engine)

    def session(self) -> Session:
        return self.session_factory()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # ------------------------------------------------------------------ sources
    def ensure_sources(self, sources: Iterable[tuple[str, str, str, str]]) -> None:
        """Register (key, name, base_url, languages) rows, updating names and URLs that changed.

        Safe when several crawler processes start at once: an insert that loses the race is ignored.
        """
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        rows = [{"key": k, "name": n, "base_url": u, "languages": langs} for k, n, u, langs in sources]
        if not rows:
            return
        with self.session() as s, s.begin():
            s.execute(insert(Source).on_conflict_do_nothing(index_elements=["key"]), rows)
            for row in rows:
                s.execute(
                    update(Source)
                    .where(Source.key == row["key"])
                    .values(name=row["name"], base_url=row["base_url"], languages=row["languages"])
                )
        self._source_ids.clear()

    def source_id(self, key: str) -> int:
        """The id of source ``key``, registering a bare row for a source no sources file named."""
        if key not in self._source_ids:
            insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
            bare = {"key": key, "name": key, "base_url": "", "languages": ""}
            with self.session() as s, s.begin():
                s.execute(insert(Source).on_conflict_do_nothing(index_elements=["key"]), [bare])
                sid = s.scalar(select(Source.id).where(Source.key == key))
            assert sid is not None
            self._source_ids[key] = sid
        return self._source_ids[key]

    # ------------------------------------------------------------------ reads
    def known_urls(self) -> set[str]:
        """Every stored URL and canonical URL (to skip known articles before fetching them)."""
        with self.session() as s:
            rows = s.execute(select(Article.url, Article.canonical_url)).all()
        return {u for row in rows for u in row}

    def hashes(self, since: datetime | None = None) -> dict[str, tuple[int, str]]:
        """content_hash → (article id, url) of originals (not duplicates), for exact-copy linking."""
        q = select(Article.content_hash, Article.id, Article.url).where(Article.duplicate_of_id.is_(None))
        if since is not None:
            q = q.where(Article.fetched_at >= since)
        with self.session() as s:
            return {h: (i, u) for h, i, u in s.execute(q.order_by(Article.id.desc()))}

    def count_articles(self) -> int:
        from sqlalchemy import func

        with self.session() as s:
            return int(s.scalar(select(func.count(Article.id))) or 0)

    # ------------------------------------------------------------------ writes
    def store_batch(self, items: Sequence[ProcessedArticle]) -> dict[str, int]:
        """Insert new articles with their classifications; rows whose URL exists are left alone.

        Returns URL → id of the rows this call inserted. Safe to call again with the same items (a crawl killed and
        re-run), and safe against a concurrent writer inserting the same URL (``ON CONFLICT DO NOTHING``).
        """
        if not items:
            return {}
        rows: list[dict[str, Any]] = []
        for it in items:
            a = it.article
            rows.append(
                {
                    "source_id": self.source_id(it.source),
                    "url": it.url,
                    "canonical_url": it.canonical_url,
                    "title": a.title,
                    "lead": a.lead,
                    "text": a.text,
                    "author": a.author[:300],
                    "raw_html": it.raw_html,
                    "encoding": a.encoding,
                    "published_at": a.published_at,
                    "updated_at": a.updated_at,
                    "date_source": a.date_source,
                    "fetched_at": it.fetched_at,
                    "language": (it.classification.language if it.classification else a.language),
                    "content_hash": it.content_hash,
                    "discovered_by": it.discovered_by,
                    "declared_original": it.reprint_of or None,
                    "status": "ok",
                }
            )
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        by_url = {it.url: it for it in items}
        try:
            with self.session() as s, s.begin():
                before = set(s.scalars(select(Article.url).where(Article.url.in_(list(by_url)))))
                fresh = [r for r in rows if r["url"] not in before]
                if not fresh:
                    return {}
                s.execute(insert(Article).on_conflict_do_nothing(index_elements=["url"]), fresh)
                new = s.execute(
                    select(Article.id, Article.url).where(Article.url.in_([u for u in by_url if u not in before]))
                ).all()
                ids = {u: i for i, u in new}
                index_documents(
                    s.connection(), [(i, by_url[u].article.title, by_url[u].article.text) for u, i in ids.items()]
                )
                for url, art_id in ids.items():
                    it = by_url[url]
                    if it.classification is not None:
                        self.write_classification(s, art_id, it.classification)
        except OperationalError as exc:
            raise db.ArchiveError(f"cannot write to the archive: {exc.orig}") from exc
        return ids

    @staticmethod
    def write_classification(s: Session, article_id: int, c: Decision) -> None:
        existing = s.get(Classification, article_id)
        if existing is not None:
            s.delete(existing)
            s.flush()
        s.query(MatchRow).filter(MatchRow.article_id == article_id).delete()
        s.query(EventDateRow).filter(EventDateRow.article_id == article_id).delete()
        s.add(
            Classification(
                article_id=article_id,
                relevant=c.relevant,
                score=c.score,
                severity=c.severity,
                topics=c.topics,
                alarms=c.alarms,
                entities=c.entities,
                reasons=c.reasons,
                language_shares=c.language_shares,
                lexicon_version=c.lexicon_version,
                classified_at=utcnow(),
            )
        )
        s.add_all(
            MatchRow(
                article_id=article_id,
                term=m.term[:200],
                category=m.category,
                entry=m.entry,
                field=m.field,
                start=m.start,
                end=m.end,
                matched=m.text[:300],
            )
            for m in c.matches
        )
        s.add_all(
            EventDateRow(
                article_id=article_id,
                text=d.text[:200],
                date=d.date,
                kind=d.kind,
                cancelled=d.cancelled,
                sentence=d.sentence[:2000],
            )
            for d in c.dates_mentioned
        )

    def replace_classification(self, article_id: int, c: Decision) -> None:
        with self.session() as s, s.begin():
            self.write_classification(s, article_id, c)

    # ------------------------------------------------------------------ conditional GET
    def validators(self) -> dict[str, tuple[str | None, str | None]]:
        with self.session() as s:
            return {v.url: (v.etag, v.last_modified) for v in s.scalars(select(HttpValidator))}

    def save_validators(self, found: dict[str, tuple[str | None, str | None]]) -> None:
        if not found:
            return
        with self.session() as s, s.begin():
            for url, (etag, modified) in found.items():
                row = s.get(HttpValidator, url)
                if row is None:
                    s.add(HttpValidator(url=url, etag=etag, last_modified=modified, updated_at=utcnow()))
                else:
                    row.etag, row.last_modified, row.updated_at = etag, modified, utcnow()

    # ------------------------------------------------------------------ revisits
    def due_revisits(self, now: datetime, ages: Sequence[int] = (1, 7), limit: int = 2000) -> list[tuple[str, str]]:
        """(url, source key) of relevant articles due for a revisit: about ``ages`` days after publication and not
        revisited since that mark — to catch edits and takedowns."""
        oldest = now - timedelta(days=max(ages) + 2)
        out: list[tuple[str, str]] = []
        with self.session() as s:
            rows = s.execute(
                select(Article.url, Source.key, Article.published_at, Article.revisited_at)
                .join(Source)
                .join(Classification, Classification.article_id == Article.id)
                .where(Classification.relevant.is_(True), Article.status == "ok", Article.published_at >= oldest)
                .order_by(Article.published_at)
            ).all()
        for url, key, published, revisited in rows:
            if published is None:
                continue
            marks = [published + timedelta(days=a) for a in ages if published + timedelta(days=a) <= now]
            if marks and (revisited is None or revisited < marks[-1]):
                out.append((url, key))
        return out[:limit]

    def record_revisit(self, item: ProcessedArticle) -> bool:
        """Store a revisited article: if its text changed, keep the old text as a version and update it (and its
        classification and search entry). Returns whether it changed."""
        with self.session() as s, s.begin():
            art = s.scalars(select(Article).where(Article.url == item.url)).first()
            if art is None:
                return False
            art.revisited_at = utcnow()
            if art.content_hash == item.content_hash:
                return False
            s.add(
                ArticleVersion(
                    article_id=art.id,
                    fetched_at=art.fetched_at,
                    title=art.title,
                    text=art.text,
                    content_hash=art.content_hash,
                    raw_html=art.raw_html,
                )
            )
            a = item.article
            art.title, art.text, art.lead, art.raw_html = a.title, a.text, a.lead, item.raw_html
            art.content_hash, art.fetched_at = item.content_hash, item.fetched_at
            art.updated_at = a.updated_at or item.fetched_at
            if item.classification is not None:
                self.write_classification(s, art.id, item.classification)
            index_documents(s.connection(), [(art.id, art.title, art.text)])
            return True

    def mark_removed(self, url: str) -> bool:
        """An article that answers 404/410: marked removed, its last copy kept."""
        with self.session() as s, s.begin():
            art = s.scalars(select(Article).where(Article.url == url)).first()
            if art is None or art.status == "removed":
                return False
            art.status, art.removed_at, art.revisited_at = "removed", utcnow(), utcnow()
            return True

    # ------------------------------------------------------------------ stories
    def group_stories(self, article_ids: Sequence[int], window_days: int = 30) -> None:
        """Re-cluster the window around new articles into stories (:class:`monitor.stories.StoryIndex`).

        The window is the ``window_days`` before the newest new article. Documents are added in publication order,
        so the earliest publisher is each group's original whatever the order they were fetched in; between equal
        publication times, the one fetched on an earlier day, then the canonical URL, decide: not the order one
        crawl's concurrent requests happened to finish in, so the same archive always groups the same way. Copies
        point at it (``exact``, ``near``), other write-ups join its story (``translation``, ``related``). An existing
        story keeps its id; articles an editor placed by hand (``story_locked``) are not moved. Idempotent.

        Texts are streamed from the database into the index and dropped: only ids and small tuples stay in memory.
        """
        if not article_ids:
            return
        from monitor.stories import Doc, StoryIndex

        with self.session() as s, s.begin():
            when = func.coalesce(Article.published_at, Article.fetched_at)
            newest = s.scalar(select(func.max(when)).where(Article.id.in_(article_ids)))
            if newest is None:
                return
            if newest.tzinfo is None:
                newest = newest.replace(tzinfo=UTC)
            start = newest - timedelta(days=window_days)
            columns = (Article.id, Article.title, Article.text, Article.language, Article.published_at,
                       Article.fetched_at, Article.story_id, Article.story_locked, Article.declared_original,
                       Article.url, Article.canonical_url)  # fmt: skip
            rows = s.execute(
                select(*columns)
                .where((when >= start) | Article.id.in_(article_ids))
                .order_by(when, func.date(Article.fetched_at), Article.canonical_url, Article.id)
                .execution_options(yield_per=500)
            )
            index = StoryIndex(window_days=window_days)
            by_url: dict[str, int] = {}
            placed: list[tuple[int, int | None, bool, str | None, str | None]] = []
            language: dict[int, str] = {}
            firsts: dict[int, tuple[str, datetime | None]] = {}  # title and date of each story's first article
            for art_id, title, text, lang, published, fetched, story_id, locked, declared, url, canon in rows:
                got = index.add(Doc(str(art_id), title, text, lang, published or fetched))
                dup, rel = got.duplicate_of, got.relation
                original = by_url.get(declared or "")
                if original is not None and original != art_id and dup is None:
                    # the page's canonical link names its original: trust the publisher's own word
                    dup, rel = str(original), "near"
                    index.join(str(art_id), str(original))
                by_url[url] = by_url[canon] = art_id
                if got.story == str(art_id):
                    firsts[art_id] = (title, published)
                placed.append((art_id, story_id, bool(locked), dup, rel))
                language[art_id] = lang or ""
            # stories are final only once every article is in: a later write-up can join two of them
            members: dict[str, list[tuple[int, int | None, bool, str | None, str | None]]] = {}
            for item in placed:
                members.setdefault(index.story_of(str(item[0])), []).append(item)
            updates: list[dict[str, Any]] = []
            for group in members.values():
                first_id = group[0][0]  # the story's own first document: it was added before every member
                existing = sorted({sid for _, sid, _, _, _ in group if sid is not None})
                story = s.get(Story, existing[0]) if existing else None
                if story is None:
                    story = Story(title=firsts[first_id][0])
                    s.add(story)
                    s.flush()
                story.title, story.first_article_id = firsts[first_id][0], first_id
                story.first_published_at, story.updated_at = firsts[first_id][1], utcnow()
                for art_id, _, locked, dup, rel in group:
                    if locked:
                        continue
                    copy = bool(dup) and rel in ("exact", "near")
                    if art_id != first_id and not copy:
                        # a write-up (matched directly or through a story it bridged): named by its relation to
                        # the story's first publisher
                        first_lang, lang = language[first_id], language[art_id]
                        rel = "translation" if first_lang and lang and lang != first_lang else "related"
                    updates.append({"id": art_id, "story_id": story.id,
                                    "duplicate_of_id": int(dup) if copy and dup else None,
                                    "relation": rel if art_id != first_id else None})  # fmt: skip
            for chunk in range(0, len(updates), 1000):
                s.execute(update(Article), updates[chunk : chunk + 1000])

    def merge_stories(self, into: int, other: int) -> int:
        """Move every article of story ``other`` into ``into`` (an editor's decision: locked against re-clustering)."""
        with self.session() as s, s.begin():
            if s.get(Story, into) is None or s.get(Story, other) is None:
                raise KeyError(f"no story {into if s.get(Story, into) is None else other}")
            arts = list(s.scalars(select(Article).where(Article.story_id.in_([into, other]))))
            for art in arts:
                art.story_id, art.story_locked = into, True
            s.flush()
            s.delete(s.get(Story, other))
            return sum(1 for a in arts if a.story_id == into)

    def split_story(self, story_id: int, article_id: int) -> int:
        """Take ``article_id`` out of ``story_id`` into a new story of its own (locked against re-clustering)."""
        with self.session() as s, s.begin():
            art = s.get(Article, article_id)
            if art is None or art.story_id != story_id:
                raise KeyError(f"article {article_id} is not in story {story_id}")
            story = Story(title=art.title, first_article_id=art.id, first_published_at=art.published_at)
            s.add(story)
            s.flush()
            art.story_id, art.story_locked, art.duplicate_of_id, art.relation = story.id, True, None, None
            return story.id

    # ------------------------------------------------------------------ crawl runs
    def previous_run_interrupted(self) -> bool:
        """Whether the crawl before the current one (the latest run row) never finished: killed or crashed.

        Discovery then tries every method of every source, so what that run had not reached yet is found now.
        """
        with self.session() as s:
            runs = list(s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(2)))
        return len(runs) == 2 and runs[1].finished_at is None

    def start_run(self) -> int:
        with self.session() as s, s.begin():
            run = CrawlRun(started_at=utcnow(), status="running", stats={})
            s.add(run)
            s.flush()
            return run.id

    def finish_run(
        self, run_id: int, status: str, stats: dict[str, Any], per_source: dict[str, dict[str, Any]]
    ) -> None:
        with self.session() as s, s.begin():
            run = s.get(CrawlRun, run_id)
            if run is None:
                return
            run.finished_at = utcnow()
            run.status = status
            run.stats = stats
            for key, st in per_source.items():
                s.add(CrawlSourceStats(run_id=run_id, source_key=key, **st))
