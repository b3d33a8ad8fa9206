"""Articles stage: read a source (.txt, .html, .md, URL or stdin) into a cleaned Article."""

from __future__ import annotations

import codecs
import datetime as dt
import html
import logging
import re
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from audiobrief.articles.clean import clean_paragraphs, clean_text
from audiobrief.articles.fetch import fetch_url
from audiobrief.articles.markdown import has_front_matter, parse_markdown
from audiobrief.errors import ArticleError
from audiobrief.model import Article, ArticleMeta

logger = logging.getLogger(__name__)

Format = Literal["txt", "html", "md"]
Fetch = Callable[[str], bytes]
"""Downloads a URL and returns the body; raises OSError (urllib's errors) when it cannot."""

STDIN_LABEL = "standard input"

_FORMATS: dict[str, Format] = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "md",
    ".markdown": "md",
}
_NAMING_HINT = "save the article as UTF-8 text and name it .txt, .html or .md"
_HTML_START = re.compile(
    r"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
    re.IGNORECASE | re.DOTALL,
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# Letters of the Arabic script (not its digits or punctuation), presentation forms included.
_ARABIC_LETTER = re.compile(
    r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06fc\u0750-\u077f\ufb50-\ufdfb\ufe70-\ufefc]"
)


def load_article(source: str, *, stdin: bytes | None = None, fetch: Fetch | None = None) -> Article:
    """Load a file path, an http(s) URL or "-" (the *stdin* bytes) as a cleaned Article.

    Raises:
        ArticleError: the source cannot be read or holds no Arabic article; the message says
            what to do.
    """
    url: str | None = None
    kind: Format | None
    if source == "-":
        label, fix = STDIN_LABEL, "convert it to UTF-8 first (e.g. with iconv -t UTF-8)"
        if stdin is None:
            raise ArticleError(label, "nothing was piped in; pipe an article in or pass a file")
        data, kind = stdin, None
    elif source.startswith(("http://", "https://")):
        label = url = source
        fix = "save the page as UTF-8 text and pass the file"
        data, kind = download(source, fetch or fetch_url), "html"
    else:
        label = source
        data, kind = read_file(source), _FORMATS.get(Path(source).suffix.lower())
        fix = "re-save it as UTF-8" if kind else _NAMING_HINT
    kind = kind or sniff_format(data)  # stdin and unknown suffixes: look at the content
    text = _decode(data, label, kind, fix=fix)
    if not clean_text(text):
        raise ArticleError(
            label, "is empty; put the headline on the first line and the text below it"
        )
    if kind == "html":
        return _from_html(text, source, label, url)
    if kind == "md":
        doc = parse_markdown(text, label)
        meta = ArticleMeta(source, doc.url, doc.date, doc.author, doc.outlet)
        hint = "add 'title:' to the front matter or a '# heading' line"
        return _finish(label, doc.title, doc.paragraphs, meta, title_hint=hint)
    title, paragraphs = split_plain_text(text)
    hint = "put the headline on the first line"
    return _finish(label, title, paragraphs, ArticleMeta(source), title_hint=hint)


def sniff_format(data: bytes) -> Format:
    """Guess a source's format from its first bytes: an HTML page, front matter, or text."""
    head = data[:4096].decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    if _HTML_START.match(head) or re.search(r"<(?:html|body)\b", head, re.IGNORECASE):
        return "html"
    return "md" if has_front_matter(head) else "txt"


def split_plain_text(text: str) -> tuple[str | None, list[str]]:
    """Seed layout: the first non-empty line is the headline, blank lines part paragraphs.

    A body without blank lines holds one paragraph per line (the corpus layout).
    """
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if clean_text(line)), None)
    if start is None:
        return None, []
    body = lines[start + 1 :]
    filled = [i for i, line in enumerate(body) if clean_text(line)]
    if not filled:
        return lines[start], []
    inner = body[filled[0] : filled[-1] + 1]
    if all(clean_text(line) for line in inner):
        return lines[start], inner
    paragraphs: list[str] = []
    block: list[str] = []
    for line in [*inner, ""]:
        if clean_text(line):
            block.append(line)
        elif block:
            paragraphs.append(" ".join(block))  # hard-wrapped lines rejoin into a paragraph
            block = []
    return lines[start], paragraphs


def download(url: str, fetch: Fetch) -> bytes:
    """*fetch*(*url*), its failures as one ArticleError that says what to do."""
    import http.client  # with the first download: with ssl, 20 ms of every command's start
    import urllib.error

    logger.info("Downloading %s", url)
    try:
        return fetch(url)
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code} {exc.reason}"
        cause: Exception = exc
    except urllib.error.URLError as exc:
        reason, cause = str(exc.reason), exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason, cause = str(exc) or type(exc).__name__, exc
    fix = "check the address or save the page and pass the file"
    reason = " ".join(reason.split())  # the CLI prints one line
    raise ArticleError(url, f"could not download the page ({reason}); {fix}") from cause


def read_file(source: str) -> bytes:
    """An article file's bytes; ArticleError (saying what to do) when they cannot be read."""
    path = Path(source)
    if path.is_dir():
        raise ArticleError(source, "is a folder, not a file; pass the article file inside it")
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        fix = "check the path, or pass - to read standard input"
        raise ArticleError(source, f"file not found; {fix}") from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ArticleError(
            source, f"cannot be read ({reason}); check the path and its permissions"
        ) from exc


def _decode(data: bytes, label: str, kind: Format, *, fix: str) -> str:
    """Bytes -> text with LF line ends; a BOM is fine, anything not UTF-8 is an error."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ArticleError(label, f"is UTF-16 text, not UTF-8; {fix}")
    if b"\x00" in data:
        raise ArticleError(label, "is a binary file, not text; " + _NAMING_HINT)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = _decode_declared(data, kind) or ""
        if not text:
            bad = f"byte 0x{data[exc.start]:02X} at offset {exc.start}"
            raise ArticleError(label, f"is not valid UTF-8 ({bad}); {fix}") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_declared(data: bytes, kind: Format) -> str | None:
    """An HTML page may declare a legacy charset (windows-1256 is common on Arabic sites)."""
    found = _CHARSET.search(data[:8192]) if kind == "html" else None
    if found is None:
        return None
    try:
        return data.decode(found.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None


def _from_html(text: str, source: str, label: str, url: str | None) -> Article:
    import trafilatura  # heavy (lxml, htmldate): loaded only when a page is read

    try:
        found = trafilatura.bare_extraction(
            text,
            url=url,
            with_metadata=True,
            favor_precision=True,  # menus, teasers and footers cost more than a lost caption
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            # The "extensive" search guesses from any year in the page: CNN 2013 -> 01-01.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except ValueError as exc:
        fix = "save the article text as .txt and pass that file"
        raise ArticleError(label, f"the page could not be parsed ({exc}); {fix}") from exc
    doc: dict[str, object] = {}
    if found is not None:
        doc = found if isinstance(found, dict) else found.as_dict()
    body = _field(doc, "text") or ""
    if not clean_text(body):
        fix = "save the article text as .txt and pass that file"
        raise ArticleError(label, f"no article text was found in the page; {fix}")
    meta = ArticleMeta(
        source=source,
        url=_page_url(text, _field(doc, "url"), url),
        date=_iso_date(_field(doc, "date")),
        author=_field(doc, "author"),
        outlet=_field(doc, "sitename"),
    )
    title = _field(doc, "title") or _title_tag(text)
    hint = "the page has no <title> or headline; save the article as .txt"
    return _finish(label, title, body.split("\n"), meta, title_hint=hint)


def _page_url(page: str, stated: str | None, fetched: str | None) -> str | None:
    """The page's own address: `<link rel="canonical">`, else og:url (which trafilatura
    reads), else the URL it was fetched from. The canonical one names the article, not
    the link someone shared (`?utm_source=...`), so one article stays one episode."""
    import lxml.html  # type: ignore[import-untyped]  # trafilatura's parser; no stubs

    try:
        links = lxml.html.fromstring(page).xpath('//link[@rel="canonical"]/@href')
    except (ValueError, lxml.etree.ParserError):
        links = []
    for candidate in [*(str(link).strip() for link in links), stated]:
        if candidate:
            absolute = urllib.parse.urljoin(fetched or "", candidate)
            if urllib.parse.urlsplit(absolute).scheme in ("http", "https"):
                return absolute
    return fetched


def _field(doc: dict[str, object], key: str) -> str | None:
    value = doc.get(key)
    return value if isinstance(value, str) and value.strip() else None


def _title_tag(page: str) -> str | None:
    found = _TITLE_TAG.search(page)
    return html.unescape(found.group(1)) if found else None


def _iso_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        logger.warning("Ignoring the page's date %r: not YYYY-MM-DD", value)
        return None


def _finish(
    label: str, title: str | None, raw: Iterable[str], meta: ArticleMeta, *, title_hint: str
) -> Article:
    """Clean the headline and body, and refuse what cannot be spoken as an Arabic article."""
    headline = clean_text(title or "")
    if not headline:
        raise ArticleError(label, f"no headline was found; {title_hint}")
    paragraphs = clean_paragraphs(raw)
    if paragraphs and paragraphs[0] == headline:  # pages repeat the <h1> in the body
        paragraphs = paragraphs[1:]
    if not paragraphs:
        fix = "put the article's paragraphs below the headline"
        raise ArticleError(label, f"has a headline but no body text (page noise is removed); {fix}")
    if not any(_ARABIC_LETTER.search(text) for text in (headline, *paragraphs)):
        fix = "audiobrief reads Arabic articles, so check the file and its encoding"
        raise ArticleError(label, f"has no Arabic letters; {fix}")
    return Article(headline, paragraphs, meta)
