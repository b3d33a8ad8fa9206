"""Articles stage: Markdown with YAML front matter -> headline, plain paragraphs and metadata."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from audiobrief.errors import ArticleError

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_FRONT_MATTER_KEYS = ("title", "url", "date", "author", "source")
MAX_FIELD_CHARS = 2_000
"""The longest front matter value taken: a headline, an address, a list of authors."""
# Bullets and numbers that Markdown does not know as list markers but pasted news text
# uses: each such line is spoken as its own paragraph.
_LOOSE_ITEM = re.compile(r"^(?:[•▪◦·]|[٠-٩۰-۹]+[.)\u066b-])\s+")
_UNSPOKEN_HTML = frozenset({"script", "style", "iframe", "noscript", "svg", "template"})


@dataclass(frozen=True)
class MarkdownArticle:
    """What a Markdown file says, before the cleaning every source goes through."""

    title: str | None
    """Front matter `title`, else the first `# heading`."""
    paragraphs: tuple[str, ...]
    url: str | None = None
    date: dt.date | None = None
    author: str | None = None
    outlet: str | None = None
    """Front matter `source`."""


def has_front_matter(text: str) -> bool:
    """Say whether *text* opens with a `---` front matter line."""
    return text.lstrip("\ufeff").startswith(("---\n", "---\r\n"))


def parse_markdown(text: str, label: str) -> MarkdownArticle:
    """Split front matter from the body, then read the body's Markdown as plain paragraphs.

    Raises:
        ArticleError: the front matter is unclosed, not YAML, not a mapping, uses aliases,
            has an over-long value or a bad date.
    """
    fields, body = _split_front_matter(text.lstrip("\ufeff"), label)
    blocks = _blocks(body)
    title = _plain(fields["title"]) if "title" in fields else None
    headings = [i for i, (level, _) in enumerate(blocks) if level == 1]
    if headings and (title is None or blocks[headings[0]][1] == title):
        # The first "# heading" is the headline: take it as the title, or drop it when the
        # front matter already says the same, so the title is not spoken twice.
        title = title or blocks[headings[0]][1]
        del blocks[headings[0]]
    return MarkdownArticle(
        title=title,
        paragraphs=tuple(text for _, text in blocks if text),
        url=fields.get("url"),
        date=_parse_date(fields["date"], label) if "date" in fields else None,
        author=fields.get("author"),
        outlet=fields.get("source"),
    )


def _split_front_matter(text: str, label: str) -> tuple[dict[str, str], str]:
    if not has_front_matter(text):
        return {}, text
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise ArticleError(
            label, "the front matter opened by '---' is never closed; add a '---' line after it"
        )
    source = "\n".join(lines[1:end])
    import yaml  # loaded with the first front matter: every command paid 7 ms at import

    try:
        _check_events(source, label)
        # BaseLoader keeps every value a string: "date: 2024-02-30" reaches our own date
        # check instead of failing inside YAML, and a numeric title stays text.
        data = yaml.load(source, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())  # YAML's messages span lines; the CLI prints one
        raise ArticleError(
            label, f"the front matter is not valid YAML ({reason}); fix it or remove it"
        ) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ArticleError(
            label, "the front matter is not a list of 'key: value' lines; write e.g. 'title: ...'"
        )
    fields = {
        key: _as_text(data[key]) for key in _FRONT_MATTER_KEYS if data.get(key) not in (None, "")
    }
    for key, value in fields.items():
        if len(value) > MAX_FIELD_CHARS:
            reason = f"the front matter {key} is {len(value):,} characters long"
            raise ArticleError(label, f"{reason}, over {MAX_FIELD_CHARS:,}; shorten it")
    return fields, "\n".join(lines[end + 1 :])


def _check_events(source: str, label: str) -> None:
    """Refuse aliases and deep nesting before YAML builds anything from *source*.

    An alias repeats a whole value: nine nested ones in 515 bytes make a 24-million-character
    headline (a "billion laughs"). Deep nesting would overflow the recursive composer.
    """
    import yaml

    depth = 0
    for event in yaml.parse(source, Loader=yaml.BaseLoader):  # a state machine: no recursion
        if isinstance(event, yaml.AliasEvent):
            reason = f"the front matter uses a YAML alias (*{event.anchor})"
            raise ArticleError(label, f"{reason}; write each value out in full")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > 8:
                fix = "write each value as text or a list of text"
                raise ArticleError(label, f"the front matter nests too deeply; {fix}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _as_text(value: object) -> str:
    if isinstance(value, list):  # "author: [A, B]"
        return "، ".join(_as_text(item) for item in value)
    return str(value).strip()


def _parse_date(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError as exc:
        reason = f"the front matter date {value!r} is not a date; write it as YYYY-MM-DD"
        raise ArticleError(label, reason) from exc


@functools.cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # loaded with the first Markdown article

    # CommonMark, plus the two GitHub extensions news exports use; raw HTML is parsed
    # (so it can be read as text or left out), never passed through.
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _blocks(body: str) -> list[tuple[int, str]]:
    """Body -> (heading level or 0, plain text) blocks, in reading order.

    Paragraphs, list items, quotes and headings are blocks; a table gives one block per
    row (cells joined by a comma); code is not spoken; an HTML block gives its text.
    """
    blocks: list[tuple[int, str]] = []
    level = 0
    row: list[str] | None = None
    for token in _parser().parse(body):
        if token.type == "heading_open":
            level = int(token.tag[1:])
        elif token.type == "heading_close":
            level = 0
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append((0, "، ".join(cell for cell in row if cell)))
            row = None
        elif token.type == "html_block":
            blocks.append((0, _html_text(token.content)))
        elif token.type == "inline":
            text = _inline_text(token.children or [])
            if row is not None:
                row.append(" ".join(text.split()))
            elif level:
                blocks.append((level, " ".join(text.split())))
            else:
                blocks.extend((0, item) for item in _loose_items(text))
    return blocks


def _inline_text(children: list[Token]) -> str:
    """The words of a paragraph's inline tokens; line breaks kept as newlines."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        # Images are not spoken; emphasis, links and inline HTML tags leave their text.
    return "".join(parts)


def _loose_items(text: str) -> list[str]:
    """A paragraph's lines, split where a line starts with a bullet Markdown does not know."""
    items: list[list[str]] = [[]]
    for line in text.split("\n"):
        marker = _LOOSE_ITEM.match(line.strip())
        if marker and items[-1]:
            items.append([])
        items[-1].append(line.strip()[marker.end() :] if marker else line.strip())
    return [" ".join(" ".join(item).split()) for item in items]


def _plain(text: str) -> str:
    """A front matter value without inline Markdown (`**bold**`, links)."""
    lines = _parser().parseInline(text)
    return " ".join(_inline_text(lines[0].children or []).split()) if lines else ""


def _html_text(block: str) -> str:
    reader = _HTMLText()
    reader.feed(block)
    reader.close()
    return " ".join(" ".join(reader.parts).split())


class _HTMLText(HTMLParser):
    """The text of an HTML block, without scripts, styles and embeds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _UNSPOKEN_HTML:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _UNSPOKEN_HTML and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)
