"""Publish stage: finish what a committed publish promised, and sweep what a dead run left."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from audiobrief.publish.catalog import Catalog
from audiobrief.publish.files import delete, is_temporary, replace_into

logger = logging.getLogger(__name__)


def finish_moves(catalog: Catalog, output_dir: Path) -> bool:
    """Move into place the files a committed episode promised; True if work was pending.

    A run killed between its catalog commit and its renames left them journaled: the
    commit decided, so they are rolled forward (a temporary already moved is skipped).
    """
    pending = catalog.pending()
    done = []
    for final, tmp in pending:
        if tmp is None:
            continue
        if (output_dir / tmp).is_file():
            replace_into(output_dir / tmp, output_dir / final)
            logger.warning("finished publishing %s (left by a run that stopped)", final)
        done.append(final)
    if done:
        catalog.settle(done)
    return bool(pending)


def collect_garbage(catalog: Catalog, output_dir: Path) -> list[Path]:
    """Delete the old files the refreshed feeds no longer list (journaled drops)."""
    root = output_dir.resolve()
    deleted = []
    drops = [final for final, tmp in catalog.pending() if tmp is None]
    for relpath in drops:
        path = output_dir / relpath
        if not path.resolve().is_relative_to(root):
            logger.warning("not deleting %s: it lies outside %s", path, output_dir)
            continue
        delete(path)
        deleted.append(path)
    if drops:
        catalog.settle(drops)
    return deleted


def remove_temporaries(catalog: Catalog, output_dir: Path) -> list[Path]:
    """Delete temporary files of dead runs, so `rsync` never publishes half a file.

    Called with the folder's lock held, after `finish_moves`: no living run has a
    temporary file in the output folder then.
    """
    promised = {tmp for _, tmp in catalog.pending() if tmp}
    removed = []
    for folder, _, names in os.walk(output_dir):
        for name in names:
            path = Path(folder) / name
            if is_temporary(name) and path.relative_to(output_dir).as_posix() not in promised:
                path.unlink(missing_ok=True)
                removed.append(path)
    if removed:
        logger.info("removed %d temporary files left by a run that stopped", len(removed))
    return removed
