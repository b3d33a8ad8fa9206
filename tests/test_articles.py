"""Articles stage: loading every source kind, cleaning page noise, and refusing bad input."""

from __future__ import annotations

import datetime as dt
import http.server
import re
import time
import urllib.error
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiobrief.articles.clean import clean_paragraphs, clean_text, noise_reason
from audiobrief.articles.fetch import USER_AGENT, fetch_url
from audiobrief.articles.limits import check_length
from audiobrief.articles.load import load_article, sniff_format
from audiobrief.errors import ArticleError
from audiobrief.model import Article
from support import CORPUS, DATA, needs_corpus
from support import loopback_server as serving

ARTICLES = DATA / "articles"
SEED = DATA / "seed_article.txt"
BODY = (
    "افتتحت جماعة صفرو صباح اليوم مكتبة عمومية جديدة في حي القلعة.",
    "وقال رئيس الجماعة إن المشروع يقرب الكتاب من سكان الأحياء البعيدة.",
)
HEADLINE = "افتتاح مكتبة عمومية جديدة"
NAMING_FIX = "save the article as UTF-8 text and name it .txt, .html or .md"
PAGE_BODY = (
    "افتتحت جماعة صفرو صباح اليوم مكتبة عمومية جديدة في حي القلعة، تضم أكثر من خمسة آلاف"
    " كتاب باللغتين العربية والفرنسية، إضافة إلى قاعة للمطالعة مخصصة للأطفال.",
    "وقال رئيس الجماعة في كلمة بالمناسبة إن المشروع يهدف إلى تقريب الكتاب من سكان الأحياء"
    " البعيدة عن وسط المدينة، وتشجيع الشباب على القراءة خلال العطل المدرسية.",
    "وشارك في حفل الافتتاح عدد من الكتاب والأساتذة وممثلي جمعيات المجتمع المدني، الذين نوهوا"
    " بالمبادرة ودعوا إلى تعميمها على باقي جماعات الإقليم.",
    "وستفتح المكتبة أبوابها يوميا من التاسعة صباحا إلى السابعة مساء، باستثناء يوم الأحد، على أن"
    " يكون الاشتراك السنوي مجانيا لتلاميذ المدارس العمومية.",
)


def plain_article(title: str = HEADLINE, body: tuple[str, ...] = BODY) -> str:
    return title + "\n\n" + "\n\n".join(body) + "\n"


def write(name: str, content: str | bytes) -> str:
    path = Path(name)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return name


def expected_from_txt(path: Path) -> tuple[str, tuple[str, ...]]:
    """The corpus layout: line 1 headline, a blank line, one paragraph per line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return clean_text(lines[0]), tuple(clean_text(line) for line in lines[2:] if clean_text(line))


def raises_article_error(source: str, reason: str) -> pytest.RaisesExc[ArticleError]:
    return pytest.raises(ArticleError, match=f"^{re.escape(f'{source}: {reason}')}$")


# --- clean_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u061c", "\u200e", "\u200f", "\u202a",
     "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u0640",
     "\u00ad"],
)  # fmt: skip
def test_clean_text_removes_invisible_character(invisible: str) -> None:
    assert clean_text(f"{invisible}مكت{invisible}بة{invisible}") == "مكتبة"


@pytest.mark.parametrize("space", ["\u00a0", "\u2002", "\u2009", "\u202f", "\u3000", "\t", "\n"])
def test_clean_text_turns_odd_spaces_into_one_plain_space(space: str) -> None:
    assert clean_text(f"  مكتبة{space}{space} جديدة{space}") == "مكتبة جديدة"


def test_clean_text_is_idempotent_on_a_messy_line() -> None:
    messy = "\ufeff\u200fشـــارك\u00a0\u00a0 الوزير\u200b في\u2066 الاجتماع\u2069 "
    assert clean_text(messy) == "شارك الوزير في الاجتماع"
    assert clean_text(clean_text(messy)) == clean_text(messy)


# Arabic letters, tatweel, harakat, hamza above, bidi and zero-width marks, odd spaces, digits,
# presentation forms: the characters scraped Arabic pages are made of.
ARABIC_DOMAIN = st.text(
    st.sampled_from(
        "ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإؤئةى0123456789٠١٢٣.,،؛؟:*- \n\t"
        "\u0640\u064b\u064e\u0651\u0654\u200f\u200e\u061c\u2066\u2069"
        "\u200b\u200c\ufeff\u00ad\u00a0\u202f\ufefb\ufe8d"
    )
)
INVISIBLE = set("\u200b\u200c\u200d\u2060\ufeff\u061c\u200e\u200f\u0640\u00ad\u00a0\u202f\n\t")


@given(ARABIC_DOMAIN)
def test_clean_text_is_idempotent_and_leaves_nothing_invisible(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert not INVISIBLE & set(cleaned)
    assert "  " not in cleaned


@given(st.lists(ARABIC_DOMAIN | st.text(), max_size=6))
def test_clean_paragraphs_is_idempotent(paragraphs: list[str]) -> None:
    once = clean_paragraphs(paragraphs)
    assert clean_paragraphs(once) == once
    assert all(once)


# --- clean_paragraphs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "noise",
    [
        "0 666",
        "12 | 4",
        "***",
        "اترك رد",
        "اترك تعليقاً",
        "أضف تعليق",
        "3 تعليقات",
        "لن يتم نشر عنوان بريدك الإلكتروني.",
        "لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *",
        "الحقول الإلزامية مشار إليها بـ *",
        "التعليق *",
        "الاسم *",
        "البريد الإلكتروني *",
        "الموقع الإلكتروني",
        "احفظ اسمي، بريدي الإلكتروني، والموقع الإلكتروني في هذا المتصفح لاستخدامها المرة المقبلة.",
        "إلغاء الرد",
        "إرسال التعليق",
        "شارك",
        "شارك المقال",
        "شارك هذا الخبر على فيسبوك",
        "مشاركة:",
        "طباعة",
        "Facebook Twitter WhatsApp",
        "فيسبوك تويتر واتساب",
        "اقرأ أيضا",
        "اقرأ أيضاً: انطلاق موسم جني الكرز بإقليم صفرو",
        "مقالات ذات صلة",
        "أخبار ذات صلة",
        "© 2024 صفرو اليوم. جميع الحقوق محفوظة",
        "صفرو اليوم 2024 جميع الحقوق محفوظة",
        "تابعونا على فيسبوك وتويتر",
        "تابعوا أخبار الإمارات من البيان عبر غوغل نيوز",
        "المصدر:",
        "الآراء الواردة أدناه لا تعبر عن رأي الموقع، بل تعكس وجهات نظر أصحابها فقط.",
    ],
)
def test_clean_paragraphs_drops_whole_line_page_noise(noise: str) -> None:
    assert noise_reason(clean_text(noise)) is not None
    assert clean_paragraphs([BODY[0], noise, BODY[1]]) == BODY


@pytest.mark.parametrize(
    "sentence",
    [
        "شارك أكثر من ألف عداء في ماراثون المدينة يوم الأحد.",
        "شارك على هامش المؤتمر وزير الخارجية في لقاء مع الصحفيين.",
        "وشارك في حفل الافتتاح عدد من الكتاب والأساتذة.",
        "شارك المقال الذي نشرته الصحيفة أمس آلاف القراء على مواقع التواصل.",
        "تابع في كلمته أن الحكومة ستواصل دعم الفلاحين الصغار.",
        "تابعنا على مدى أسبوع كامل أشغال الدورة البرلمانية.",
        "ارتفعت تكلفة طباعة الكتب المدرسية بنسبة عشرة في المائة.",
        "الموقع الإلكتروني للوزارة توقف عن العمل ساعات عدة.",
        "قالت الشركة إن جميع الحقوق محفوظة لها بموجب العقد الموقع مع البلدية.",
        "وأوضح أن التعليقات التي وصلت إلى اللجنة ستدرس بعناية.",
        "ارتفع عدد السكان إلى 666 ألف نسمة سنة 2024.",
    ],
)
def test_clean_paragraphs_keeps_real_sentences_that_contain_noise_words(sentence: str) -> None:
    assert noise_reason(sentence) is None
    assert clean_paragraphs([sentence, "شارك"]) == (sentence,)


def test_clean_paragraphs_keeps_order_and_drops_empty_paragraphs() -> None:
    assert clean_paragraphs(["", BODY[0], " \u200f\u00a0", BODY[1], "\t"]) == BODY


# --- plain text -----------------------------------------------------------------------------


def test_seed_noise_never_survives_loading() -> None:
    article = load_article(str(SEED))
    text = "\n".join((article.title, *article.paragraphs))
    for noise in ("0 666", "اترك رد", "لن يتم نشر عنوان بريدك الإلكتروني."):
        assert noise not in text
    assert len(article.paragraphs) == 6
    assert article.title.startswith("خديجة الحجوبي تترأس اجتماعا")


def test_seed_article_cleans_to_golden(golden: Callable[[str, str], None]) -> None:
    article = load_article(str(SEED))
    golden("articles/seed_article.txt", "\n\n".join((article.title, *article.paragraphs)) + "\n")


def test_txt_joins_hard_wrapped_lines_and_drops_trailing_noise() -> None:
    article = load_article(str(ARTICLES / "wrapped.txt"))
    assert article.title == "مهرجان الفروسية يعود إلى ساحة المدينة"
    assert article.paragraphs == (
        "افتتحت السلطات المحلية مساء أمس الدورة الجديدة من مهرجان الفروسية التقليدية، بمشاركة"
        " عشرين سربة قدمت من مختلف جماعات الإقليم.",
        "ويستمر المهرجان أسبوعا كاملا، وتتخلله معارض للصناعة التقليدية وأمسيات للموسيقى الشعبية.",
    )
    assert article.meta.source == str(ARTICLES / "wrapped.txt")
    assert article.meta.url is None


def test_txt_without_blank_lines_has_one_paragraph_per_line() -> None:
    source = write("lines.txt", HEADLINE + "\n" + "\n".join(BODY) + "\n")
    assert load_article(source) == Article(HEADLINE, BODY, load_article(source).meta)
    assert load_article(source).paragraphs == BODY


def test_txt_accepts_bom_and_crlf() -> None:
    content = plain_article().replace("\n", "\r\n").encode("utf-8")
    source = write("windows.txt", b"\xef\xbb\xbf" + content)
    article = load_article(source)
    assert (article.title, article.paragraphs) == (HEADLINE, BODY)


def test_invisible_characters_are_removed_from_title_and_body() -> None:
    title = "\u200fافتتاح\u00a0مكتبة عمومية جـديدة\u200e"
    body = (
        "افتتحت\u200b جماعة صفرو صباح اليوم\u2066 مكتبة عمومية جديدة في حي القلعة.\u2069",
        BODY[1],
    )
    article = load_article(write("marks.txt", plain_article(title, body)))
    assert (article.title, article.paragraphs) == (HEADLINE, BODY)


def test_unknown_suffix_that_holds_text_loads_as_txt() -> None:
    article = load_article(write("article.dat", plain_article()))
    assert (article.title, article.paragraphs) == (HEADLINE, BODY)


@needs_corpus
@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_corpus_txt_loads_with_every_paragraph(name: str) -> None:
    article = load_article(str(CORPUS / name))
    title, paragraphs = expected_from_txt(CORPUS / name)
    assert article.title == title
    if name == "seed_article.txt":  # the only corpus file with page noise in it
        assert len(article.paragraphs) == len(paragraphs) - 3
    else:
        assert article.paragraphs == paragraphs


# --- HTML -----------------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize(
    ("name", "date"),
    [
        ("p10_cnnarabic", None),  # the page states no date; a guessed 2013-01-01 would be wrong
        ("p11_beirutobserver", dt.date(2020, 11, 9)),
        ("p12_albayan", dt.date(2020, 6, 3)),
    ],
)
def test_corpus_html_page_yields_exactly_the_article_of_its_txt(
    name: str, date: dt.date | None
) -> None:
    article = load_article(str(CORPUS / f"{name}.html"))
    title, paragraphs = expected_from_txt(CORPUS / f"{name}.txt")
    # Equality: every body paragraph is there and nothing else (menus, footers, related links,
    # the comment policy lines of CNN, the share buttons of Al Bayan).
    assert (article.title, article.paragraphs) == (title, paragraphs)
    assert article.meta.date == date
    assert article.meta.url is not None
    assert article.meta.url.startswith("http")


def test_html_page_drops_menus_share_buttons_related_links_and_comment_form() -> None:
    article = load_article(str(ARTICLES / "page.html"))
    assert article.title == "افتتاح مكتبة عمومية جديدة في مدينة صفرو"
    assert article.paragraphs == PAGE_BODY
    text = "\n".join(article.paragraphs)
    chrome = ("الرئيسية", "اقرأ أيضا", "مقالات ذات صلة", "تدشين ملعب", "اترك تعليقاً")
    chrome += ("الحقول الإلزامية", "احفظ اسمي", "جميع الحقوق محفوظة", "تابعونا", "0 666")
    assert [line for line in chrome if line in text] == []


def test_html_page_metadata_fills_article_meta() -> None:
    meta = load_article(str(ARTICLES / "page.html")).meta
    assert meta.date == dt.date(2024, 3, 12)
    assert meta.author == "سعاد بناني"
    assert meta.outlet == "صفرو اليوم"
    assert meta.url == "https://sefrou.example/2024/03/12/maktaba/"


def test_html_page_in_a_declared_legacy_charset_is_decoded() -> None:
    page = (ARTICLES / "page.html").read_text(encoding="utf-8")
    page = page.replace('<meta charset="utf-8">', '<meta charset="windows-1256">')
    article = load_article(write("legacy.htm", page.encode("cp1256", "replace")))
    assert article.paragraphs == PAGE_BODY


def test_html_page_without_article_text_is_an_error() -> None:
    page = (
        '<!DOCTYPE html><html><head><title>صفرو اليوم</title></head><body><nav><ul><li><a href="/">'
        'الرئيسية</a></li><li><a href="/s">سياسة</a></li></ul></nav><footer><p>© 2024 صفرو اليوم'
        "</p></footer></body></html>"
    )
    fix = "save the article text as .txt and pass that file"
    with raises_article_error("menu.html", f"no article text was found in the page; {fix}"):
        load_article(write("menu.html", page))


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_front_matter_sets_title_meta_and_plain_paragraphs() -> None:
    article = load_article(str(ARTICLES / "front_matter.md"))
    assert article.title == "أمطار غزيرة تعيد الحياة إلى سد إدريس الأول"
    assert article.meta.url == "https://sefrou.example/2024/02/20/sadd/"
    assert article.meta.date == dt.date(2024, 2, 20)
    assert article.meta.author == "كريم العلوي"
    assert article.meta.outlet == "صفرو اليوم"
    assert article.paragraphs == (
        "ارتفعت نسبة ملء سد إدريس الأول خلال الأسبوع الماضي بفضل التساقطات المطرية التي عرفتها"
        " المنطقة، حسب ما أفادت به وكالة الحوض المائي.",
        "أرقام الأسبوع",
        "بلغت نسبة الملء ثلاثين في المائة بعد أن كانت أقل من عشرين في المائة.",
        "استفادت الضيعات الفلاحية المجاورة من مياه السقي لأول مرة منذ شهور.",
        "وقال مسؤول بالوكالة إن الوضع يبقى مقلقا رغم هذا التحسن.",
    )


def test_markdown_title_falls_back_to_the_first_heading() -> None:
    source = write("heading.md", f"مقدمة قصيرة.\n\n# {HEADLINE}\n\n{BODY[0]}\n")
    article = load_article(source)
    assert article.title == HEADLINE
    assert article.paragraphs == ("مقدمة قصيرة.", BODY[0])


def test_markdown_unknown_front_matter_keys_are_ignored() -> None:
    source = write("keys.md", f"---\ntitle: {HEADLINE}\nlayout: post\nweight: 3\n---\n{BODY[0]}\n")
    article = load_article(source)
    assert (article.title, article.paragraphs) == (HEADLINE, BODY[:1])


@pytest.mark.parametrize("date", ["2024-02-30", "20 فبراير 2024", "soon"])
def test_markdown_bad_date_is_an_error_with_the_fix(date: str) -> None:
    source = write("date.md", f"---\ntitle: {HEADLINE}\ndate: {date}\n---\n{BODY[0]}\n")
    reason = f"the front matter date {date!r} is not a date; write it as YYYY-MM-DD"
    with raises_article_error(source, reason):
        load_article(source)


def test_markdown_date_with_a_time_keeps_the_day() -> None:
    source = write(
        "time.md", f"---\ntitle: {HEADLINE}\ndate: 2024-02-20T08:15:00+01:00\n---\n{BODY[0]}"
    )
    assert load_article(source).meta.date == dt.date(2024, 2, 20)


def test_markdown_unclosed_front_matter_is_an_error() -> None:
    source = write("open.md", f"---\ntitle: {HEADLINE}\n\n{BODY[0]}\n")
    reason = "the front matter opened by '---' is never closed; add a '---' line after it"
    with raises_article_error(source, reason):
        load_article(source)


def test_markdown_invalid_yaml_is_an_error() -> None:
    source = write("yaml.md", f"---\ntitle: [{HEADLINE}\n---\n{BODY[0]}\n")
    reason = r"the front matter is not valid YAML \(.+\); fix it or remove it"
    with pytest.raises(ArticleError, match=rf"^yaml\.md: {reason}$"):
        load_article(source)


def test_markdown_without_any_title_is_an_error() -> None:
    source = write("untitled.md", f"{BODY[0]}\n\n{BODY[1]}\n")
    reason = "no headline was found; add 'title:' to the front matter or a '# heading' line"
    with raises_article_error(source, reason):
        load_article(source)


# --- standard input -------------------------------------------------------------------------


def test_stdin_plain_text_loads_with_dash_as_source() -> None:
    article = load_article("-", stdin=plain_article().encode("utf-8"))
    assert (article.title, article.paragraphs) == (HEADLINE, BODY)
    assert article.meta.source == "-"


def test_stdin_html_is_recognized_and_extracted() -> None:
    article = load_article("-", stdin=(ARTICLES / "page.html").read_bytes())
    assert article.paragraphs == PAGE_BODY


def test_stdin_front_matter_is_recognized_as_markdown() -> None:
    data = f"---\ntitle: {HEADLINE}\ndate: 2024-02-20\n---\n**{BODY[0]}**\n".encode()
    article = load_article("-", stdin=data)
    assert (article.title, article.paragraphs, article.meta.date) == (
        HEADLINE,
        BODY[:1],
        dt.date(2024, 2, 20),
    )


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xef\xbb\xbf<!DOCTYPE html><html>", "html"),
        (b"  <html lang='ar'>", "html"),
        (b"<?xml version='1.0'?>\n<html>", "html"),
        (b"---\ntitle: x\n---\n", "md"),
        ("عنوان\n\nنص".encode(), "txt"),
        ("عنوان <b>غامق</b>".encode(), "txt"),
    ],
)
def test_sniff_format_recognizes_content(head: bytes, kind: str) -> None:
    assert sniff_format(head) == kind


def test_stdin_without_data_is_an_error() -> None:
    reason = "nothing was piped in; pipe an article in or pass a file"
    with raises_article_error("standard input", reason):
        load_article("-")


# --- URLs -----------------------------------------------------------------------------------


def test_url_is_fetched_and_read_as_html_with_the_page_s_canonical_address() -> None:
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return (ARTICLES / "page.html").read_bytes()

    article = load_article("https://sefrou.example/maktaba", fetch=fetch)
    assert asked == ["https://sefrou.example/maktaba"]
    assert article.paragraphs == PAGE_BODY
    assert article.meta.url == "https://sefrou.example/2024/03/12/maktaba/"  # rel=canonical
    assert article.meta.source == "https://sefrou.example/maktaba"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (urllib.error.URLError("Name or service not known"), "Name or service not known"),
        (TimeoutError("timed out"), "timed out"),
        (ConnectionResetError("connection reset"), "connection reset"),
    ],
)
def test_url_download_failure_is_an_article_error(error: OSError, reason: str) -> None:
    def fetch(url: str) -> bytes:
        raise error

    fix = "check the address or save the page and pass the file"
    url = "https://sefrou.example/maktaba"
    with raises_article_error(url, f"could not download the page ({reason}); {fix}"):
        load_article(url, fetch=fetch)


class _Pages(http.server.BaseHTTPRequestHandler):
    agents: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.agents.append(self.headers.get("User-Agent", ""))
        body = (ARTICLES / "page.html").read_bytes() if self.path == "/maktaba" else b"gone"
        self.send_response(200 if self.path == "/maktaba" else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def loopback_server() -> Iterator[str]:
    with serving(_Pages) as base:
        yield base


def test_default_fetch_downloads_from_a_real_server(loopback_server: str) -> None:
    _Pages.agents.clear()
    article = load_article(f"{loopback_server}/maktaba")
    assert article.paragraphs == PAGE_BODY
    assert _Pages.agents == [USER_AGENT]


def test_default_fetch_reports_an_http_error_status(loopback_server: str) -> None:
    url = f"{loopback_server}/missing"
    fix = "check the address or save the page and pass the file"
    with raises_article_error(url, f"could not download the page (HTTP 404 Not Found); {fix}"):
        load_article(url)


# --- bad input ------------------------------------------------------------------------------


def test_missing_file_is_an_error() -> None:
    reason = "file not found; check the path, or pass - to read standard input"
    with raises_article_error("nowhere.txt", reason):
        load_article("nowhere.txt")


def test_folder_is_an_error() -> None:
    Path("articles").mkdir()
    reason = "is a folder, not a file; pass the article file inside it"
    with raises_article_error("articles", reason):
        load_article("articles")


@pytest.mark.parametrize("content", ["", "\n\n  \n", "\ufeff\u200f\n"])
def test_empty_file_is_an_error(content: str) -> None:
    source = write("empty.txt", content)
    reason = "is empty; put the headline on the first line and the text below it"
    with raises_article_error(source, reason):
        load_article(source)


def test_headline_without_body_is_an_error() -> None:
    source = write("title.txt", f"{HEADLINE}\n\n0 666\n\nاترك رد\n")
    reason = "has a headline but no body text (page noise is removed); "
    reason += "put the article's paragraphs below the headline"
    with raises_article_error(source, reason):
        load_article(source)


def test_article_without_arabic_letters_is_an_error() -> None:
    source = write("english.txt", "Library opens\n\nThe town opened a new library today.\n")
    reason = "has no Arabic letters; audiobrief reads Arabic articles, so check the file and "
    reason += "its encoding"
    with raises_article_error(source, reason):
        load_article(source)


def test_invalid_utf8_names_the_byte_offset_and_the_fix() -> None:
    data = plain_article().encode("utf-8")
    broken = data[:10] + b"\xff" + data[10:]
    source = write("latin1.txt", broken)
    reason = "is not valid UTF-8 (byte 0xFF at offset 10); re-save it as UTF-8"
    with raises_article_error(source, reason):
        load_article(source)


def test_invalid_utf8_with_an_unknown_suffix_says_how_to_name_the_file() -> None:
    source = write("article.doc", b"\xd0\xcf\x11\xe0 legacy word file")
    reason = f"is not valid UTF-8 (byte 0xD0 at offset 0); {NAMING_FIX}"
    with raises_article_error(source, reason):
        load_article(source)


def test_binary_file_is_an_error() -> None:
    source = write("scan.pdf", b"%PDF-1.7\n\x00\x01\x02binary")
    reason = f"is a binary file, not text; {NAMING_FIX}"
    with raises_article_error(source, reason):
        load_article(source)


def test_utf16_file_is_an_error_that_asks_for_utf8() -> None:
    source = write("utf16.txt", plain_article().encode("utf-16"))
    with raises_article_error(source, "is UTF-16 text, not UTF-8; re-save it as UTF-8"):
        load_article(source)


# --- limits: nothing in the input exhausts time or memory ----------------------------------


class _Drip(http.server.BaseHTTPRequestHandler):
    """A server that sends its page a byte at a time (bounded: at most 40 bytes, 4 s)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/headers":  # the status line arrives, the header lines drip
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._drip(b"X-Slow: " + b"x" * 40)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self._drip(b"<" * 40)

    def _drip(self, data: bytes) -> None:
        for byte in data:
            try:
                self.wfile.write(bytes([byte]))
            except OSError:
                return  # the client gave up: what the test expects
            time.sleep(0.1)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def dripping_server() -> Iterator[str]:
    with serving(_Drip) as base:
        yield base


@pytest.mark.parametrize("path", ["/body", "/headers"])
def test_download_that_drips_ends_at_its_overall_deadline(dripping_server: str, path: str) -> None:
    # Each byte comes well within any per-read timeout; only an overall deadline ends it.
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"^the page did not arrive within 0\.5 s$"):
        fetch_url(dripping_server + path, deadline_s=0.5)
    assert time.monotonic() - started < 1.5


def test_dripping_download_is_one_article_error(dripping_server: str) -> None:
    url = dripping_server + "/body"
    reason = "could not download the page (the page did not arrive within 0.3 s); "
    with raises_article_error(url, reason + "check the address or save the page and pass the file"):
        load_article(url, fetch=partial(fetch_url, deadline_s=0.3))


def test_fast_download_is_not_cut_by_its_deadline(loopback_server: str) -> None:
    body = fetch_url(f"{loopback_server}/maktaba", deadline_s=5.0)
    assert body == (ARTICLES / "page.html").read_bytes()


def test_article_within_the_word_limit_passes_unchanged() -> None:
    article = load_article(write("short.txt", plain_article()))
    words = sum(len(text.split()) for text in (article.title, *article.paragraphs))
    assert check_length(article, max_words=words) is article


def test_article_over_the_word_limit_is_one_error_with_both_counts() -> None:
    long_body = tuple(" ".join([BODY[0]] * 100) for _ in range(25))  # 4 + 27,500 words
    article = load_article(write("long.txt", plain_article(body=long_body)))
    reason = (
        "has 27,504 words, over the limit of 20,000 (max_article_words); "
        "split it into shorter articles, or raise max_article_words"
    )
    with raises_article_error("long.txt", reason):
        check_length(article, max_words=20_000)


def test_word_limit_error_names_standard_input() -> None:
    article = load_article("-", stdin=plain_article().encode("utf-8"))
    with pytest.raises(ArticleError, match=r"^standard input: has \d+ words, over the limit of 5 "):
        check_length(article, max_words=5)


def _laughs(levels: int) -> str:
    """A "billion laughs" front matter: each level repeats the one before nine times."""
    lines = ['a0: &a0 "هههههههه"']
    for k in range(1, levels + 1):
        lines.append(f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]")
    return "---\n" + "\n".join(lines) + f"\ntitle: *a{levels}\n---\n{BODY[0]}\n"


def test_front_matter_with_yaml_aliases_is_refused_at_once() -> None:
    source = write("laughs.md", _laughs(8))
    assert len(_laughs(8).encode()) < 1200
    started = time.monotonic()
    reason = "the front matter uses a YAML alias (*a0); write each value out in full"
    with raises_article_error(source, reason):
        load_article(source)
    assert time.monotonic() - started < 1.0


def test_front_matter_nested_too_deeply_is_one_error() -> None:
    source = write("deep.md", f"---\ntitle: {'[' * 5000}{']' * 5000}\n---\n{BODY[0]}\n")
    fix = "write each value as text or a list of text"
    with raises_article_error(source, f"the front matter nests too deeply; {fix}"):
        load_article(source)


def test_over_long_front_matter_value_is_one_error() -> None:
    source = write("long_title.md", f"---\ntitle: {'ع' * 2001}\n---\n{BODY[0]}\n")
    reason = "the front matter title is 2,001 characters long, over 2,000; shorten it"
    with raises_article_error(source, reason):
        load_article(source)


def test_markdown_is_read_by_a_commonmark_parser() -> None:
    text = (
        f"{HEADLINE}\n{'=' * 10}\n\n"  # a setext heading is the headline
        "| المدينة | الكتب |\n|---|---|\n| صفرو | 5000 |\n\n"
        '<div dir="rtl"><p>فقرة <b>بلغة</b> HTML</p><script>track()</script></div>\n\n'
        "قال ***المدير _نفسه_ اليوم*** إن 2*3 تساوي ستة و~~سبعة~~ ثمانية.\n\n"
        "    code that is never spoken\n\n"
        "• بند أول\n• بند ثان\n"
    )
    article = load_article(write("parsed.md", text))
    assert article.title == HEADLINE
    assert article.paragraphs == (
        "المدينة، الكتب",
        "صفرو، 5000",
        "فقرة بلغة HTML",
        "قال المدير نفسه اليوم إن 2*3 تساوي ستة وسبعة ثمانية.",
        "بند أول",
        "بند ثان",
    )
