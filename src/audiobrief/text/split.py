"""Text stage: cut a paragraph into sentences and a sentence into voice-sized clauses."""

from __future__ import annotations

import itertools
import re

from audiobrief.errors import ConfigError
from audiobrief.text.lazy import lazy

_ARABIC_LETTER = "\u0621-\u063a\u0641-\u064a\u0671-\u06d3"
_CLOSERS = "\"'»”’)]}›"
_OPENERS = "\"'«“‘([{‹"
_TERMINATORS = ".!?؟…"

# A terminator run and the closing quotes or brackets glued after it. What follows
# decides: whitespace, the end or an Arabic letter ends the sentence; a digit or a
# Latin letter means the text goes on ("3.5", "للخليج..52%", "hespress.com").
_END_RE = lazy(f"(?:\\.(?: \\.)+|[{re.escape(_TERMINATORS)}]+)[{re.escape(_CLOSERS)}]*")
# After the run, a comma or semicolon (past spaces and quotes) means the sentence goes
# on: 'قالت: " خيار جيد ! "، وقد سلم' (the WikiNews gold does not split there either).
_CONTINUES_RE = lazy(f"[\\s{re.escape(_CLOSERS)}]*[،,؛;]")
# Spans whose periods never end a sentence, masked before the scan.
_PROTECTED_RES = (
    lazy(r"(?:https?://|www\.)\S*[^\s.,!?؟،؛:;)»\"']", re.IGNORECASE),  # URLs
    lazy(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    # Abbreviations: one letter and a period, repeated, at a word start: د. م. ص.ب.
    # ق.م. ج.م.ع. M. U.S. (a single letter never ends an Arabic sentence).
    lazy(f"(?<![^\\s{re.escape(_OPENERS)}])(?:[A-Za-z{_ARABIC_LETTER}][\u064b-\u0652]*\\.)+"),
    lazy(r"(?<![^\s(])(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|Inc|Ltd|Co|No|vs|etc)\.(?=\s)"),
)
_WORD_RE = lazy(r"\S+")
_SPACES_RE = lazy(r"(\s+)")
_BIDI = "\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"  # invisible; split runs before normalize
_NEW_SENTENCE_RE = lazy(f"[{_BIDI}]*(?:[\\s{_ARABIC_LETTER}]|$)")
_LETTER_OR_DIGIT_RE = lazy(r"[^\W_]")

# Clause boundaries: a word ending in one of these (closing quotes may follow it).
_CLAUSE_END_RE = lazy(f"(?:[؛;،,:]+|\\.\\.+|…)[{re.escape(_CLOSERS)}]*$")
_PAUSE_WORDS = frozenset({".", "-", "–", "—"})  # a spaced dash or a dot of ". . ."
_STRONG_CUT = frozenset("؛;:")
# Cut costs in "clauses": a cut at a space costs more than an extra clause at a comma.
_COST_CLAUSE = 1.0
_COST_WEAK_PUNCT = 0.2
_COST_SPACE = 3.0
_COST_NEAR_NUMBER = 5.0  # keeps "25 شتنبر 2023" or "1 500 000" in one clause
_COST_AFTER_FUNCTION_WORD = 1.5
_COST_BEFORE_LINK_WORD = -1.0  # a conjunction, preposition or relative opens a phrase
_COST_TINY = 4.0  # a 1-2 word clause, allowed only when nothing else fits
# Short words a clause should not end on ("في | المائة" reads badly) but may start with.
_FUNCTION_WORDS = frozenset(
    "في من على إلى الى عن مع و أو ثم بين حتى منذ عند لدى نحو ضمن دون حول عبر التي الذي "  # noqa: SIM905
    "الذين اللذين اللتين اللواتي أن إن لم لن قد لا ما كما بعد قبل حيث إذ بينما لأن".split()
)


def split_sentences(paragraph: str) -> list[str]:
    """Cut *paragraph* into sentences; the whitespace between them is all that is dropped.

    A sentence ends at `. ! ? ؟ …` (or a run like `...` or `?!`) plus any closing
    quotes or brackets, when whitespace, the end, or an Arabic letter follows: Hespress
    text glues sentences (`في المائة.وتُفيد`). Numbers (`3.5`, `10:30`, `25/09/2023`),
    URLs, e-mail addresses and abbreviations (`د.`, `ص.ب.`, `U.S.`) never end one.
    """
    scan = _mask_protected(paragraph)
    sentences: list[str] = []
    start = 0
    for match in _END_RE.finditer(scan):
        end = match.end()
        if not _NEW_SENTENCE_RE.match(scan, end) or _CONTINUES_RE.match(scan, end):
            continue  # "..52%", ".com", "! "،": the text goes on
        if _is_spaced_ellipsis(scan, match.start(), match.group()):
            continue
        _append_sentence(sentences, paragraph[start:end])
        start = end
    _append_sentence(sentences, paragraph[start:])
    return sentences


def _mask_protected(text: str) -> str:
    """Replace each period-like character inside a protected span by a NUL, same length."""
    chars = list(text)
    for pattern in _PROTECTED_RES:
        for match in pattern.finditer(text):
            for index in range(match.start(), match.end()):
                if chars[index] in ".!?؟,:/":
                    chars[index] = "\0"
    return "".join(chars)


def _is_spaced_ellipsis(text: str, start: int, run: str) -> bool:
    # Headlines use a spaced ellipsis as a dash ("تنخفض .. وتحويلات"): Arabic has no
    # capital letter to tell a new sentence, and Hespress titles are one sentence. So
    # dots (2+) or "…" with a space or opening bracket before them are a pause inside
    # the sentence; split_clauses may cut there. A glued "تنخفض... " does end it, but
    # dots spaced out (". . .") mark a cut-off quotation, as in the WikiNews gold.
    dots = run.rstrip(_CLOSERS)
    if " " in dots:
        return True
    is_ellipsis = "…" in dots or dots.count(".") >= 2
    return is_ellipsis and (start == 0 or text[start - 1].isspace() or text[start - 1] in _OPENERS)


def _append_sentence(sentences: list[str], piece: str) -> None:
    text = piece.strip()
    if not text:
        return
    if sentences and not _LETTER_OR_DIGIT_RE.search(text):
        sentences[-1] = f"{sentences[-1]}{piece.rstrip()}"  # a stray "." or ")" joins the last
    else:
        sentences.append(text)


def split_clauses(sentence: str, max_words: int = 20) -> list[str]:
    """Cut *sentence* into clauses of at most *max_words* words, for the voice and captions.

    A sentence of *max_words* words or fewer comes back whole, even with commas: a
    clause exists to respect the voice's limit (NOTES.md §1, pitfall 2), and each cut
    adds a pause. Longer ones are cut at `؛ ; ، , :` (the mark stays on the left) into
    as few clauses as fit, then at spaces into balanced pieces. Cuts fall only between
    whitespace-delimited words, so the script builder can re-split the diacritized
    sentence by word counts; 1-2 word clauses and cuts beside numbers are avoided.
    """
    if max_words < 1:
        raise ConfigError(f"max_words must be at least 1, not {max_words}; raise it.")
    words = list(_WORD_RE.finditer(sentence))
    if len(words) <= max_words:
        return [sentence.strip()] if words else []
    cuts = _best_cuts([m.group() for m in words], max_words)
    bounds = [0, *cuts, len(words)]
    return [
        sentence[words[first].start() : words[last - 1].end()]
        for first, last in itertools.pairwise(bounds)
    ]


def _best_cuts(words: list[str], max_words: int) -> list[int]:
    """Word indexes to cut before, minimizing clauses, space cuts and imbalance."""
    count = len(words)
    cut_cost = [0.0] + [_cut_cost(words[i - 1], words[i]) for i in range(1, count)]
    best = [0.0] + [float("inf")] * count
    back = [0] * (count + 1)
    for end in range(1, count + 1):
        for start in range(max(0, end - max_words), end):
            size = end - start
            cost = best[start] + _COST_CLAUSE + (size / max_words) ** 2 / 2
            cost += _COST_TINY if size <= 2 else 0.0
            cost += cut_cost[start] if start else 0.0
            if cost < best[end]:
                best[end], back[end] = cost, start
    cuts: list[int] = []
    position = back[count]
    while position:
        cuts.append(position)
        position = back[position]
    return cuts[::-1]


def _cut_cost(left: str, right: str) -> float:
    """What cutting between the words *left* and *right* costs."""
    punct = _CLAUSE_END_RE.search(left)
    if punct:  # "في 2020، قال" may be cut after the comma
        return 0.0 if punct.group()[0] in _STRONG_CUT else _COST_WEAK_PUNCT
    cost = _COST_WEAK_PUNCT if left in _PAUSE_WORDS else _COST_SPACE
    if any(ch.isdigit() for ch in left + right):
        cost += _COST_NEAR_NUMBER  # "2020 - 2022" stays whole
    if cost != _COST_SPACE:
        return cost
    if left in _FUNCTION_WORDS:
        cost += _COST_AFTER_FUNCTION_WORD
    elif right in _FUNCTION_WORDS or (right.startswith("و") and len(right) > 3):
        cost += _COST_BEFORE_LINK_WORD  # "... مكتب تنمية التعاون | وخاصة تلك ..."
    return cost


MAX_PIECE_WORDS = 60
"""The most words the model is given at once; news sentences rarely reach it."""
_CLAUSE_MARK_RE = lazy("[،؛,;:.!?؟]$")


def pieces(text: str, max_words: int = MAX_PIECE_WORDS) -> list[str]:
    """Cut *text* into pieces of at most *max_words* words; joined, they give *text* back.

    A piece ends at a clause mark once it holds half of *max_words*, else at the limit,
    so the model keeps as much context as it can and never gets an unbounded input.
    """
    out: list[str] = []
    current: list[str] = []
    words = 0
    for part in _SPACES_RE.split(text):
        current.append(part)
        if not part or part.isspace():
            continue
        words += 1
        if words >= max_words or (words >= max_words // 2 and _CLAUSE_MARK_RE.search(part)):
            out.append("".join(current))
            current, words = [], 0
    if current:
        out.append("".join(current))
    return [piece for piece in out if piece] or [text]
