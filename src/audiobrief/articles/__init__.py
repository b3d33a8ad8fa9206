"""Articles stage: load a source (txt, html, md, URL, stdin) and clean it into an Article.

The front door: what the pipeline may call. Everything else here is the stage's own.
"""

from audiobrief.articles.feeds import Entry, read_entries
from audiobrief.articles.limits import check_length
from audiobrief.articles.load import load_article, read_file
from audiobrief.articles.pages import Fetched, content_hash, fetch_articles

__all__ = [
    "Entry",
    "Fetched",
    "check_length",
    "content_hash",
    "fetch_articles",
    "load_article",
    "read_entries",
    "read_file",
]
