"""Articles stage: load a source (txt, html, md, URL, stdin) and clean it into an Article."""
