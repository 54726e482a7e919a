"""Language identification for ru / kk / en / other, Kazakh included.

langdetect has no Kazakh profile (it calls Kazakh Russian, Ukrainian or Mongolian, Latin Kazakh Turkish), so the
decision is layered, cheapest and surest first (figures in ../shared/FINDINGS.md):

1. Cyrillic words: the share carrying a Kazakh-only letter (ә ғ қ ң ө ұ ү һ) decides kk vs ru; і alone does not,
   Ukrainian has it too.
2. Latin words: Kazakh-Latin letters (á ǵ ı ń ó ú ý ş …) or at least two frequent Kazakh function words/stems
   decide kk; otherwise langdetect (seeded, so deterministic) tells English from the long tail.
3. Mixed pages: each paragraph is labelled on its own and the shares reported by character count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from langdetect import DetectorFactory, LangDetectException, detect

DetectorFactory.seed = 0


def _cased(letters: str) -> str:
    """A character class of ``letters`` in both cases. An explicit class is scanned faster than one under re.I
    (Cyrillic word counts 1.4× faster)."""
    return "[" + "".join(re.escape(c) for c in sorted(set(letters + letters.upper())) if len(c) == 1) + "]"


_CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюяёәғқңөұүһі"
_KK_LETTERS = "әғқңөұүһ"
_UK_LETTER = re.compile("[їєґЇЄҐ]")
_CYR_WORD = re.compile(_cased(_CYRILLIC + "їєґ") + "{2,}")
# Cyrillic words with a Kazakh-only letter, counted from their first such letter to the word's end: a pattern that
# starts with a character class is scanned for in C (anchoring at the word's start makes it 3× slower)
_KK_WORD = re.compile(_cased(_KK_LETTERS) + _cased(_CYRILLIC) + "*")
_I_LETTER = re.compile("[іІ]")
# Cyrillic words of two letters or more with і, from the word's start to its first і
_I_WORD = re.compile(r"(?<![а-яёәғқңөұүһіїєґ])(?=[а-яёәғқңөұүһіїєґ]{2})[а-яёәғқңөұүһїєґ]*і", re.I)
_LAT_WORD = re.compile(_cased("abcdefghijklmnopqrstuvwxyz" + "".join(map(chr, range(0xE1, 0x100))) + "ıńŋşğǵǧūýİ'")
                       + "{2,}")  # fmt: skip
_KK_LATIN_LETTERS = set("áǵğǧıńŋóöúüūýşÁǴĞǦIŃŊÓÖÚÜŪÝŞ") - {"I"}
# Frequent Kazakh words and stems in Latin spelling (official 2021 alphabet and the older apostrophe/English ones).
_KK_LATIN_WORDS = frozenset(
    [
        "jane",
        "jáne",
        "men",
        "ushin",
        "úshin",
        "bul",
        "osy",
        "sol",
        "degen",
        "dedi",
        "edi",
        "boldy",
        "bolyp",
        "bolady",
        "kazak",
        "qazaq",
        "qazaqstan",
        "kazakstan",
        "oblys",
        "oblysy",
        "oblysynda",
        "audany",
        "qalasy",
        "qalasynda",
        "jumys",
        "jumysshy",
        "jumysshylar",
        "zhumys",
        "ereuil",
        "ereýil",
        "narazylyq",
        "bilik",
        "sheru",
        "sherý",
        "kenish",
        "zauyt",
        "aqsha",
        "jalaqy",
        "akim",
        "ákim",
        "ákimdik",
        "akimdigi",
        "eken",
        "emes",
        "bar",
        "joq",
        "taǵy",
        "tagy",
        "kezinde",
        "arqyly",
        "turaly",
        "týraly",
        "sońǵy",
        "songy",
        "bıyl",
        "biyl",
    ]
)
_RU_FUNCTION_WORDS = frozenset(
    [
        "и",
        "в",
        "во",
        "на",
        "не",
        "что",
        "это",
        "по",
        "с",
        "со",
        "из",
        "для",
        "от",
        "до",
        "как",
        "но",
        "за",
        "к",
        "ко",
        "о",
        "об",
        "при",
        "же",
        "ли",
        "или",
        "был",
        "была",
        "были",
        "его",
        "её",
        "их",
    ]
)
_KK_FUNCTION_WORDS = frozenset(
    [
        "және",
        "мен",
        "үшін",
        "бұл",
        "осы",
        "сол",
        "деп",
        "деді",
        "еді",
        "болды",
        "болып",
        "бойынша",
        "туралы",
        "кезінде",
        "арқылы",
        "жылы",
        "екен",
        "емес",
        "бар",
        "жоқ",
        "тағы",
        "да",
        "де",
        "ол",
        "олар",
        "біз",
        "біздің",
        "қазір",
    ]
)
_EN_WORDS = frozenset(
    """the of and to in is are was were for on at with from by as has have had will be after over into against
    this that their its workers strike protest miners police says said news week""".split()
)
_LATIN_KK_MIN_HITS = 2
_KK_LATIN_SUFFIXES = tuple(
    "dy di ty ti ldy ldi dyq tyq gan gen qan ken ǵan ǵa ga ge qa ke da de ta te dan den tan ten nan nen "
    "nyn nin dyn din tyn tin nyń niń lary leri dary deri tary teri yna ine ńa ńe na ne myz miz ýy ýi uy ui "
    "mady medi ypty ipti ady edi yp ip".split()
)
_LATIN_UNDECIDED = "latin?"
_KK_SHARE_SURE = 0.3  # share of Cyrillic words with a Kazakh-only letter (FINDINGS: kk ≥ 0.29, ru ≤ 0.17)
_KK_SHARE_RU = 0.05


@dataclass(frozen=True, slots=True)
class LanguageResult:
    """Language of a text: the main label and, for mixed pages, the share of each language by characters."""

    language: str  # "ru" | "kk" | "en" | "other" | "unknown"
    shares: dict[str, float]


def _label_chunk(chunk: str) -> str | None:
    """Label one paragraph or title; None when it has no letters worth counting."""
    cyr = _CYR_WORD.findall(chunk)
    lat = _LAT_WORD.findall(chunk)
    if len(cyr) >= len(lat) and cyr:
        kk = len(_KK_WORD.findall(chunk))
        share = kk / len(cyr)
        if share >= _KK_SHARE_SURE or (kk >= 2 and share > _KK_SHARE_RU):
            return "kk"
        if _UK_LETTER.search(chunk) or (
            kk == 0 and _I_LETTER.search(chunk) and len(_I_WORD.findall(chunk)) / len(cyr) > 0.1
        ):
            return "other"  # Ukrainian (or Belarusian): neither ru nor kk
        if kk:
            # Between the sure thresholds: a Russian sentence can carry one Kazakh-spelled name (Жағыпаров).
            # Function words settle it: Russian and Kazakh share almost none.
            low = [w.lower() for w in cyr]
            ru_hits = sum(1 for w in low if w in _RU_FUNCTION_WORDS)
            kk_hits = sum(1 for w in low if w in _KK_FUNCTION_WORDS)
            return "kk" if kk_hits > ru_hits else "ru"
        return "ru"
    if lat:
        if not _KK_LATIN_LETTERS.isdisjoint("".join(lat)):
            return "kk"
        lw = [w.lower().replace("'", "") for w in lat]
        hits = sum(1 for w in lw if w in _KK_LATIN_WORDS)
        if hits >= _LATIN_KK_MIN_HITS or (len(lw) <= 4 and hits >= 1):
            return "kk"
        en_hits = sum(1 for w in lw if w in _EN_WORDS)
        if en_hits >= 2 or (len(lw) <= 6 and en_hits):
            return "en"  # langdetect is unreliable on a few words
        # Latin Kazakh typed without its letters («Atyrauda zeinetkerdi aldagan ... ustaldy»): case endings and
        # verb suffixes end most of its words; langdetect calls it Turkish, Indonesian or Finnish
        if len(lw) >= 3 and sum(1 for w in lw if len(w) > 3 and w.endswith(_KK_LATIN_SUFFIXES)) / len(lw) >= 0.4:
            return "kk"
        return _LATIN_UNDECIDED
    return None


@lru_cache(maxsize=512)
def _langdetect(text: str) -> str:
    try:
        return str(detect(text[:500]))
    except LangDetectException:
        return "unknown"


def detect_language(text: str, title: str = "") -> LanguageResult:
    """Language of an article from its title and text; short titles count when the text is empty."""
    chunks = [c for c in re.split(r"\n+", text) if c.strip()]
    if title.strip():
        chunks.insert(0, title)
    weights: dict[str, int] = {}
    latin_chunks: list[str] = []
    for chunk in chunks:
        label = _label_chunk(chunk)
        if label == _LATIN_UNDECIDED:
            latin_chunks.append(chunk)
        if label is not None:
            weights[label] = weights.get(label, 0) + len(chunk)
    if _LATIN_UNDECIDED in weights:
        undecided = weights.pop(_LATIN_UNDECIDED)
        if weights.get("en", 0) >= undecided:
            label = "en"  # captions and short lines on an English page are English
        else:
            # one langdetect call per page on the undecided Latin paragraphs together, not one per paragraph
            label = "en" if _langdetect(" ".join(latin_chunks)[:1000]) == "en" else "other"
        weights[label] = weights.get(label, 0) + undecided
    total = sum(weights.values())
    if not total:
        return LanguageResult("unknown", {})
    shares = {k: round(v / total, 3) for k, v in sorted(weights.items(), key=lambda kv: -kv[1])}
    return LanguageResult(next(iter(shares)), shares)
