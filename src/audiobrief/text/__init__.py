"""Text stage: split an Article into sentences and make each speakable (a Script)."""
