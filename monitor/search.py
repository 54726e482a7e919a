"""Full-text search over the archive in Russian and Kazakh, both scripts.

Index and query share one normalisation: :func:`search_fold` (the classification fold plus х→к and ы→и, so
«Казахмыс», «Қазақмыс» and "Kazakhmys" meet). Query words are cut to a stem and searched as prefixes, so
«Казахмыс» finds «Казахмыса» and «Қазақмыстың», «Жезқазғанда» finds «Жезказган». SQLite uses an FTS5 table
(``search_docs``, rowid = article id, bm25 ranking); PostgreSQL a ``tsvector`` column with a GIN index. Snippets
are cut from the original text, so they show the source's own spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text as sql
from sqlalchemy.engine import Connection

from monitor.text import CharMap, fold

# one character for one, so offsets survive (snippets are cut from the original text)
_EXTRA = CharMap({"х": "к", "ы": "и", "й": "и", "э": "е", "ц": "с", "щ": "ш"})
_TOKEN = re.compile(r"\w+")
# Endings stripped from query words (folded spelling), longest first, while at least MIN_STEM letters remain.
_ENDINGS = sorted(
    """
    лардин лердин лардан лерден ларга лерге ларда лерде лары лери дагы деги тагы теги ларин лерин
    ами ями ого его ому ему ими иди ах ях ои еи ии ая яя ое ее ую юю ом ем ов ев ин нин дин тин
    дан ден тан тен нан нен га ге ка ке на не да де та те лар лер дар дер тар тер
    а я и у ю е о
    """.split(),
    key=len,
    reverse=True,
)
MIN_STEM = 4
MAX_QUERY_TERMS = 12
CANDIDATES = 2000  # SQLite: ranking and filters apply to the 2,000 newest text matches ("2000+ matches")


class QueryError(ValueError):
    """The query cannot be searched (empty after normalisation); the message says why."""


def search_fold(text: str) -> str:
    """The search normalisation of a text (index side and query side alike)."""
    return _EXTRA(fold(text).text)


def stem(word: str) -> str:
    """A folded word cut to the stem used as a prefix query."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


@dataclass
class ParsedQuery:
    """Terms, phrases (sequences of adjacent words) and excluded terms, all as prefix stems."""

    terms: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def highlight(self) -> list[str]:
        return self.terms + [t for p in self.phrases for t in p]


def parse_query(query: str) -> ParsedQuery:
    """``Казахмыс "комендантский час" -футбол забастов*``: words, quoted phrases, -exclusions, prefix*.

    Unbalanced quotes close at the end; FTS and SQL syntax characters are plain text.
    """
    parsed = ParsedQuery()
    parts = re.findall(r'(-?)"([^"]*)"?|(-?)(\S+)', query.replace("\u00ab", '"').replace("\u00bb", '"'))
    for neg_phrase, phrase, neg_word, word in parts:
        if phrase or neg_phrase:
            tokens = _TOKEN.findall(search_fold(phrase))
            if not tokens:
                continue
            if neg_phrase:
                parsed.excluded.extend(stem(t) for t in tokens)
            elif len(tokens) == 1:
                parsed.terms.append(stem(tokens[0]))
            else:
                parsed.phrases.append([stem(t) for t in tokens])  # «комендантский час» finds «комендантского часа»
            continue
        for token in _TOKEN.findall(search_fold(word)):
            (parsed.excluded if neg_word else parsed.terms).append(stem(token))
    if not parsed.terms and not parsed.phrases:
        raise QueryError("the query has no words to search for")
    if len(parsed.terms) + len(parsed.phrases) > MAX_QUERY_TERMS:
        raise QueryError(f"too many words (at most {MAX_QUERY_TERMS})")
    return parsed


def fts5_match(q: ParsedQuery) -> str:
    """The FTS5 MATCH expression: every token double-quoted, so nothing in it is FTS syntax."""
    parts = [f'"{t}"*' for t in q.terms] + ["(" + " + ".join(f'"{t}"*' for t in p) + ")" for p in q.phrases]
    expr = " AND ".join(parts)
    for t in q.excluded:
        expr += f' NOT "{t}"*'
    return expr


def tsquery(q: ParsedQuery) -> str:
    """The PostgreSQL tsquery: prefixes ``:*``, phrases ``<->``, exclusions ``!``. Tokens are \\w+ only."""
    parts = [f"{t}:*" for t in q.terms] + ["(" + " <-> ".join(f"{t}:*" for t in p) + ")" for p in q.phrases]
    parts += [f"!{t}:*" for t in q.excluded]
    return " & ".join(parts)


def index_documents(conn: Connection, rows: list[tuple[int, str, str]]) -> None:
    """Add or replace (article id, title, text) in the search index."""
    if not rows:
        return
    docs = [{"id": i, "body": search_fold(title) + "\n" + search_fold(body)} for i, title, body in rows]
    if conn.dialect.name == "postgresql":
        conn.execute(
            sql(
                "INSERT INTO search_docs (article_id, tsv) VALUES (:id, to_tsvector('simple', :body)) "
                "ON CONFLICT (article_id) DO UPDATE SET tsv = EXCLUDED.tsv"
            ),
            docs,
        )
    else:
        conn.execute(sql("DELETE FROM search_docs WHERE rowid = :id"), docs)
        conn.execute(sql("INSERT INTO search_docs (rowid, body) VALUES (:id, :body)"), docs)


@dataclass
class Hit:
    article_id: int
    title: str
    url: str
    source: str
    language: str
    published: datetime | None
    relevant: bool
    severity: str | None
    topics: list[str]
    story_id: int | None
    snippet: str
    rank: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.article_id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "language": self.language,
            "published_at": self.published.isoformat() if self.published else None,
            "relevant": self.relevant,
            "severity": self.severity,
            "topics": self.topics,
            "story": self.story_id,
            "snippet": self.snippet,
        }


@dataclass
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    language: str | None = None
    topic: str | None = None
    source: str | None = None
    story: int | None = None
    relevant_only: bool = True
    limit: int = 20
    offset: int = 0


def search(conn: Connection, query: str, filters: Filters | None = None) -> tuple[list[Hit], int]:
    """Ranked hits (relevance, then recency) and the number of matches. Raises :class:`QueryError`.

    On SQLite the count stops at :data:`CANDIDATES` (the caller shows "2000+"): counting every match of a word
    found in half the archive costs more than the search itself.
    """
    f = filters or Filters()
    q = parse_query(query)
    params: dict[str, Any] = {"limit": max(1, min(f.limit, 500)), "offset": max(0, f.offset)}
    where = []
    cte = ""
    if conn.dialect.name == "postgresql":
        params["q"] = tsquery(q)
        base = "FROM search_docs d JOIN articles a ON a.id = d.article_id "
        where.append("d.tsv @@ to_tsquery('simple', :q)")
        rank = "ts_rank(d.tsv, to_tsquery('simple', :q)) * -10"
        age = "EXTRACT(EPOCH FROM (now() - COALESCE(a.published_at, a.fetched_at))) / 86400.0"
    else:
        params["q"] = fts5_match(q)
        # the full-text match first, materialised: SQLite must not probe FTS5 once per article row
        # the newest CANDIDATES matches (rowid order: no score computed for the others), then bm25, joins,
        # filters and recency on those only — a word found in half the archive costs no more than a rare one
        cte = (
            "WITH m AS MATERIALIZED (SELECT rowid AS id, rank FROM search_docs "
            "WHERE search_docs MATCH :q ORDER BY rowid DESC LIMIT :cap) "
        )
        params["cap"] = max(CANDIDATES, f.offset + f.limit)
        base = "FROM m JOIN articles a ON a.id = m.id "
        rank = "m.rank"
        age = "julianday('now') - julianday(COALESCE(a.published_at, a.fetched_at))"
    base += "JOIN sources s ON s.id = a.source_id LEFT JOIN classifications c ON c.article_id = a.id "
    if f.relevant_only:
        where.append("c.relevant = :true")
        params["true"] = True
    if f.since:
        where.append("COALESCE(a.published_at, a.fetched_at) >= :since")
        params["since"] = f.since
    if f.until:
        where.append("COALESCE(a.published_at, a.fetched_at) < :until")
        params["until"] = f.until
    if f.language:
        where.append("a.language = :lang")
        params["lang"] = f.language
    if f.source:
        where.append("s.key = :source")
        params["source"] = f.source
    if f.story is not None:
        where.append("a.story_id = :story")
        params["story"] = f.story
    if f.topic:
        where.append("c.topics LIKE :topic")
        params["topic"] = f'%"{f.topic}"%'
    clause = base + ("WHERE " + " AND ".join(where) if where else "")
    total = int(conn.execute(sql(cte + "SELECT count(*) " + clause), params).scalar() or 0)
    rows = conn.execute(
        sql(
            cte + "SELECT a.id, a.title, a.url, s.name, a.language, a.published_at, c.relevant, c.severity, c.topics, "
            f"a.story_id, a.text, {rank} AS rank "
            + clause
            + f" ORDER BY {rank} + 0.05 * ({age}) LIMIT :limit OFFSET :offset"
        ),
        params,
    ).all()
    hits = []
    for r in rows:
        published = r[5]
        if isinstance(published, str):
            published = datetime.fromisoformat(published)
        topics = r[8] if isinstance(r[8], list) else _json_list(r[8])
        hits.append(
            Hit(r[0], r[1], r[2], r[3], r[4], published, bool(r[6]), r[7], topics, r[9],
                snippet(r[10] or r[1], q.highlight), float(r[11]))
        )  # fmt: skip
    return hits, total


def _json_list(value: Any) -> list[str]:
    import json

    try:
        out = json.loads(value) if value else []
    except (TypeError, ValueError):
        return []
    return [str(x) for x in out] if isinstance(out, list) else []


def snippet(text: str, stems: list[str], width: int = 220, mark: tuple[str, str] = ("[", "]")) -> str:
    """A window of the original text around the first match, matched words wrapped in ``mark``."""
    folded = fold(text)
    ftext = _EXTRA(folded.text)
    spans = []
    for m in _TOKEN.finditer(ftext):
        if any(m.group().startswith(s) for s in stems):
            spans.append((folded.orig(m.start()), folded.orig(m.end() - 1) + 1))
    if not spans:
        return " ".join(text[:width].split())
    first = spans[0][0]
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(text[pos:s])
        out.append(mark[0] + text[s:e] + mark[1])
        pos = e
    out.append(text[pos:end])
    body = " ".join("".join(out).split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
