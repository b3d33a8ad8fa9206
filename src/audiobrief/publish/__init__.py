"""Publish stage: tags, captions, chapters, transcripts, catalog, feeds and page."""
