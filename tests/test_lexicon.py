from __future__ import annotations

from pathlib import Path

import pytest

from monitor.lexicon import LexiconError, default_lexicons, load_lexicons


def test_default_lexicons_load() -> None:
    lex = default_lexicons()
    assert {lf.category for lf in lex.files.values()} >= {"organization", "place", "person", "topic", "alarm"}
    assert "Казахмыс" in lex.search_terms()


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("рабочие Казахмыса", "kazakhmys"),
        ("на Қазақмыстың зауытында", "kazakhmys"),
        ("Kazakhmys Smelting", "kazakhmys"),
        ("в Жезказганском регионе", "zhezkazgan"),
        ("Жезқазғанда", "zhezkazgan"),
        ("Jezqazǵan qalasy", "zhezkazgan"),
        ("Сәтбаевтағы кеніш", "satpaev"),
    ],
)
def test_inflected_forms_match(text: str, entry: str) -> None:
    hits = default_lexicons().matcher.find(text)
    assert entry in {h.term.entry for h in hits}


def test_match_offsets_are_into_the_original_text() -> None:
    text = "Рабочие Qazaqmys вышли"
    hit = next(h for h in default_lexicons().matcher.find(text) if h.term.entry == "kazakhmys")
    assert text[hit.start : hit.end] == "Qazaqmys"


def _write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "broken.yaml").write_text(body, encoding="utf-8")
    return tmp_path


def test_errors_name_file_and_entry(tmp_path: Path) -> None:
    d = _write(tmp_path, "category: topic\nentries:\n  - id: strike\n    label: s\n    terms: {ru: ['за*']}\n")
    with pytest.raises(LexiconError) as err:
        load_lexicons(d)
    assert "broken.yaml" in str(err.value) and "strike" in str(err.value) and "shorter" in str(err.value)


def test_unknown_category_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match=r"broken\.yaml"):
        load_lexicons(_write(tmp_path, "category: weather\nentries: []\n"))
    with pytest.raises(LexiconError, match="not valid YAML"):
        load_lexicons(_write(tmp_path, "category: [unclosed\n"))


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    entry = "  - id: x\n    label: x\n    terms: {ru: [слово]}\n"
    (tmp_path / "a.yaml").write_text(f"category: topic\nentries:\n{entry}", encoding="utf-8")
    (tmp_path / "b.yaml").write_text(f"category: topic\nentries:\n{entry}", encoding="utf-8")
    with pytest.raises(LexiconError, match="duplicate id"):
        load_lexicons(tmp_path)


def test_a_reassign_rule_naming_what_does_not_exist_is_refused(tmp_path: Path) -> None:
    """A ``reassign`` rule must name the entry's own terms, known context entries and an entry of its category;
    the error lists every problem, with the file and the entry."""
    context = "category: context\nentries:\n  - id: union_role\n    label: u\n    terms: {ru: [профлидер*]}\n"
    (tmp_path / "context.yaml").write_text(context, encoding="utf-8")
    rule = "    reassign: {to: repressoin, terms: [уволен*, сократят], near: [union_role, unoin]}\n"
    (tmp_path / "topics.yaml").write_text(
        f"category: topic\nentries:\n  - id: layoffs\n    label: l\n{rule}    terms: {{ru: [уволен*]}}\n",
        encoding="utf-8",
    )
    with pytest.raises(LexiconError) as err:
        load_lexicons(tmp_path)
    message = str(err.value)
    assert "topics.yaml" in message and "layoffs" in message
    assert "'unoin'" in message and "'сократят'" in message and "'repressoin'" in message
    assert "'уволен*'" not in message and "'union_role'" not in message


def test_concepts_match_across_languages_and_stay_out_of_classification(tmp_path: Path) -> None:
    """Story grouping reads the concept glossary: a Russian and a Kazakh word for one thing meet, the classifying
    matcher never sees them, and editing the glossary leaves the classification version as it was."""
    lex = default_lexicons()

    def concepts(text: str) -> set[str]:
        return {h.term.entry for h in lex.story.find(text) if h.term.category == "concept"}

    assert concepts("Ураган сорвал крыши") & concepts("Дауыл үйлердің шатырын ұшырды")
    assert not any(h.term.category == "concept" for h in lex.matcher.find("Ураган сорвал крыши, шахтёры бастуют"))
    (tmp_path / "topics.yaml").write_text(
        "category: topic\nentries:\n  - id: strike\n    label: s\n    terms: {ru: ['забастов*']}\n", encoding="utf-8"
    )
    glossary = Path(__file__).parent.parent / "monitor" / "lexicons" / "concepts.yaml"
    (tmp_path / "concepts.yaml").write_bytes(glossary.read_bytes())
    before = load_lexicons(tmp_path).version
    (tmp_path / "concepts.yaml").write_text("category: concept\nentries: []\n", encoding="utf-8")
    assert load_lexicons(tmp_path).version == before


def test_kazakh_court_forms_do_not_match_russian_words() -> None:
    """«сот» (court) is listed by its forms: as a stem it started «сотрудник» and «сотни»."""
    kinds = {h.term.entry for h in default_lexicons().matcher.find("Сотни сотрудников вышли на работу")}
    assert "court" not in kinds
    assert "court" in {h.term.entry for h in default_lexicons().matcher.find("Соттың шешімі шықты")}


def test_same_place_must_name_the_entrys_own_terms(tmp_path: Path) -> None:
    """``same_place`` groups terms of a ``several`` entry; a term it lists that the entry lacks, or the field on an
    entry that lumps nothing, is an error naming the file and the entry."""
    entry = "  - id: cities\n    label: c\n    {flag}terms: {{ru: [актау, актюбинск*]}}\n    same_place: [[{group}]]\n"
    places = tmp_path / "places.yaml"
    places.write_text(
        "category: place\nentries:\n" + entry.format(flag="several: true\n    ", group="актау, мангистау*")
    )
    with pytest.raises(LexiconError, match=r"places\.yaml.*cities.*'мангистау\*'"):
        load_lexicons(tmp_path)
    places.write_text("category: place\nentries:\n" + entry.format(flag="", group="актау, актюбинск*"))
    with pytest.raises(LexiconError, match="several"):
        load_lexicons(tmp_path)


def test_a_phrase_matches_only_where_its_next_words_follow() -> None:
    """Multi-word terms are dismissed on their second word: «шығыс» (east; also "expense") alone is no place, «Шығыс
    Қазақстан облысы» is, and a one-word term starting at the same word still matches."""
    lex = default_lexicons()

    def places(text: str) -> set[str]:
        return {h.matched for h in lex.matcher.find(text) if h.term.category == "place"}

    assert places("Шығыс Қазақстан облысында ереуіл") == {"Шығыс Қазақстан", "Қазақстан"}
    assert places("Шығыс көлемі артты") == set()
    assert {h.term.entry for h in lex.matcher.find("Рабочие Казахмыса бастуют")} >= {"kazakhmys"}


def test_a_short_first_word_does_not_hide_a_term_at_the_next_word(tmp_path: Path) -> None:
    """«на смену» is looked up by «на» and the next word's first letter; that letter must stay free to start a term
    of its own («смену»), or a phrase with a short first word would hide every term after it."""
    body = (
        "category: topic\nentries:\n"
        "  - id: shift\n    label: s\n    terms: {ru: [на смену]}\n"
        "  - id: change\n    label: c\n    terms: {ru: [смену]}\n"
    )
    (tmp_path / "topics.yaml").write_text(body, encoding="utf-8")
    hits = load_lexicons(tmp_path).matcher.find("Горняки не вышли на смену")
    assert sorted((h.term.entry, h.matched) for h in hits) == [("change", "смену"), ("shift", "на смену")]
