"""The archive's tables (SQLAlchemy 2.x typed models). Times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the backend keeps (SQLite keeps naive strings)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the archive; use aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(500))
    languages: Mapped[str] = mapped_column(String(50), default="")


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    first_article_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_content_hash", "content_hash"),
        Index("ix_articles_canonical_url", "canonical_url"),
        Index("ix_articles_fetched_at", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    canonical_url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text)
    lead: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(300), default="")
    raw_html: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed page as fetched
    encoding: Mapped[str] = mapped_column(String(40), default="")
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    date_source: Mapped[str] = mapped_column(String(20), default="")
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    language: Mapped[str] = mapped_column(String(10), default="unknown")
    content_hash: Mapped[str] = mapped_column(String(64))
    discovered_by: Mapped[str] = mapped_column(String(20), default="")
    # the page's canonical link when it points at another site: the original this page reprints
    declared_original: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), nullable=True)
    relation: Mapped[str | None] = mapped_column(String(20), nullable=True)  # exact | near | translation | related
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), nullable=True, index=True)
    story_locked: Mapped[bool] = mapped_column(Boolean, default=False)  # placed by an editor (merge / split)
    status: Mapped[str] = mapped_column(String(20), default="ok")  # ok | removed
    removed_at: Mapped[datetime | None] = mapped_column(nullable=True)  # answered 404/410 on a revisit
    revisited_at: Mapped[datetime | None] = mapped_column(nullable=True)

    source: Mapped[Source] = relationship()
    classification: Mapped[Classification | None] = relationship(
        back_populates="article", uselist=False, cascade="all, delete-orphan"
    )
    matches: Mapped[list[MatchRow]] = relationship(cascade="all, delete-orphan", order_by="MatchRow.id")
    event_dates: Mapped[list[EventDateRow]] = relationship(cascade="all, delete-orphan", order_by="EventDateRow.id")
    versions: Mapped[list[ArticleVersion]] = relationship(cascade="all, delete-orphan", order_by="ArticleVersion.id")


def publication_order(a: Article) -> tuple[datetime, date, str, int]:
    """The order of a story's articles, its first publisher first: publication time, then (between equal times) the
    day it was fetched and its canonical URL — the order :meth:`Archive.group_stories` places them in, which does not
    depend on the order one crawl's concurrent requests finished in."""
    return (a.published_at or a.fetched_at, a.fetched_at.date(), a.canonical_url, a.id)


class ArticleVersion(Base):
    """An earlier text of an article that was edited after we stored it (found on a revisit)."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    fetched_at: Mapped[datetime] = mapped_column()
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    raw_html: Mapped[bytes] = mapped_column(LargeBinary)


class Classification(Base):
    __tablename__ = "classifications"
    __table_args__ = (Index("ix_classifications_relevant", "relevant", "severity"),)

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    relevant: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    severity: Mapped[str | None] = mapped_column(String(10), nullable=True)
    topics: Mapped[list[Any]] = mapped_column(default=list)
    alarms: Mapped[list[Any]] = mapped_column(default=list)
    entities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    language_shares: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lexicon_version: Mapped[str] = mapped_column(String(20), default="")
    classified_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="classification")


class MatchRow(Base):
    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    entry: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(10))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    matched: Mapped[str] = mapped_column(String(300))


class EventDateRow(Base):
    __tablename__ = "event_dates"
    __table_args__ = (Index("ix_event_dates_date", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    date: Mapped[str] = mapped_column(String(10))  # ISO date, local calendar day
    kind: Mapped[str | None] = mapped_column(String(30), nullable=True)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    sentence: Mapped[str] = mapped_column(Text, default="")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | partial | failed
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CrawlSourceStats(Base):
    __tablename__ = "crawl_source_stats"
    __table_args__ = (UniqueConstraint("run_id", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    source_key: Mapped[str] = mapped_column(String(100))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    statuses: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    not_articles: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    with_date: Mapped[int] = mapped_column(Integer, default=0)
    newest_published_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Digest(Base):
    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10))
    window_start: Mapped[datetime] = mapped_column()
    window_end: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    path: Mapped[str] = mapped_column(String(1000), default="")
    items: Mapped[int] = mapped_column(Integer, default=0)


class HttpValidator(Base):
    """ETag / Last-Modified of a feed or sitemap, sent back as If-None-Match / If-Modified-Since next time."""

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
