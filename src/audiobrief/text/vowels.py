"""Text stage: the front end writes its own words fully vowelled, so the diacritizer keeps them.

The diacritizer leaves every word that already carries a vowel mark as it is
(diacritize.merge_words), so a vowelled word is a protected word. The model guesses badly
on number words it sees out of context (a stray shadda on ثمانية, a case ending on the
first part of أحد عشر, صَفْر, سُبْع for سبعمئة), while the front end knows which word it
wrote and in which construction. Forms here are the oblique ones newsreaders use; a
declinable word's last mark is adjusted to its neighbours by `vowel`.
"""

from __future__ import annotations

import re
from typing import Literal

_KASRA, _FATHA, _DAMMA, _SUKUN, _SHADDA = "\u0650", "\u064e", "\u064f", "\u0652", "\u0651"
_KASRATAN, _DAMMATAN = "\u064d", "\u064c"
_CASE_MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650"
_MARKS_RE = re.compile("[\u064b-\u0652\u0670]")
_SUN = frozenset("تثدذرزسشصضطظلن")
_WORD_RE = re.compile("[\u0621-\u063a\u0641-\u0652\u0670-\u06d3]+")

# Each word as the front end writes it, with every letter marked. A final kasra marks a
# declinable oblique ending that `vowel` may turn into tanween, fatha or damma.
_TABLE_TEXT = """
صفر صِفْرِ|واحد وَاحِدِ|اثنان اثْنَانِ|اثنين اثْنَيْنِ|ثلاثة ثَلَاثَةِ|أربعة أَرْبَعَةِ|خمسة خَمْسَةِ
ستة سِتَّةِ|سبعة سَبْعَةِ|ثمانية ثَمَانِيَةِ|تسعة تِسْعَةِ|عشرة عَشَرَةِ|واحدة وَاحِدَةِ
اثنتان اثْنَتَانِ|اثنتين اثْنَتَيْنِ|ثلاث ثَلَاثِ|أربع أَرْبَعِ|خمس خَمْسِ|ست سِتِّ|سبع سَبْعِ
ثماني ثَمَانِي|تسع تِسْعِ|عشر عَشْرِ|أحد أَحَدَ|إحدى إِحْدَى|اثنا اثْنَا|اثنتا اثْنَتَا|اثني اثْنَيْ
اثنتي اثْنَتَيْ|عشرين عِشْرِينَ|عشرون عِشْرُونَ|ثلاثين ثَلَاثِينَ|ثلاثون ثَلَاثُونَ|أربعين أَرْبَعِينَ
أربعون أَرْبَعُونَ|خمسين خَمْسِينَ|خمسون خَمْسُونَ|ستين سِتِّينَ|ستون سِتُّونَ|سبعين سَبْعِينَ
سبعون سَبْعُونَ|ثمانين ثَمَانِينَ|ثمانون ثَمَانُونَ|تسعين تِسْعِينَ|تسعون تِسْعُونَ|مئة مِئَةِ
مئتان مِئَتَانِ|مئتين مِئَتَيْنِ|مئتا مِئَتَا|مئتي مِئَتَيْ|ثلاثمئة ثَلَاثِمِئَةِ|أربعمئة أَرْبَعِمِئَةِ
خمسمئة خَمْسِمِئَةِ|ستمئة سِتِّمِئَةِ|سبعمئة سَبْعِمِئَةِ|ثمانمئة ثَمَانِمِئَةِ|تسعمئة تِسْعِمِئَةِ
ألف أَلْفِ|ألفان أَلْفَانِ|ألفين أَلْفَيْنِ|ألفي أَلْفَيْ|ألفا أَلْفًا|آلاف آلَافِ|مليون مِلْيُونِ
مليونان مِلْيُونَانِ|مليونين مِلْيُونَيْنِ|مليوني مِلْيُونَيْ|مليونا مِلْيُونًا|ملايين مَلَايِينَ
مليار مِلْيَارِ|ملياران مِلْيَارَانِ|مليارين مِلْيَارَيْنِ|ملياري مِلْيَارَيْ|مليارا مِلْيَارًا
مليارات مِلْيَارَاتِ|تريليون تِرِيلْيُونِ|تريليونان تِرِيلْيُونَانِ|تريليونين تِرِيلْيُونَيْنِ
تريليوني تِرِيلْيُونَيْ|تريليونا تِرِيلْيُونًا|تريليونات تِرِيلْيُونَاتِ
الأول الْأَوَّلِ|الثاني الثَّانِي|الثالث الثَّالِثِ|الرابع الرَّابِعِ|الخامس الْخَامِسِ
السادس السَّادِسِ|السابع السَّابِعِ|الثامن الثَّامِنِ|التاسع التَّاسِعِ|العاشر الْعَاشِرِ
الحادي الْحَادِي|الأولى الْأُولَى|الثانية الثَّانِيَةِ|الثالثة الثَّالِثَةِ|الرابعة الرَّابِعَةِ
الخامسة الْخَامِسَةِ|السادسة السَّادِسَةِ|السابعة السَّابِعَةِ|الثامنة الثَّامِنَةِ
التاسعة التَّاسِعَةِ|العاشرة الْعَاشِرَةِ|الحادية الْحَادِيَةِ
سالب سَالِبِ|فاصلة فَاصِلَة|نقطة نُقْطَة|زائد زَائِدِ|يساوي يُسَاوِي|في فِي|المئة الْمِئَةِ
من مِنْ|إلى إِلَى|بزيادة بِزِيَادَةِ|بانخفاض بِانْخِفَاضِ|منتصف مُنْتَصَفِ|الليل اللَّيْلِ|الساعة السَّاعَةِ
والربع وَالرُّبُعِ|والثلث وَالثُّلُثِ|والنصف وَالنِّصْفِ|دقيقة دَقِيقَةً|دقائق دَقَائِقَ
دقيقتين دَقِيقَتَيْنِ|هجرية هِجْرِيَّة|ميلادية مِيلَادِيَّة
بتوقيت بِتَوْقِيتِ|غرينتش غِرِينِتْش|بالتوقيت بِالتَّوْقِيتِ|العالمي الْعَالَمِيِّ
درهم دِرْهَمِ|درهمين دِرْهَمَيْنِ|دراهم دَرَاهِمَ|درهما دِرْهَمًا|سنتيم سَنْتِيمِ|سنتيمات سَنْتِيمَاتِ
سنتيما سَنْتِيمًا|سنتيمين سَنْتِيمَيْنِ|دولار دُولَارِ|دولارين دُولَارَيْنِ|دولارات دُولَارَاتِ
دولارا دُولَارًا|سنت سِنْتِ|سنتات سِنْتَاتِ|سنتا سِنْتًا|سنتين سِنْتَيْنِ|هللة هَلَلَةِ|قرش قِرْشِ
قرشا قِرْشًا|أورو أُورُو|يورو يُورُو
يناير يَنَايِر|فبراير فِبْرَايِر|مارس مَارِس|أبريل أَبْرِيل|ماي مَايْ|مايو مَايُو|يونيو يُونْيُو
يوليوز يُولْيُوز|يوليو يُولْيُو|غشت غُشْت|أغسطس أَغُسْطُس|شتنبر شُتَنْبَر|سبتمبر سِبْتَمْبَر
أكتوبر أُكْتُوبَر|نونبر نُونَبْر|نوفمبر نُوفَمْبَر|دجنبر دُجَنْبَر|ديسمبر دِيسَمْبَر|جانفي جَانْفِي
فيفري فِيفْرِي|أفريل أَفْرِيل|افريل اَفْرِيل|جوان جُوَان|جويلية جُويِلْيَة|أوت أُوت|اوت اُوت
ابريل اَبْرِيل|إبريل إِبْرِيل|ينار يَنَّار|فبرير فِبْرِير|يونيه يُونْيُه|يوليه يُولْيُه
اغسطس اَغُسْطُس|أغشت أَغُشْت|اغشت اَغُشْت|شتمبر شُتَمْبَر|سپتمبر سِپْتَمْبَر|اكتوبر اُكْتُوبَر|أكتوبار أُكْتُوبَار
نوفمبار نُوفَمْبَار|دجمبر دُجَمْبَر|ديسمبار دِيسَمْبَار|كانون كَانُونِ|شباط شُبَاط|آذار آذَار
أذار أَذَار|اذار اَذَار|نيسان نَيْسَان|أيار أَيَّار|ايار اَيَّار|حزيران حَزِيرَان|تموز تَمُّوز
آب آبْ|أيلول أَيْلُول|ايلول اَيْلُول|تشرين تِشْرِينِ|ثاني ثَانِي|أول أَوَّلِ
الاثنين الِاثْنَيْنِ|الثلاثاء الثُّلَاثَاءِ|الأربعاء الْأَرْبِعَاءِ|الخميس الْخَمِيسِ|الجمعة الْجُمُعَةِ
السبت السَّبْتِ|الأحد الْأَحَدِ|خبر خَبَرِ|خبران خَبَرَانِ|أخبار أَخْبَارٍ|خبرا خَبَرًا
"""


# Names and words the Latin step writes from its tables (latin_tables.py), vowelled the
# same way: a name is a word the front end wrote, so the diacritizer must keep it.
_NAMES_TEXT = """
آب آبْ|آبل آبِلْ|آسفي آسَفِي|آسيان آسْيَانْ|آل آلْ|آن آنْ|آند آنْدْ|آي آيْ|آيباد آيْبَادْ
آيفون آيْفُونْ|أحمد أَحْمَد|أكادير أَكَادِير|أمازون أَمَازُون|أمريكا أَمْرِيكَا|أمين أَمِين
أندرويد أَنْدْرُويْد|أو أُو|أوبر أُوبَرْ|أوبك أُوبِكْ|أوروبا أُورُوبَا|أوف أُوفْ|أوكي أُوكِي
أوليد أُولِيدْ|أون أُونْ|أونلاين أُونْلَايْنْ|إسبانيا إِسْبَانْيَا|إفران إِفْرَانْ
إفريقيا إِفْرِيقْيَا|إل إِلْ|إن إِنْ|إنستغرام إِنْسْتَغْرَامْ|إي إِي|إيمانويل إِيمَانُويِلْ
إيموجي إِيمُوجِي|الألكسو الْأَلِكْسُو|الإيدز الْإِيدْزْ|الإيسيسكو الْإِيسِيسْكُو|البام الْبَامْ
الجديدة الْجَدِيدَة|الجزائر الْجَزَائِر|الحسيمة الْحُسَيْمَة|الداخلة الدَّاخِلَة|الدار الدَّار
البيضاء الْبَيْضَاء|الدوحة الدَّوْحَة|الرباط الرِّبَاط|الرشيدية الرَّشِيدِيَّة|السيدا السِّيدَا
الصحراء الصَّحْرَاء|الصويرة الصُّوَيْرَة|الصين الصِّين|العرائش الْعَرَائِش|العيون الْعُيُون
الفاو الْفَاو|الفيفا الْفِيفَا|القنيطرة الْقُنَيْطِرَة|الكاف الْكَاف|الكان الْكَان
المحمدية الْمُحَمَّدِيَّة|المغرب الْمَغْرِب|الناتو النَّاتُو|الناظور النَّاظُور|اليونسكو الْيُونِسْكُو
اليونيسف الْيُونِيسِف|اليويفا الْيُويِفَا|باريس بَارِيس|باي بَايْ|بايدن بَايْدِن|برشلونة بَرْشَلُونَة
برلين بَرْلِين|بروكسل بُرُوكْسِل|بريكس بِرِيكْس|بنك بَنْك|بني بَنِي|بور بُور|بيجو بِيجُو|تازة تَازَة
ترامب تِرَامْب|تطوان تِطْوَان|تو تُو|تونس تُونِس|تويتر تُوِيتَر|تويوتا تُويُوتَا|تي تِي|جي جِي|في فِي
تيزنيت تِيزْنِيت|تيك تِيك|توك تُوك|ثينكيو ثِينْكْيُو|جنيف جِنِيف|جو جُو|حسن حَسَن|حمزة حَمْزَة
خديجة خَدِيجَة|خريبكة خُرِيبْكَة|داعش دَاعِش|دبليو دَبْلْيُو|دبي دُبَيّ|دكتور دُكْتُور|دو دُو
دونالد دُونَالْد|دي دِي|ذا ذَا|رادار رَادَار|رام رَام|رشيد رَشِيد|روسيا رُوسْيَا|روما رُومَا
رونالدو رُونَالْدُو|رونو رُونُو|سامسونغ سَامْسُونْغ|سانت سَانْت|سطات سَطَّات|سعيد سَعِيد
سناب سِنَاب|شات شَات|سور سُور|سوني سُونِي|سيلفي سِيلْفِي|شفشاون شَفْشَاوَن|طنجة طَنْجَة
عبد عَبْد|الله اللَّه|علي عَلِي|عمر عُمَر|غافام غَافَام|غروب غُرُوب|غوغل غُوغِل|فاس فَاس
فاطمة فَاطِمَة|فرنسا فَرَنْسَا|فور فُور|فيسبوك فِيسْبُوك|قطر قَطَر|كازا كَازَا|كام كَام|كاي كَاي
كريم كَرِيم|كلميم كَلْمِيم|كوفيد كُوفِيد|كوم كُوم|لا لَا|لاماب لَامَاب|لندن لَنْدَن|لو لُو|لي لِي
ليد لِيد|ليزر لِيزَر|لينكس لِينُكْس|مازي مَازِي|ماكرون مَاكْرُون|مايكروسوفت مَايْكْرُوسُوفْت
محمد مُحَمَّد|مدريد مَدْرِيد|مراكش مَرَّاكُش|مستر مِسْتَر|مصر مِصْر|مغربي مَغْرِبِي
مغربية مَغْرِبِيَّة|مكناس مِكْنَاس|ملال مَلَّال|مهدي مَهْدِي|ميسز مِيسِز|ميسي مِيسِي|نادية نَادِيَة
ناسا نَاسَا|ناسداك نَاسْدَاك|نتفليكس نِتْفِلِيكْس|نوكيا نُوكْيَا|نيو نِيُو|هسبريس هِسْبِرِيس
هواوي هُوَاوِي|واتساب وَاتْسَاب|واشنطن وَاشِنْطُن|واي وَاي|فاي فَاي|وجدة وَجْدَة
ورزازات وَرْزَازَات|ويب وِيب|ويندوز وِينْدُوز|يوتيوب يُوتِيُوب|يورك يُورْك|يوسف يُوسُف|دوت دُوتْ
"""


def _load_table(text: str = _TABLE_TEXT) -> dict[str, str]:
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        for entry in line.split("|"):
            bare, vowelled = entry.split(" ")
            # Shadda before its vowel, as eSpeak NG needs (NOTES.md §1, pitfall 1).
            table[bare] = re.sub("([\u064b-\u0650])\u0651", "\u0651\\1", vowelled)
    return table


VOWELLED = _load_table()
"""Bare word -> fully vowelled form, for every word the front end itself writes."""
NAMES = _load_table(_NAMES_TEXT)
"""Bare name -> vowelled name, for the Latin step's table words."""


def vowel_names(text: str) -> str:
    """Each table name of *text* (whole words, as written by the Latin step) vowelled."""
    return " ".join(NAMES.get(word, word) for word in text.split(" "))


# Teens: the unit before عشر/عشرة is built on fatha (خَمْسَةَ عَشَرَ), and عشر/عشرة
# after a unit is the teen's second part, not the number ten.
_TEEN = {"عشر": "عَشَرَ", "عشرة": "عَشْرَةَ"}
_ENDS_IN_YA = frozenset(("ثماني", "الحادي", "الثاني"))
_TEEN_FIRST = frozenset(
    (
        *("أحد", "إحدى", "اثنا", "اثنتا", "اثني", "اثنتي", "ثلاثة", "أربعة", "خمسة", "ستة"),
        *("سبعة", "ثمانية", "تسعة", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثماني", "تسع"),
        *("الحادي", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن"),
        *("التاسع", "الحادية", "الثانية", "الثالثة", "الرابعة", "الخامسة", "السادسة"),
        *("السابعة", "الثامنة", "التاسعة"),
    )
)
_PREFIXES = (
    ("وبال", "وَبِال"),
    ("فبال", "فَبِال"),
    ("وال", "وَال"),
    ("فال", "فَال"),
    ("بال", "بِال"),
    ("كال", "كَال"),
    ("ولل", "وَلِل"),
    ("لل", "لِل"),
    ("ال", "ال"),
    ("وب", "وَبِ"),
    ("ول", "وَلِ"),
    ("فب", "فَبِ"),
    ("و", "وَ"),
    ("ف", "فَ"),
    ("ب", "بِ"),
    ("ل", "لِ"),
    ("ك", "كَ"),
)
_DUAL_OR_PLURAL = ("يْنِ", "انِ", "ينَ", "ونَ")

Case = Literal["obl", "nom"]


def _definite(stem: str) -> str:
    """The article on a vowelled stem: sun letters take its lam's sound (الثَّلَاثَةِ)."""
    if stem[0] in _SUN:
        return "ال" + stem[0] + _SHADDA + stem[1:]
    return "الْ" + stem


def lookup(word: str) -> tuple[str, bool] | None:
    """The vowelled form of *word* (proclitics allowed) and whether it is definite."""
    if word in VOWELLED:
        return VOWELLED[word], word.startswith("ال")
    for bare, said in _PREFIXES:
        stem = word[len(bare) :]
        if not word.startswith(bare) or stem not in VOWELLED:
            continue
        if bare.endswith("ال"):
            return said[:-2] + _definite(VOWELLED[stem]), True
        if bare.endswith("لل"):  # ل + ال: the article's alef is not written
            return said[:-1] + _definite(VOWELLED[stem])[1:], True
        return said + VOWELLED[stem], stem.startswith("ال")
    return None


def vowel(phrase: str, *, case: Case = "obl", pausal: bool = False) -> str:
    """Vowel every word of *phrase* the table knows; other words are left as they are.

    A declinable ending (a final kasra in the table) becomes fatha before عشر/عشرة,
    tanween before a number joined with و (ثَلَاثَةٍ وَعِشْرِينَ), damma in the nominative,
    and goes away in *pausal* reading (digit by digit) or before فاصلة and نقطة.
    """
    found_words = list(_WORD_RE.finditer(phrase))
    bare_words = [_MARKS_RE.sub("", m[0]) for m in found_words]
    pieces, last = [], 0
    for index, match in enumerate(found_words):
        pieces.append(phrase[last : match.start()])
        last = match.end()
        said = _vowel_word(bare_words, index, match[0], case, pausal)
        if (
            index + 1 == len(bare_words)
            and index
            and pieces[-2][-1:] in (_KASRATAN, _DAMMATAN)
            and said.endswith((_KASRA, _DAMMA))
            and bare_words[index] in ("واحد", "واحدة")
        ):
            # An adjective after an indefinite noun takes its tanween: خَبَرٌ وَاحِدٌ.
            said = said[:-1] + pieces[-2][-1]
        pieces.append(said)
    pieces.append(phrase[last:])
    return "".join(pieces)


def _vowel_word(bare_words: list[str], index: int, word: str, case: Case, pausal: bool) -> str:
    bare = bare_words[index]
    following = bare_words[index + 1] if index + 1 < len(bare_words) else ""
    previous = bare_words[index - 1] if index else ""
    if bare != word:
        return word  # already vowelled by its writer (a lexicon entry, a particle)
    if bare in _TEEN and (previous in _TEEN_FIRST or previous[1:] in _TEEN_FIRST):
        return _TEEN[bare]
    found = lookup(bare)
    if found is None:
        return word
    said, is_definite = found
    # The second term of a construct (ثَلَاثَةُ آلَافٍ) stays genitive in the nominative.
    head = lookup(previous) if previous and not previous.startswith("و") else None
    in_construct = head is not None and not head[1] and head[0].endswith(_KASRA)
    word_case: Case = "obl" if in_construct else case
    digit_run = previous in _DIGIT_WORDS
    return _ending(said, bare, following, is_definite, word_case, pausal, digit_run)


_DIGIT_WORDS = frozenset(
    ("صفر", "واحد", "اثنين", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة")
)


def _ending(
    said: str,
    bare: str,
    following: str,
    is_definite: bool,
    case: Case,
    pausal: bool,
    previous_digit: bool = False,
) -> str:
    if following in _TEEN:
        if said.endswith(_KASRA):
            return said[:-1] + _FATHA
        return said + _FATHA if bare in _ENDS_IN_YA else said
    # Digit by digit (a phone number, a long code), each digit is said in pause.
    pausal = pausal or (bare in _DIGIT_WORDS and (following in _DIGIT_WORDS or previous_digit))
    pausal = pausal or following in ("فاصلة", "نقطة")  # 2.5: اثْنَيْن فَاصِلَة خَمْسَة
    if pausal and said[-1] in _CASE_MARKS and said[-2] != _SHADDA:
        return said[:-1]
    if not said.endswith(_KASRA) or said.endswith(_DUAL_OR_PLURAL):
        return said
    joined = following.startswith("و") and lookup(following) is not None
    if case == "nom":
        return said[:-1] + (_DAMMATAN if joined and not is_definite else _DAMMA)
    return said[:-1] + (_KASRATAN if joined and not is_definite else _KASRA)


def is_vowelled(word: str) -> bool:
    """True when *word* carries a vowel mark (the diacritizer then keeps it as written)."""
    return bool(re.search("[\u064b-\u0650\u0652]", word))
