"""Dedupe and stories: exact and near copies, translations, separate events kept apart, odd input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from monitor.archive.store import Archive
from monitor.farm import Farm
from monitor.stories import COSINE_STEMS, Doc, StoryIndex, cluster
from tests.conftest import run_monitor

T0 = datetime(2026, 7, 1, 6, tzinfo=UTC)


def farm_doc(key: str, hours: int = 0) -> Doc:
    a = Farm().get(key)
    assert a is not None
    return Doc(key, a.title, a.text, a.lang.split("-")[0], T0 + timedelta(hours=hours))


def test_exact_near_and_translation() -> None:
    farm = Farm()
    original = farm_doc("kazlenta/troops-camp-zhezkazgan")
    verbatim = Doc("copy", original.title, original.text, "ru", T0 + timedelta(hours=3))
    lead = Doc("lead", original.title, "\n".join(original.text.split("\n\n")[:2]), "ru", T0 + timedelta(hours=4))
    tr = farm.get("agg/translated-troops-camp-kk")
    assert tr is not None
    translation = Doc("kk", tr.title, tr.text, "kk", T0 + timedelta(hours=6))
    other = farm_doc("vestnik/strike-21-july", 5)
    got = {a.id: a for a in cluster([original, verbatim, lead, translation, other])}
    assert got["copy"].relation == "exact" and got["copy"].duplicate_of == original.id
    assert got["lead"].relation == "near" and got["lead"].story == original.id
    assert got["kk"].story == original.id and got["kk"].relation == "translation"
    assert got[other.id].story == other.id  # another event of the same scenario stays apart


def test_odd_input_is_placed_not_crashed() -> None:
    boiler = "Подписывайтесь на наш Telegram-канал. Все права защищены, перепечатка запрещена."
    docs = [
        Doc("empty", "", "", "ru", T0),
        Doc("headline", "Забастовка", "", "ru", T0),
        Doc("huge", "x", "слово " * 200_000, "ru", T0),
        Doc("surrogate", "\ud800", "битый \ud800 текст из UTF-16 страницы, который надо разложить на шинглы", "ru", T0),
        Doc("b1", "Погода в Караганде", "Завтра ожидается дождь и ветер до 15 метров.\n" + boiler, "ru", T0),
        Doc("b2", "Концерт в Астане", "В субботу оркестр сыграет Бетховена и Моцарта.\n" + boiler, "ru", T0),
        Doc("b3", "Футбол", "Клуб проиграл на выезде со счетом один ноль.\n" + boiler, "ru", T0),
        Doc("b4", "Выставка", "В музее открылась выставка картин молодых художников.\n" + boiler, "ru", T0),
    ]
    got = {a.id: a for a in cluster(docs)}
    assert len({got[k].story for k in ("b1", "b2", "b3", "b4")}) == 4  # shared site chrome joins nothing


def test_cluster_cli_order_and_bad_lines(tmp_path: Path) -> None:
    a = Farm().get("kazlenta/troops-camp-zhezkazgan")
    assert a is not None
    rows = [
        {"id": 1, "title": a.title, "text": a.text, "published_at": "2026-07-01T09:40:00+05:00"},
        "not json",
        {"id": "x2", "title": a.title, "text": a.text},
        {"title": "no id"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows))
    result = run_monitor("cluster", str(src))
    assert result.returncode == 1
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == [1, None, "x2", None]
    assert out[2] == {"id": "x2", "story": 1, "duplicate_of": 1, "relation": "exact"}
    assert out[1]["line"] == 2 and out[3]["line"] == 4


def test_editor_merge_and_split_survive_regrouping(archive: Archive) -> None:
    from datetime import UTC as _UTC

    from monitor.process import FetchedPage, classify_article, extract_page

    def page(url: str, title: str, body: str) -> object:
        html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>"
        p = FetchedPage(source="t", url=url, body=html.encode(), fetched_at=datetime(2026, 7, 2, tzinfo=_UTC))
        return classify_article(extract_page(p))

    body_a = "Горняки рудника Казахмыса в Сатпаеве прекратили работу, требуя повышения зарплаты. " * 3
    body_b = "В Караганде прошёл пикет учителей у здания управления образования, учителя просят доплат. " * 3
    ids = archive.store_batch([page("https://a.kz/1", "Забастовка", body_a), page("https://b.kz/2", "Пикет", body_b)])
    archive.group_stories(list(ids.values()))
    with archive.session() as s:
        from monitor.archive.models import Article

        a1, b2 = s.get(Article, ids["https://a.kz/1"]), s.get(Article, ids["https://b.kz/2"])
        assert a1 is not None and b2 is not None and a1.story_id != b2.story_id
        sa, sb = a1.story_id, b2.story_id
    assert sa is not None and sb is not None
    archive.merge_stories(sa, sb)
    archive.group_stories(list(ids.values()))  # re-clustering keeps the editor's merge
    with archive.session() as s:
        assert s.get(Article, ids["https://b.kz/2"]).story_id == sa  # type: ignore[union-attr]
    new_story = archive.split_story(sa, ids["https://b.kz/2"])
    archive.group_stories(list(ids.values()))
    with archive.session() as s:
        assert s.get(Article, ids["https://b.kz/2"]).story_id == new_story  # type: ignore[union-attr]


def _synthetic(i: int, when: datetime) -> Doc:
    """A document of its own words (no shared vocabulary beyond function words), long enough for shingles."""
    words = " ".join(f"слово{i}x{k}" for k in range(40))
    return Doc(f"s{i}", f"Заголовок {i}", words, "ru", when)


def test_sliding_window_evicts_and_still_finds_copies() -> None:
    """Three months of documents through one index: old ones leave (their band rows compacted away), copies of
    documents inside the window are still found after the rows moved, and copies of evicted ones are not."""
    index = StoryIndex(window_days=10)
    start = datetime(2026, 4, 1, tzinfo=UTC)
    docs = [_synthetic(i, start + timedelta(hours=i)) for i in range(2200)]  # ~92 days, one an hour
    for d in docs:
        index.add(d)
    assert len(index) < 2200 and len(index) <= 1000 + 10 * 24  # bounded by the window, evicted every 1,000
    last = docs[-1].published_at
    assert last is not None
    recent, old = docs[-50], docs[5]
    got_recent = index.add(Doc("copy-recent", recent.title, recent.text, "ru", last + timedelta(hours=1)))
    got_old = index.add(Doc("copy-old", old.title, old.text + " ещё", "ru", last + timedelta(hours=1)))
    assert got_recent.duplicate_of == recent.id and got_recent.relation == "exact"
    assert got_old.duplicate_of is None or got_old.relation == "exact"  # the text hash outlives the window
    near = index.add(Doc("near-recent", "", recent.text + " и ещё одна фраза в конце", "ru", last))
    assert near.duplicate_of == recent.id and near.relation == "near"


def test_evicted_documents_leave_the_stem_frequencies() -> None:
    """Document frequencies (the idf of the cosine) count the documents in the window, not every one ever added:
    a year-long reprocessing would otherwise make common words look rare and every idf drift negative."""
    index = StoryIndex(window_days=3)
    start = datetime(2026, 4, 1, tzinfo=UTC)
    for i in range(2500):
        index.add(Doc(f"w{i}", f"Шахтёры {i}", f"Рабочие рудника {i} требуют зарплату. Слово{i % 40} шахта завод",
                      "ru", start + timedelta(hours=i)))  # fmt: skip
    expected = np.zeros_like(index._stem_df)
    for entry in index._entries.values():
        expected[np.unique(entry.stems)] += 1
    assert len(index) < 1000 and np.array_equal(index._stem_df, expected)


def test_a_translation_finds_its_original_after_the_window_moved_the_index() -> None:
    """Eviction rewrites the index's flat anchor store and drops evicted documents from postings: a document
    placed before that (the Russian original) is still scored right against one placed after (its Kazakh
    translation), and the store holds little more than the live documents' anchors."""
    index = StoryIndex(window_days=10)
    start = datetime(2026, 4, 1, tzinfo=UTC)
    farm = Farm()
    ru, kk = farm.get("kazlenta/troops-camp-zhezkazgan"), farm.get("agg/translated-troops-camp-kk")
    assert ru is not None and kk is not None
    for i in range(2100):  # one an hour; the 2,000th addition evicts everything before hour 1,760
        when = start + timedelta(hours=i)
        index.add(Doc("ru", ru.title, ru.text, "ru", when) if i == 1990 else _synthetic(i, when))
    got = index.add(Doc("kk", kk.title, kk.text, "kk", start + timedelta(hours=2100)))
    assert got.story == "ru" and got.relation == "translation"
    alive = np.flatnonzero(index._alive)
    assert index._coded.end <= 2 * int(index._coded.count[alive].sum()) + 1000 * 60  # compacted: not every anchor
    assert index._vocab.end <= 2 * int(index._vocab.count[alive].sum()) + 1000 * COSINE_STEMS  # of 2,100 documents


def test_a_later_write_up_joins_two_stories_under_the_first_publisher() -> None:
    """Two reports of one event that share too little to be grouped are joined by a third that matches both;
    the story keeps the earliest report as its first publisher."""
    a = Doc("a", "Иск рассмотрят", "Суд рассмотрит иск рабочих ЖезСтройСервиса 9 июля, сумма долга 250 млн.", "ru", T0)
    b = Doc("b", "Голодовка", "Голодают 12 рабочих ЖезСтройСервиса, им должны 300 млн.", "ru", T0 + timedelta(hours=5))
    c = Doc("c", "Голодовка и суд", "ЖезСтройСервис: голодают 12 рабочих, долг 300 млн и ещё 250 млн, суд "
            "рассмотрит иск 9 июля.", "ru", T0 + timedelta(hours=9))  # fmt: skip
    alone = cluster([a, b])
    assert alone[0].story != alone[1].story, "the fixture needs two stories the third one bridges"
    got = {x.id: x for x in cluster([c, b, a])}
    assert got["a"].story == got["b"].story == got["c"].story == "a"


def test_worker_processes_place_every_document_as_one_process_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Featurizing in a pool (``monitor cluster --workers``) changes speed, not results: the whole farm, in the
    pool's tasks (small here, so there are ten of them, more than are queued at once), gets the same stories,
    copies and relations."""
    monkeypatch.setattr("monitor.stories._CHUNK", 16)
    docs = [Doc(a.key, a.title, a.text, a.lang.split("-")[0], a.published_local) for a in Farm().articles]
    one = cluster(docs)
    two = cluster(docs, workers=2)
    assert one == two
    assert len({a.story for a in one}) < len(docs) - 40  # and the farm's reprints did group


def test_features_cross_processes_intact() -> None:
    """Features are pickled in a packed form of their own (:meth:`Features.__reduce__`): every field, every
    paragraph row and the lead comes back as it went, for a long text, a headline-only item and an empty one."""
    import pickle

    from monitor.stories import featurize

    lexicons = StoryIndex().lexicons
    for doc in (farm_doc("kazlenta/troops-camp-zhezkazgan"), Doc("h", "Забастовка в Сатпаеве", "", "ru", T0),
                Doc("e", "", "", "", None)):  # fmt: skip
        f = featurize(doc, lexicons)
        g = pickle.loads(pickle.dumps(f, pickle.HIGHEST_PROTOCOL))
        assert (g.id, g.language, g.published_at, g.content_hash) == (f.id, f.language, f.published_at, f.content_hash)
        assert (g.anchors, g.lead) == (f.anchors, f.lead)
        pairs = [
            (getattr(f.paragraphs, n), getattr(g.paragraphs, n), n)
            for n in ("keys", "chrome", "words", "shingles", "signatures")
        ]
        for want, got, name in [*pairs, (f.stems, g.stems, "stems"), (f.stem_counts, g.stem_counts, "stem_counts")]:
            assert want.dtype == got.dtype and want.shape == got.shape and (want == got).all(), name


def test_grouping_is_the_same_in_every_process(tmp_path: Path) -> None:
    """Python salts string hashes per process; the grouping must not depend on it, or every nightly re-grouping
    would shuffle stories that tie. The whole farm through ``monitor cluster`` under two hash seeds."""
    rows = [
        {"id": a.key, "title": a.title, "text": a.text, "language": a.lang.split("-")[0],
         "published_at": a.published_local.isoformat()}
        for a in Farm().articles
    ]  # fmt: skip
    src = tmp_path / "farm.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    outs = [run_monitor("cluster", str(src), env={"PYTHONHASHSEED": seed}) for seed in ("1", "2")]
    assert all(o.returncode == 0 for o in outs), outs[0].stderr
    assert outs[0].stdout == outs[1].stdout


def test_anchors_agree_across_spellings_of_one_fact() -> None:
    """Anchors are what makes a Kazakh and a Russian report one story: one number however written, one name in
    any case or suffix, a month named without a day; «today» is no anchor (every report of the day has it)."""
    from monitor.stories import featurize

    ru = Doc("ru", "Рабочие Ахметова", "По словам Ерлана Ахметова, на заводе «Нуркен» с сентября уволят около 1,2 тыс. "
             "человек. Сегодня рабочие собрались у проходной.", "ru", T0)  # fmt: skip
    kk = Doc("kk", "Жұмысшылар", "Жұмысшы Ерлан Ахметовтың айтуынша, «Нүркен» зауытында қыркүйектен бастап 1 200 адам "
             "қысқартылады.", "kk", T0)  # fmt: skip
    a, b = featurize(ru, StoryIndex().lexicons), featurize(kk, StoryIndex().lexicons)
    assert {"n:1200", "e:ерлан", "e:ахмет", "e:нурке", "m:9"} <= a.anchors & b.anchors
    # a capitalised word opening a sentence is no name («Сегодня», «По словам»)
    assert not {"e:сегод", "e:по"} & a.anchors
    assert not any(x.startswith("d:") for x in a.anchors)  # «сегодня» is the publication day
    assert "n:2026" not in featurize(Doc("y", "", "В 2026 году", "ru", T0), StoryIndex().lexicons).anchors


def test_paragraph_signatures_are_datasketchs_minhash() -> None:
    """Paragraphs are MinHashed for a whole document at once; each row must be exactly the signature datasketch's
    own MinHash gives that paragraph's shingles (hashed by :func:`shingle_hashes`), or a datasketch upgrade
    changed its scheme under us."""
    import re
    import zlib

    import numpy as np
    from datasketch import MinHash

    from monitor.stories import NUM_PERM, _paragraphs, shingle_hashes
    from monitor.text import fold

    def shingle_hash(shingle: tuple[str, str, str]) -> int:
        return int(shingle_hashes(np.array([zlib.crc32(w.encode()) for w in shingle], np.uint32))[0])

    text = fold(farm_doc("kazlenta/troops-camp-zhezkazgan").text + "\nКороткий абзац\n\nещё три слова").text
    paragraphs, words = _paragraphs(text)
    assert len(paragraphs.keys) == len([p for p in text.split("\n") if p.strip()])
    assert list(paragraphs.shingles[-2:]) == [0, 1]  # two words make no shingle; three make one
    for row, para in enumerate(p for p in text.split("\n") if p.strip()):
        tokens = re.findall(r"\w+", para)
        if len(tokens) < 3:
            continue
        reference = MinHash(num_perm=NUM_PERM, hashfunc=shingle_hash)
        reference.update_batch([tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)])
        assert (paragraphs.signatures[row] == reference.hashvalues).all(), f"paragraph {row}"
        assert paragraphs.shingles[row] == len({tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)})
    assert words == re.findall(r"\w+", text)


def test_band_index_finds_what_a_brute_force_scan_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The LSH band index against a scan of every signature: rows in the recent dict, in the sorted arrays after
    a merge, band keys shared by several recent rows (near copies of each other), removed rows and rows renumbered
    by compaction. Merges every 7 insertions, so all of these happen within 200 documents."""
    import numpy as np

    from monitor.stories import BANDS, NUM_PERM, ROWS, _Bands

    monkeypatch.setattr(_Bands, "MERGE_EVERY", 7)
    rng = np.random.default_rng(3)
    bands = _Bands()
    sigs: dict[str, np.ndarray] = {}
    row_of: dict[str, int] = {}
    for i in range(200):
        sig = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32)
        if sigs and i % 3 == 0:  # a near copy: shares its first ten bands with an earlier (perhaps removed) one
            src = sigs[f"s{rng.integers(0, i)}"]
            sig[: 10 * ROWS] = src[: 10 * ROWS]
        doc = f"s{i}"
        sigs[doc] = sig
        row_of[doc] = bands.insert(doc, sig, bands.band_keys(sig))
        if i % 11 == 5:
            gone = f"s{rng.integers(0, i)}"
            if gone in row_of:
                bands.remove(row_of.pop(gone))
                if (moved := bands.compact()) is not None:
                    row_of = {d: moved[r] for d, r in row_of.items()}
        probe = sigs[f"s{rng.integers(0, i + 1)}"]
        want = {
            d
            for d in row_of
            if (sigs[d][: BANDS * ROWS].reshape(BANDS, ROWS) == probe[: BANDS * ROWS].reshape(BANDS, ROWS)).all(1).any()
        }
        assert {bands.ids[r] for r in bands.query(bands.band_keys(probe)).tolist()} == want, i
        assert all(bands.ids[r] == d for d, r in row_of.items())


def test_a_follow_up_sharing_only_vocabulary_is_a_candidate() -> None:
    """A follow-up two days on names no number, date or person of the first report: its distinctive stems
    («флотатор», «вредность») find it, and the cosine of the two stem vectors is weighed."""
    from monitor.stories import _RARE, featurize

    index = StoryIndex()
    first = Doc("a", "На обогатительной фабрике остановили флотаторы", "Рабочие флотационного отделения "
                "обогатительной фабрики остановили флотаторы и потребовали доплат за вредность. Смена простояла до "
                "вечера.", "ru", T0)  # fmt: skip
    later = Doc("b", "Флотаторщики фабрики вернулись к работе", "Флотаторщики обогатительной фабрики после "
                "переговоров с дирекцией запустили флотаторы; доплаты за вредность обещали пересмотреть.", "ru",
                T0 + timedelta(days=2))  # fmt: skip
    index.add(first)
    f = featurize(later, index.lexicons)
    assert not {a for a in f.anchors & featurize(first, index.lexicons).anchors if a.startswith(_RARE)}
    (candidate,) = index.candidates(f)
    assert candidate.id == "a" and candidate.features["cosine"] > 0.1


def test_cities_of_one_lexicon_entry_are_told_apart() -> None:
    """«Other Kazakh cities» is one lexicon entry, but Almaty is not Aktau: the anchor is the city, in any script."""
    from monitor.stories import featurize

    def places(title: str) -> set[str]:
        return {a for a in featurize(Doc("x", title, "", "ru", T0), StoryIndex().lexicons).anchors if "place:" in a}

    assert places("Водители автобусов в Алматы бастуют") == places("Алматыда жүргізушілер ереуілге шықты")
    assert places("Алматыда жүргізушілер ереуілге шықты") == places("Almaty jurgizushileri ereuilge shyqty")
    assert places("Водители автобусов в Алматы бастуют") != places("Водители автобусов в Актау бастуют")


def test_reports_leading_with_places_the_other_never_names_are_elsewhere() -> None:
    """Burns at the Balkhash smelter and burns at the Zhezkazgan smelter are two accidents: both lead with a
    place and neither names the other's, which counts against one event."""
    from monitor.stories import featurize

    balkhash = Doc("b", "В Балхаше рабочий медеплавильного завода получил ожоги", "На медеплавильном заводе в "
                   "Балхаше рабочий конвертерного цеха получил ожоги рук. Его доставили в больницу.", "ru",
                   T0)  # fmt: skip
    zhezkazgan = Doc("z", "Жезказганский металлург обжёгся в цехе", "Плавильщик Жезказганского медеплавильного "
                     "завода обжёг руки у конвертера, сообщили в компании. Он в больнице.", "ru",
                     T0 + timedelta(hours=3))  # fmt: skip
    again = Doc("a", "Обгоревшего в Балхаше рабочего перевели в ожоговый центр", "Рабочего балхашского завода, "
                "получившего ожоги в конвертерном цехе, перевели в ожоговый центр.", "ru",
                T0 + timedelta(hours=6))  # fmt: skip
    index = StoryIndex()
    index.add(balkhash)
    index.add(zhezkazgan)
    got = {c.id: c.features["elsewhere"] for c in index.candidates(featurize(again, index.lexicons))}
    assert got.get("z", 1.0) == 1.0 and got["b"] == 0.0


def test_a_city_under_its_other_names_is_one_place() -> None:
    """Ust-Kamenogorsk is Өскемен in Kazakh and the capital of East Kazakhstan (ВКО, ШҚО): one place anchor, so
    the Kazakh follow-up of a Russian report is not "elsewhere"; Semey stays another city."""
    from monitor.stories import featurize

    def places(title: str) -> set[str]:
        return {a for a in featurize(Doc("x", title, "", "ru", T0), StoryIndex().lexicons).anchors if "place:" in a}

    ust = places("Медсестры горбольницы Усть-Каменогорска остались без надбавок")
    assert ust == places("Өскемендегі мейірбикелерге үстемақы төленді") == places("Облздрав ВКО начал проверку")
    assert ust == places("ШҚО әкімдігі жауап берді") == places("Oskemen medbikeleri narazy")
    assert ust != places("Медсестры больницы Семея остались без надбавок")


def test_candidates_sharing_rarer_anchors_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the best ``MAX_CANDIDATES`` are scored, ranked by the idf of what they share: one report naming the
    same rare firm outranks thirty sharing two numbers that every report of the day has."""
    from monitor import stories

    index = StoryIndex()
    for i in range(30):
        index.add(Doc(f"n{i}", f"Сводка {i}", f"Цена составила 120 тенге, в списке 340 позиций, выпуск {i}.", "kk", T0))
    index.add(Doc("firm", "Отчёт", "Компания «Тасжарган» отчиталась о работе.", "kk", T0))
    new = stories.featurize(
        Doc("new", "Тасжарган", "«Тасжарган» назвал цену 120 тенге за 340 позиций.", "kk", T0), index.lexicons
    )
    monkeypatch.setattr(stories, "MAX_CANDIDATES", 1)
    assert [c.id for c in index.candidates(new)] == ["firm"]


def test_acronyms_are_no_names_even_with_a_kazakh_ending() -> None:
    """«ЖШС» (LLP) names a kind of firm, not a firm: with a Kazakh case ending after a hyphen («ЖШС-да») it is
    still no name anchor, while the firm's own name is one."""
    from monitor.stories import featurize

    text = "Жұмысшылар «Береке» ЖШС-да және ТОО «Нурлан» кәсіпорнында, АҚ-тың зауытында наразы."
    doc = Doc("x", "Ереуіл", text, "kk", T0)
    names = {a for a in featurize(doc, StoryIndex().lexicons).anchors if a.startswith("e:")}
    assert names == {"e:берек", "e:нурла"}


def test_the_archive_groups_the_same_whatever_order_a_crawl_fetched_in(tmp_path: Path) -> None:
    """Two reports of the curfew denial carry the same minute; which is placed first once decided whether the
    story held together, and that followed the order a crawl's concurrent requests finished in. Fetched in
    opposite orders within one day, the same articles now give the same stories."""
    from monitor.process import FetchedPage, classify_article, extract_page

    keys = ["vestnik/curfew-rumours-zhezkazgan", "ulytau/kommendanttyq-sagat-qauesety",
            "dalavlast/lt-komendanttyq-sagat", "qtag/curfew-akimat-denies"]  # fmt: skip
    farm = Farm()

    def page(key: str, seconds: int) -> object:
        a = farm.get(key)
        assert a is not None
        body = "".join(f"<p>{p}</p>" for p in a.paragraphs)
        meta = f'<meta property="article:published_time" content="{a.published_local.isoformat()}">'
        html = f"<html><head><title>{a.title}</title>{meta}</head><body><h1>{a.title}</h1>{body}</body></html>"
        fetched = datetime(2026, 7, 2, 12, tzinfo=UTC) + timedelta(seconds=seconds)
        fetched_page = FetchedPage(source="t", url=f"https://{key}", body=html.encode(), fetched_at=fetched)
        return classify_article(extract_page(fetched_page))

    def stories(order: list[str]) -> set[tuple[frozenset[str], str]]:
        """Each story's articles, and its first publisher as the digest and the web page name it."""
        archive = Archive.open(f"sqlite:///{tmp_path / f'{len(list(tmp_path.iterdir()))}.db'}")
        ids = archive.store_batch([page(key, k) for k, key in enumerate(order)])
        archive.group_stories(list(ids.values()))
        from monitor.archive.models import Article, publication_order

        with archive.session() as s:
            articles = [s.get(Article, i) for i in ids.values()]
            groups = {a.story_id: sorted((b for b in articles if b.story_id == a.story_id), key=publication_order)
                      for a in articles}  # type: ignore[union-attr]  # fmt: skip
            out = {(frozenset(a.url for a in group), group[0].url) for group in groups.values()}
        archive.close()
        return out

    assert stories(keys) == stories(keys[::-1])
