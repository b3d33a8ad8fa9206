"""Audio stage: stitch clips and pauses into one track with its Timeline, then encode."""
