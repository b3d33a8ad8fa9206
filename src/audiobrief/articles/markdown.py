"""Articles stage: Markdown with YAML front matter -> headline, plain paragraphs and metadata."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import yaml

from audiobrief.errors import ArticleError

_FRONT_MATTER_KEYS = ("title", "url", "date", "author", "source")
_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|[0-9٠-٩]+[.)])\s+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")

# Inline markup, in order: images go before links (an image is a link with a "!").
_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])"), ""),  # images are not spoken
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url) -> text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref] -> text
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # <http://...> autolinks
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__|~~)(.+?)\1"), r"\2"),
    # Single * or _ only around a whole word run, so snake_case and 2*3 survive.
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),  # stray inline HTML tags such as <br>
)


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
    """Split front matter from the body, then strip the body's Markdown to plain paragraphs.

    Raises:
        ArticleError: the front matter is unclosed, not YAML, not a mapping, or has a bad date.
    """
    fields, body = _split_front_matter(text.lstrip("\ufeff"), label)
    blocks = _blocks(body)
    title = fields.get("title")
    headings = [i for i, (level, _) in enumerate(blocks) if level == 1]
    if headings and (title is None or _plain(blocks[headings[0]][1]) == _plain(title)):
        # The first "# heading" is the headline: take it as the title, or drop it when the
        # front matter already says the same, so the title is not spoken twice.
        title = title or blocks[headings[0]][1]
        del blocks[headings[0]]
    return MarkdownArticle(
        title=_plain(title) if title is not None else None,
        paragraphs=tuple(p for p in (_plain(text) for _, text in blocks) if p),
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
    try:
        # BaseLoader keeps every value a string: "date: 2024-02-30" reaches our own date
        # check instead of failing inside YAML, and a numeric title stays text.
        data = yaml.load("\n".join(lines[1:end]), Loader=yaml.BaseLoader)
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
    return fields, "\n".join(lines[end + 1 :])


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


def _blocks(body: str) -> list[tuple[int, str]]:
    """Body -> (heading level or 0, text) blocks; a list item or heading is its own block."""
    blocks: list[tuple[int, str]] = []
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        if lines:
            blocks.append((0, " ".join(lines)))
            lines.clear()

    for line in body.split("\n"):
        if _FENCE.match(line):  # code is not spoken: drop fenced blocks whole
            flush()
            in_fence = not in_fence
            continue
        if in_fence or _LINK_DEFINITION.match(line):
            continue
        line = _QUOTE.sub("", line)
        heading = _HEADING.match(line)
        if not line.strip() or _RULE.match(line):
            flush()
        elif heading:
            flush()
            blocks.append((len(heading.group(1)), heading.group(2)))
        elif _LIST_ITEM.match(line):
            flush()
            lines.append(_LIST_ITEM.sub("", line).strip())
        else:
            lines.append(line.strip())
    flush()
    return blocks


def _plain(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text.strip()
