"""Text stage: the grammatical gender of a counted noun, for the number read before it.

Arabic numbers 3-10 take the form opposite to their noun's singular (ثلاثة أيام, ثلاث
صفقات), so the front end needs the singular's gender, also behind a plural. It asks, in
order: a short table of exceptions, the Arramooz noun dictionary (arramooz-pysqlite,
read-only, when installed), then the ة rule: a singular in ة and a plural in ات are
feminine, everything else masculine.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import sqlite3
from pathlib import Path
from typing import Literal

from audiobrief.text.lazy import lazy
from audiobrief.text.tables import COUNTED_NOUNS

logger = logging.getLogger(__name__)

Gender = Literal["m", "f"]

_MARKS_RE = lazy("[\u064b-\u0652\u0670]")
# Words the rules or the dictionary get wrong: masculine nouns in ة or ات (names of men,
# masdar plurals of masculine nouns), and feminine loanwords with no ة.
EXCEPTIONS: dict[str, Gender] = {
    **dict.fromkeys(
        (
            *("خليفة", "علامة", "رحالة", "حسابات", "مطارات", "ملفات", "قرارات", "امتحانات"),
            *("مشروعات", "مستشفيات", "اجتماعات", "مهرجانات", "مليارات", "قطاعات", "مجالات"),
            *("مستويات", "مؤتمرات", "طلبات", "تحقيقات", "اقتراحات", "انتخابات", "حيوانات"),
            *("أصوات", "نقاشات", "إجراءات", "تعديلات", "منتجات", "مخططات", "ملتقيات"),
            *("مستودعات", "لقاءات", "استثمارات", "اتفاقات", "مقترحات", "تدخلات", "حوارات"),
            *("إنشات", "فيديوهات", "تلفزيونات", "هكتارات", "لترات", "ميغاواطات", "مترات"),
        ),
        "m",
    ),
    **dict.fromkeys(
        ("كاميرا", "شمس", "أرض", "حرب", "دار", "نار", "عين", "يد", "نفس", "ريح", "بئر"),
        "f",
    ),
}


NOT_COUNTED = frozenset(
    "في من على إلى الى عن مع أو ثم حتى منذ عند لدى نحو بعد قبل مقابل و أن إن لا لم لن قد ما"  # noqa: SIM905
    " كما بين حيث التي الذي الذين".split()
)
"""Words that follow a number without being counted by it."""


_DEFINITE = lazy("^[وفبلك]{0,2}ال")


def may_be_counted(word: str) -> bool:
    """False for what a number never counts: a definite word, a particle, nothing."""
    return bool(word) and word not in NOT_COUNTED and not _DEFINITE.match(word)


def counts_noun(word: str, *, after_scale: bool = False) -> bool:
    """Whether *word* (bare) after a number is the noun it counts: its construct state.

    After a scale word (ألف, مليون) a dictionary noun counts even when it can also be
    read as a verb (25 ألف حاج); after a bare number it must not be one (عام 2000 شهد).
    """
    if not may_be_counted(word):
        return False
    return word in COUNTED_NOUNS or is_noun(word, verbs_too=after_scale)


def noun_gender(word: str) -> Gender | None:
    """The gender of the singular behind *word*, or None when *word* is not a known noun.

    None means the dictionary does not list it as a noun: the ة rule then still answers
    through `gender_of`, but callers that need a noun (the construct state) can tell.
    """
    bare = _MARKS_RE.sub("", word)
    if bare in EXCEPTIONS:
        return EXCEPTIONS[bare]
    return _dictionary_gender(bare)


def gender_of(word: str) -> Gender:
    """The gender a number agrees with before *word*: table, dictionary, then the ة rule."""
    bare = _MARKS_RE.sub("", word)
    found = noun_gender(bare)
    if found is not None:
        return found
    return "f" if bare.endswith(("ة", "ات")) else "m"


def is_noun(word: str, *, verbs_too: bool = False) -> bool:
    """True when the dictionary lists *word* as a noun and, unless *verbs_too*, never as a
    verb (عام 2020 شهد)."""
    bare = _MARKS_RE.sub("", word)
    connection = _connection()
    if connection is None:
        return False
    if _lookup(connection, bare) is None:
        return False
    return verbs_too or not _is_verb(connection, bare)


def is_singular_noun(word: str) -> bool:
    """True when the dictionary lists *word* as a singular noun and never as a verb."""
    bare = _MARKS_RE.sub("", word)
    connection = _connection()
    if connection is None or _is_verb(connection, bare):
        return False
    rows = connection.execute(
        "SELECT 1 FROM nouns WHERE unvocalized = ? AND number = 'مفرد' LIMIT 1", (bare,)
    )
    return rows.fetchone() is not None


@functools.cache
def _connection() -> sqlite3.Connection | None:
    spec = importlib.util.find_spec("arramooz")  # its data only: no import of its code
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "data" / "arabicdictionary.sqlite"
        if path.is_file():
            try:
                return sqlite3.connect(
                    f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False
                )
            except sqlite3.Error as exc:  # a broken install: the ة rule still answers
                logger.warning("cannot open the Arramooz dictionary (%s); using the ة rule", exc)
                return None
    return None


@functools.lru_cache(maxsize=4096)
def _dictionary_gender(bare: str) -> Gender | None:
    connection = _connection()
    if connection is None:
        return None
    found = _lookup(connection, bare)
    if found is None and bare.endswith("ات") and len(bare) > 3:
        # Sound feminine plurals are not listed: the singular is stem + ة (صفقات, لاعبات:
        # a noun that takes ة), or the masculine stem itself (حسابات, مطارات).
        stem = bare[:-2]
        if _lookup(connection, stem + "ة") is None and _masculine_only(connection, stem):
            return "m"
        return "f"
    return found


def _masculine_only(connection: sqlite3.Connection, stem: str) -> bool:
    """A masculine singular that takes no ة: its ات plural is masculine too (حسابات)."""
    rows = connection.execute(
        "SELECT feminable FROM nouns WHERE unvocalized = ? AND number = 'مفرد' AND gender = ?",
        (stem, "مذكر"),
    ).fetchall()
    return bool(rows) and not any(feminable for (feminable,) in rows)


def _lookup(connection: sqlite3.Connection, bare: str) -> Gender | None:
    rows = connection.execute(
        "SELECT number, gender, single FROM nouns WHERE unvocalized = ?", (bare,)
    ).fetchall()
    for number, gender, _ in rows:
        if number == "مفرد" and gender in _GENDERS:
            return _GENDERS[gender]
    for number, _, single in rows:
        if number == "جمع تكسير" and single:  # a broken plural: its singular decides
            return _lookup(connection, _MARKS_RE.sub("", single.split(";")[0]))
    if rows:
        return "f" if bare.endswith(("ة", "ات")) else "m"
    return None


def _is_verb(connection: sqlite3.Connection, bare: str) -> bool:
    row = connection.execute("SELECT 1 FROM verbs WHERE unvocalized = ? LIMIT 1", (bare,))
    return row.fetchone() is not None


_GENDERS: dict[str, Gender] = {"مذكر": "m", "مؤنث": "f"}
