"""Articles stage: refuse an article too long to speak, before any work starts on it."""

from __future__ import annotations

from audiobrief.articles.load import STDIN_LABEL
from audiobrief.errors import ArticleError
from audiobrief.model import Article


def check_length(article: Article, max_words: int) -> Article:
    """Return *article* unchanged if it holds at most *max_words* words (headline included).

    Raises:
        ArticleError: the article is longer; the message gives both counts and the setting.
    """
    # One paragraph at a time: the text is never joined into one more copy.
    words = sum(len(text.split()) for text in (article.title, *article.paragraphs))
    if words <= max_words:
        return article
    label = STDIN_LABEL if article.meta.source == "-" else article.meta.source
    raise ArticleError(
        label,
        f"has {words:,} words, over the limit of {max_words:,} (max_article_words); "
        "split it into shorter articles, or raise max_article_words",
    )
