"""Articles stage: strip invisible characters and drop scraped page noise, line by line."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

# Zero-width characters, bidi controls, tatweel and the soft hyphen are never spoken and
# break matching ("شارك" with a ZWJ inside is not "شارك"), so they go before anything else.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = dict.fromkeys(map(ord, _ZERO_WIDTH + _BIDI + "\u0640\u00ad"))
# C0/C1 control characters other than whitespace: debris of copy and paste.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
# Unicode-aware \s covers NBSP, the U+2000 spaces, U+202F, U+3000, tabs and line breaks.
_SPACES = re.compile(r"\s+")

_SOCIAL = (
    r"(?:فيسبوك|فيس بوك|فايسبوك|تويتر|إكس|واتساب|واتس اب|واتس آب|تيليجرام|تلغرام|تليجرام"
    r"|لينكدإن|لينكد إن|لينكدين|إنستغرام|انستغرام|انستجرام|يوتيوب|بينترست|جوجل نيوز|غوغل نيوز"
    r"|Facebook|Twitter|X|WhatsApp|Whats App|Telegram|LinkedIn|Instagram|YouTube|Pinterest"
    r"|Pin Interest|Reddit|Email|E-mail|Messenger|Print|Share)"
)
_ALSO = r"(?:أيضا|أيضاً|أيضًا|ايضا|ايضاً)"

# Noise is matched against the whole cleaned paragraph (re.fullmatch), so a pattern can
# never remove part of a sentence; a real sentence that merely contains "شارك" survives.
# Patterns see cleaned text: tatweel is gone, so "بـ *" is written "ب *".
_NOISE_TABLE: tuple[tuple[str, str], ...] = (
    # Counters and separators: no letter at all ("0 666", "***", "12 | 4").
    ("counter", r"[\W\d_]+"),
    # The WordPress comment form and its neighbours.
    ("comment form", r"[اأ]ترك (?:ردا?|رداً|تعليقا?|تعليقاً)"),
    ("comment form", r"(?:أضف|اضف|اكتب|أكتب) (?:تعليقا?|تعليقاً|تعليقك|ردا?|ردك)"),
    (
        "comment form",
        r"(?:\d+ )?(?:التعليقات|تعليقات|التعليق|تعليق|الردود|رد|الرد)(?: \(\d+\))? ?\*?",
    ),
    (
        "comment form",
        r"لن يتم نشر (?:عنوان )?بريدك الإلكتروني\.?"
        r"(?: ?(?:الحقول|الخانات) (?:الإلزامية|المطلوبة) (?:مشار إليها|معلمة) ب ?\*?)?",
    ),
    ("comment form", r"(?:الحقول|الخانات) (?:الإلزامية|المطلوبة) (?:مشار إليها|معلمة) ب ?\*?"),
    ("comment form", r"(?:الاسم|البريد الإلكتروني|الموقع الإلكتروني|الموقع) ?\*?"),
    ("comment form", r"احفظ اسمي.{0,160}"),
    ("comment form", r"(?:إلغاء الرد|الغاء الرد|أرسل التعليق|إرسال التعليق|نشر التعليق)"),
    ("comment form", r"هذا الموقع يستخدم Akismet.{0,160}"),
    # Comment policies printed above the comments ("الآراء الواردة أدناه لا تعبر عن ...").
    ("comment policy", r"ترحب (?:شبكة|أسرة|صحيفة|جريدة|موقع) .{0,300}التعليقات.{0,300}"),
    (
        "comment policy",
        r"(?:الآراء|التعليقات) (?:الواردة|المنشورة|المطروحة)(?: أدناه| هنا)?"
        r" لا (?:تعبر|تعبّر) (?:عن|بالضرورة عن) (?:رأي|وجهة نظر|آراء) .{0,120}",
    ),
    # Share, print and send buttons.
    (
        "share",
        r"(?:شارك|شاركها|شاركه|مشاركة|انشر)(?: (?:المقال|الخبر|الموضوع|هذا المقال|هذا الخبر))?"
        rf"(?: (?:على|عبر) {_SOCIAL})? ?:?",
    ),
    ("share", r"(?:طباعة|اطبع|إطبع)(?: (?:المقال|الخبر|الصفحة))?"),
    ("share", r"(?:نسخ الرابط|أرسل لصديق|ارسل لصديق|أرسل إلى صديق|إرسال بالبريد)"),
    ("share", rf"{_SOCIAL}(?:[\s,|/·•-]+{_SOCIAL})*"),
    # Related-post blocks.
    ("related", rf"(?:[اإ]قرأ|إقرا|اقرا) {_ALSO}(?: ?:.{{0,160}})?"),
    ("related", r"(?:مقالات|أخبار|اخبار|مواضيع|مواد|قصص) (?:ذات صلة|مشابهة|متعلقة)"),
    ("related", r"(?:المزيد من (?:الأخبار|الاخبار|المقالات)|الأكثر قراءة|الأكثر مشاهدة|ذات صلة)"),
    # Copyright and follow-us lines.
    ("copyright", r"(?:©|\(c\)|Copyright|جميع الحقوق محفوظة|حقوق (?:النشر|الطبع) محفوظة).{0,120}"),
    ("copyright", r".{0,80}©.{0,80}"),
    ("copyright", r".{0,60}(?:جميع الحقوق محفوظة|All rights reserved)[\W\d_]*"),
    (
        "follow",
        r"(?:تابعونا|تابعنا|تابعوا) (?:على|عبر|في)"
        rf" (?:{_SOCIAL}|مواقع التواصل.{{0,40}}|(?:صفحتنا|حساباتنا|قناتنا) .{{0,40}})"
        rf"(?:[\s,|/·•-]+و?{_SOCIAL})*",
    ),
    ("follow", r"تابعوا .{0,80} (?:عبر|على) (?:غوغل|جوجل|Google) (?:نيوز|News)"),
    # Bare labels left behind when the value was a link or an image ("المصدر:").
    ("label", r"(?:المصدر|التاريخ|الكاتب|بقلم|تحرير|الوسوم|كلمات مفتاحية|وسوم) ?:?"),
)


@functools.cache
def _noise() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The noise patterns, compiled with the first article: every command paid 3 ms at import."""
    return tuple((reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in _NOISE_TABLE)


def clean_text(text: str) -> str:
    """Drop invisible characters, turn every kind of space into one plain space, strip."""
    visible = _CONTROLS.sub("", text.translate(_INVISIBLE))
    return _SPACES.sub(" ", visible).strip()


def noise_reason(paragraph: str) -> str | None:
    """Name the kind of page noise a cleaned paragraph is in full, or None for article text."""
    for reason, pattern in _noise():
        if pattern.fullmatch(paragraph):
            return reason
    return None


def clean_paragraphs(paragraphs: Iterable[str]) -> tuple[str, ...]:
    """Clean each paragraph; drop empty ones and whole-line page noise, keep the order."""
    kept: list[str] = []
    for raw in paragraphs:
        paragraph = clean_text(raw)
        if paragraph and noise_reason(paragraph) is None:
            kept.append(paragraph)
    return tuple(kept)
