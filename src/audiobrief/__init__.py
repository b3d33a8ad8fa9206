"""audiobrief: Arabic news articles in, spoken MP3 episodes and a podcast feed out."""

__version__ = "0.1.0"
