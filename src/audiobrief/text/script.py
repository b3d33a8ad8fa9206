"""Text stage entry point: an Article becomes a Script of speakable segments."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from audiobrief.model import Article, Pauses, Script, Section, Segment
from audiobrief.text.split import split_clauses, split_sentences

logger = logging.getLogger(__name__)

TextStep = Callable[[str], str]


def build_script(
    article: Article,
    *,
    normalize: TextStep,
    diacritize: TextStep | None,
    pauses: Pauses,
    max_words: int = 20,
) -> Script:
    """Split *article* into clause segments, each with its written and spoken form."""
    section = build_section(
        article.title,
        article.paragraphs,
        url=article.meta.url,
        normalize=normalize,
        diacritize=diacritize,
        pauses=pauses,
        max_words=max_words,
    )
    return Script(title=article.title, sections=(section,))


def build_section(
    heading: str,
    paragraphs: Sequence[str],
    *,
    url: str | None,
    normalize: TextStep,
    diacritize: TextStep | None,
    pauses: Pauses,
    max_words: int = 20,
) -> Section:
    """One chapter: *heading* spoken first (paragraph 0), then each body paragraph."""
    blocks = [[heading]] + [split_sentences(p) for p in paragraphs]
    segments: list[Segment] = []
    sentence = 0
    for paragraph, sentences in enumerate(blocks):
        for sentence_text in sentences:
            clauses = split_clauses(sentence_text, max_words)
            spoken = _speak_clauses(clauses, normalize, diacritize)
            for written, said in zip(clauses, spoken, strict=True):
                if said.strip():
                    segments.append(
                        Segment(written.strip(), said, paragraph, sentence, pauses.clause_ms)
                    )
            sentence += 1
            _end_last(segments, pauses.sentence_ms)
        _end_last(segments, pauses.paragraph_ms)
    _end_last(segments, pauses.section_ms)
    return Section(title=heading, segments=tuple(segments), url=url)


def _speak_clauses(
    clauses: Sequence[str], normalize: TextStep, diacritize: TextStep | None
) -> list[str]:
    """Normalize each clause, then diacritize the sentence as a whole for context."""
    spoken = [" ".join(normalize(c).split()) for c in clauses]
    if diacritize is None:
        return spoken
    # The diacritizer keeps the whitespace word count, so the sentence's diacritized
    # words can be dealt back to their clauses; if it ever does not, go clause by clause.
    words = diacritize(" ".join(s for s in spoken if s)).split()
    counts = [len(s.split()) for s in spoken]
    if len(words) != sum(counts):
        logger.debug("diacritizer changed the word count; diacritizing clause by clause")
        return [diacritize(s) if s else s for s in spoken]
    out, start = [], 0
    for count in counts:
        out.append(" ".join(words[start : start + count]))
        start += count
    return out


def _end_last(segments: list[Segment], pause_ms: int) -> None:
    """Lengthen the pause after the last segment to *pause_ms* (never shorten it)."""
    if segments and segments[-1].pause_after_ms < pause_ms:
        segments[-1] = replace(segments[-1], pause_after_ms=pause_ms)
