"""audiobrief: Arabic news articles in, spoken MP3 episodes and a podcast feed out."""

__version__ = "0.1.0"

import warnings

# pydub warns at import when no ffmpeg is on PATH; audiobrief never calls ffmpeg
# (lameenc encodes, miniaudio decodes), so the warning would only mislead users.
warnings.filterwarnings("ignore", message="Couldn't find ffmpeg or avconv", category=RuntimeWarning)
