"""Text stage: word tables of the Arabic front end (months, nouns, currencies, abbreviations)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Noun:
    """A counted noun and the form each count asks for (oblique case, as news is read)."""

    singular: str
    """After 1 (درهم واحد), 100, 1000 and in the genitive: مئة درهم."""
    dual: str | None
    """2: درهمين; None for words read with the number: اثنين يورو."""
    plural: str
    """After 3-10: ثلاثة دراهم."""
    accusative: str
    """Tamyiz after 11-99: خمسة عشر درهما."""
    gender: Literal["m", "f"] = "m"


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    """A word list written as one string: compact to read and to review."""
    return tuple(text.split(sep))


MONTH_LOCALES = {
    "maghreb": "ar_MA",
    "mashriq": "ar_EG",
    "levant": "ar_LB",
    "tunisia-algeria": "ar_TN",
}
"""Each month style and the CLDR locale whose month names it speaks (جوان in ar_TN, ar_DZ)."""
MONTH_STYLES = tuple(MONTH_LOCALES)
"""Month names a voice speaks; the `month_style` setting picks one."""


# The month names of CLDR's "format wide" calendar for each style's locale, written out:
# reading them through Babel cost 22 ms, on every briefing and every numeric date.
# tests/test_lazy_patterns.py checks them against the CLDR data that Babel ships.
_MONTH_NAMES = {
    "maghreb": "يناير|فبراير|مارس|أبريل|ماي|يونيو|يوليوز|غشت|شتنبر|أكتوبر|نونبر|دجنبر",
    "mashriq": "يناير|فبراير|مارس|أبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر",
    "levant": "كانون الثاني|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين الأول|تشرين الثاني"
    "|كانون الأول",
    "tunisia-algeria": "جانفي|فيفري|مارس|أفريل|ماي|جوان|جويلية|أوت|سبتمبر|أكتوبر|نوفمبر|ديسمبر",
}


def months(month_style: str) -> tuple[str, ...]:
    """The twelve month names of *month_style* (a key of MONTH_LOCALES; else KeyError)."""
    return _words(_MONTH_NAMES[month_style], "|")


# Every spelling a source may print (Morocco, Mauritania, Tunisia and Algeria, Egypt,
# the Levant, hamza-less typing), mapped to the month number; the spelling is kept when
# read, only numeric dates take the configured style.
_MONTH_SPELLINGS = (
    "يناير|جانفي|كانون الثاني|كانون ثاني|ينار",
    "فبراير|فيفري|شباط|فبرير",
    "مارس|آذار|أذار|اذار",
    "أبريل|ابريل|إبريل|أفريل|افريل|نيسان",
    "ماي|مايو|أيار|ايار",
    "يونيو|يونيه|جوان|حزيران",
    "يوليوز|يوليو|يوليه|جويلية|تموز",
    "غشت|أغسطس|اغسطس|أغشت|اغشت|أوت|اوت|آب",
    "شتنبر|سبتمبر|شتمبر|سپتمبر|أيلول|ايلول",
    "أكتوبر|اكتوبر|أكتوبار|تشرين الأول|تشرين أول",
    "نونبر|نوفمبر|نوفمبار|تشرين الثاني|تشرين ثاني",
    "دجنبر|ديسمبر|دجمبر|ديسمبار|كانون الأول|كانون أول",
)
MONTH_NUMBERS: dict[str, int] = {
    name: number for number, line in enumerate(_MONTH_SPELLINGS, 1) for name in _words(line, "|")
}
HIJRI_MONTHS = _words(
    "محرم|صفر|ربيع الأول|ربيع الثاني|ربيع الآخر|جمادى الأولى|جمادى الآخرة|جمادى الثانية|"
    "رجب|شعبان|رمضان|شوال|ذو القعدة|ذو الحجة",
    "|",
)
WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
"""Monday first, as datetime.date.weekday() counts."""


def _noun(sg: str, du: str | None, pl: str, acc: str, gender: Literal["m", "f"] = "m") -> Noun:
    return Noun(sg, du, pl, acc, gender)


DIRHAM = _noun("درهم", "درهمين", "دراهم", "درهما")
DOLLAR = _noun("دولار", "دولارين", "دولارات", "دولارا")
EURO = {
    "maghreb": _noun("أورو", None, "أورو", "أورو"),
    "other": _noun("يورو", None, "يورو", "يورو"),
}
"""Moroccan press writes أورو; Mashriq and Levant sources يورو (both indeclinable)."""
PERCENT = "في المئة"

# Symbols and codes a number may carry; the euro is looked up by style in money.py.
CURRENCIES: dict[str, Noun] = {
    **dict.fromkeys(("DH", "Dh", "dh", "DHS", "Dhs", "dhs", "MAD", "د.م"), DIRHAM),
    **dict.fromkeys(("$", "USD", "US$"), DOLLAR),
    **dict.fromkeys(
        ("£", "GBP"),
        _noun("جنيه إسترليني", "جنيهين إسترلينيين", "جنيهات إسترلينية", "جنيها إسترلينيا"),
    ),
    **dict.fromkeys(
        ("SAR", "ر.س"), _noun("ريال سعودي", "ريالين سعوديين", "ريالات سعودية", "ريالا سعوديا")
    ),
    **dict.fromkeys(
        ("AED", "د.إ"),
        _noun("درهم إماراتي", "درهمين إماراتيين", "دراهم إماراتية", "درهما إماراتيا"),
    ),
    **dict.fromkeys(
        ("DZD", "DA", "د.ج"),
        _noun("دينار جزائري", "دينارين جزائريين", "دنانير جزائرية", "دينارا جزائريا"),
    ),
    **dict.fromkeys(
        ("TND", "DT", "د.ت"),
        _noun("دينار تونسي", "دينارين تونسيين", "دنانير تونسية", "دينارا تونسيا"),
    ),
    **dict.fromkeys(
        ("KWD", "د.ك"), _noun("دينار كويتي", "دينارين كويتيين", "دنانير كويتية", "دينارا كويتيا")
    ),
    **dict.fromkeys(
        ("EGP", "ج.م"), _noun("جنيه مصري", "جنيهين مصريين", "جنيهات مصرية", "جنيها مصريا")
    ),
    **dict.fromkeys(
        ("LBP", "ل.ل"),
        _noun("ليرة لبنانية", "ليرتين لبنانيتين", "ليرات لبنانية", "ليرة لبنانية", "f"),
    ),
}
EURO_SIGNS = ("€", "EUR", "Euro", "euro", "euros")
_SANTIM = _noun("سنتيم", "سنتيمين", "سنتيمات", "سنتيما")
_CENT = _noun("سنت", "سنتين", "سنتات", "سنتا")
# The hundredth of a currency, by the singular of its noun: 12.50 DH is twelve dirhams
# and fifty santims (never فاصلة), as prices are said.
SUBUNITS: dict[str, Noun] = {
    "درهم": _SANTIM,
    "دولار": _CENT,
    "دولار أمريكي": _CENT,
    "دولار أميركي": _CENT,
    "أورو": _CENT,
    "يورو": _CENT,
    "ريال سعودي": _noun("هللة", "هللتين", "هللات", "هللة", "f"),
    "جنيه مصري": _noun("قرش", "قرشين", "قروش", "قرشا"),
    "جنيه": _noun("قرش", "قرشين", "قروش", "قرشا"),
}

_METRE = _noun("متر", "مترين", "أمتار", "مترا")
_KM = _noun("كيلومتر", "كيلومترين", "كيلومترات", "كيلومترا")
_KG = _noun("كيلوغرام", "كيلوغرامين", "كيلوغرامات", "كيلوغراما")
_SQ_M = _noun("متر مربع", "مترين مربعين", "أمتار مربعة", "مترا مربعا")
_SQ_KM = _noun("كيلومتر مربع", "كيلومترين مربعين", "كيلومترات مربعة", "كيلومترا مربعا")
_CM = _noun("سنتيمتر", "سنتيمترين", "سنتيمترات", "سنتيمترا")
_MM = _noun("مليمتر", "مليمترين", "مليمترات", "مليمترا")
_KMH = _noun(
    "كيلومتر في الساعة", "كيلومترين في الساعة", "كيلومترات في الساعة", "كيلومترا في الساعة"
)
_DEGREE = _noun("درجة", "درجتين", "درجات", "درجة", "f")
_INVARIANT = {w: _noun(w, None, w, w) for w in ("ميغاواط", "غيغابايت", "ميغابايت", "ميغابكسل")}
# Unit abbreviations after a number; each spoken form keeps the written letters in order.
UNITS: dict[str, Noun] = {
    **dict.fromkeys(("كلم", "كم", "km", "Km", "KM"), _KM),
    **dict.fromkeys(("كلم2", "كم2", "km2"), _SQ_KM),
    **dict.fromkeys(("م", "m"), _METRE),
    **dict.fromkeys(("م2", "m2"), _SQ_M),
    **dict.fromkeys(("كغ", "كلغ", "كغم", "kg", "Kg", "KG"), _KG),
    **dict.fromkeys(("سم", "cm"), _CM),
    **dict.fromkeys(("ملم", "مم", "mm"), _MM),
    **dict.fromkeys(("كلم/س", "كم/س", "km/h"), _KMH),
    **dict.fromkeys(("°", "°C", "°c"), _DEGREE),
    "MW": _INVARIANT["ميغاواط"],
    "GB": _INVARIANT["غيغابايت"],
    "Go": _INVARIANT["غيغابايت"],
    "MB": _INVARIANT["ميغابايت"],
    "Mo": _INVARIANT["ميغابايت"],
    "MP": _INVARIANT["ميغابكسل"],
}
UNIT_SUFFIX_WORDS = {"°C": " مئوية", "°c": " مئوية"}

# Counted nouns written out in Arabic after a number, by every form a source may print
# (singular, plural, tamyiz): the number step puts the form its count asks for.
_WRITTEN = (
    DIRHAM,
    DOLLAR,
    *EURO.values(),
    *(noun for noun in CURRENCIES.values() if " " in noun.singular),
    _noun("دولار أمريكي", "دولارين أمريكيين", "دولارات أمريكية", "دولارا أمريكيا"),
    _noun("دولار أميركي", "دولارين أميركيين", "دولارات أميركية", "دولارا أميركيا"),
    _noun("ريال", "ريالين", "ريالات", "ريالا"),
    _noun("دينار", "دينارين", "دنانير", "دينارا"),
    _noun("جنيه", "جنيهين", "جنيهات", "جنيها"),
    _noun("ليرة", "ليرتين", "ليرات", "ليرة", "f"),
    _SANTIM,
    _METRE,
    _KM,
    _KG,
    _noun("طن", "طنين", "أطنان", "طنا"),
    _noun("هكتار", "هكتارين", "هكتارات", "هكتارا"),
    _noun("لتر", "لترين", "لترات", "لترا"),
    _noun("شخص", "شخصين", "أشخاص", "شخصا"),
    _noun("يوم", "يومين", "أيام", "يوما"),
    _noun("شهر", "شهرين", "أشهر", "شهرا"),
    _noun("أسبوع", "أسبوعين", "أسابيع", "أسبوعا"),
    _noun("عام", "عامين", "أعوام", "عاما"),
    _noun("سنة", "سنتين", "سنوات", "سنة", "f"),
    _noun("ساعة", "ساعتين", "ساعات", "ساعة", "f"),
    _noun("دقيقة", "دقيقتين", "دقائق", "دقيقة", "f"),
    _noun("مرة", "مرتين", "مرات", "مرة", "f"),
)
WRITTEN_NOUNS: dict[str, Noun] = {
    form: noun for noun in _WRITTEN for form in (noun.singular, noun.plural, noun.accusative)
}

# Counted nouns after which a number goes into the construct state (ألفي درهم, أحد عشر ألف
# شخص); a number before any other word keeps its free form (عام ألفين شهد).
COUNTED_NOUNS = frozenset(
    _words(
        "درهم دولار ريال دينار أورو يورو جنيه سنتيم فرنك ليرة روبل شخص نسمة مواطن مواطنة طالب "
        "تلميذ عامل منصب سرير مسكن زائر سائح مهاجر مستفيد طن هكتار لتر متر كيلومتر كيلوغرام "
        "برميل سنة عام يوم شهر أسبوع ساعة دقيقة ثانية مرة حالة إصابة وفاة قتيل جريح مصاب "
        "سيارة رأس وحدة مشروع مقعد صوت نقطة"
    )
)
# Feminine counted nouns (singular tamyiz and plural): 3-10 and 11-19 change form before
# them (ثلاث سنوات, خمس عشرة سنة). Masculine is the default and covers the rest.
FEMININE_NOUNS = frozenset(
    _words(
        "سنة ساعة دقيقة ثانية مرة دولة مدينة شركة امرأة سيدة فتاة طفلة نقطة حالة إصابة وفاة "
        "سيارة مؤسسة جهة عملية ولاية أسرة مرحلة دورة نسخة مباراة درجة قطعة كلمة مادة جماعة "
        "جامعة مدرسة بلدية منطقة قرية ليلة طائرة شاحنة غارة ضربة صفحة ليرة وحدة وثيقة رسالة "
        "جائزة ميدالية مواطنة سنوات سنين ساعات دقائق ثوان مرات دول مدن شركات نساء سيدات فتيات "
        "نقاط حالات إصابات وفيات سيارات مؤسسات جهات عمليات ولايات أسر مراحل دورات نسخ مباريات "
        "درجات قطع كلمات مواد جماعات جامعات مدارس بلديات مناطق قرى ليال طائرات شاحنات غارات "
        "ضربات صفحات ليرات وحدات وثائق رسائل جوائز ميداليات"
    )
)
# Nouns whose number is an ordinal (الفصل 47 -> الفصل السابع والأربعين), with their gender.
ORDINAL_NOUNS: dict[str, Literal["m", "f"]] = {
    **dict.fromkeys(
        (
            *("فصل", "بند", "باب", "جزء", "قسم", "مركز", "شطر", "محور", "كتاب", "مؤتمر"),
            *("موسم", "يوم", "قرن", "ترتيب", "أسبوع", "شوط", "عدد", "اجتماع", "منتدى"),
        ),
        "m",
    ),
    **dict.fromkeys(
        (
            "مادة",
            "فقرة",
            "دورة",
            "مرتبة",
            "طبعة",
            "نسخة",
            "حلقة",
            "درجة",
            "جولة",
            "نسخته",
            "مرحلة",
            "سنة",
            "دقيقة",
        ),
        "f",
    ),
}
# Nouns before a dotted legal number (القانون 31.08, الظهير الشريف رقم 1.15.56).
LAW_NOUNS = _words(
    "القانون قانون الظهير ظهير المرسوم مرسوم القرار قرار المنشور منشور الدورية دورية رقم"
)

# Regex character classes (bodies, for use inside [...]).
LETTERS = "\u0621-\u063a\u0641-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff"
"""Arabic letters, Persian and Urdu ones included."""
MARKS = "\u064b-\u065f\u0670\u06d6-\u06ed"
"""Harakat, tanween, shadda, sukun, dagger alef, Quranic annotation marks."""
INNER_MARKS = "\u064b-\u065f\u0670"
"""MARKS less the Quranic pause and annotation signs, which follow a word, never sit
between its letters: the marks between a known word's letters. Two runs, so `re`
compiles the class as two ranges; MARKS, three runs past Latin-1, becomes a 64 K-entry
table, five times slower to compile (the tries repeat the class hundreds of times)."""
LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
