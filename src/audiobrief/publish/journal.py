"""Publish stage: finish what a committed publish promised, and sweep what a dead run left."""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

from audiobrief.model import EpisodeKind
from audiobrief.publish.catalog import Catalog
from audiobrief.publish.files import is_temporary
from audiobrief.publish.storage import Storage

logger = logging.getLogger(__name__)

UPLOADS = ".audiobrief/uploads"
"""Where a bucket keeps one small note per publish in flight: what it is uploading."""


def finish_moves(catalog: Catalog, storage: Storage, work_dir: Path) -> bool:
    """Move into place the files a committed episode promised; True if work was pending.

    A run killed between its catalog commit and its renames left them journaled: the
    commit decided, so they are rolled forward (a temporary already moved is skipped).
    """
    pending = catalog.pending()
    done = []
    for final, tmp in pending:
        if tmp is None:
            continue
        if (work_dir / tmp).is_file():
            storage.move_in(final, work_dir / tmp)
            logger.warning("finished publishing %s (left by a run that stopped)", final)
        done.append(final)
    if done:
        catalog.settle(done)
    return bool(pending)


def collect_garbage(catalog: Catalog, storage: Storage) -> list[str]:
    """Delete the old files the refreshed feeds no longer list (journaled drops)."""
    drops = [final for final, tmp in catalog.pending() if tmp is None]
    for name in drops:
        storage.delete(name)
    if drops:
        catalog.settle(drops)
    return drops


def upload_first(storage: Storage, kind: EpisodeKind, key: str, files: dict[str, Path]) -> str:
    """Upload an episode's *files* (final name: staged file) before its catalog commit.

    A note listing them goes up first; the publisher deletes it once the catalog has
    committed. A note still there when the next run opens names what a dead run left:
    `collect_orphans` finds those without listing the bucket. Returns the note's name.
    """
    note = f"{UPLOADS}/{uuid.uuid4().hex}.json"
    storage.put_bytes(note, json.dumps({"kind": kind, "key": key, "files": sorted(files)}))
    for name, path in files.items():
        storage.move_in(name, path)
    return note


def collect_orphans(catalog: Catalog, storage: Storage) -> list[str]:
    """Delete what runs that died between upload and commit uploaded; return the names.

    Called with the site locked: no living run has a note then. One listing of the
    notes' folder (empty unless a run died) is the whole cost of a clean run.
    """
    if not storage.uploads_first:
        return []
    deleted = []
    for note in storage.names(UPLOADS):
        data = storage.read(note)
        try:
            found = json.loads(data or b"{}")
            record = catalog.find(found["kind"], found["key"])
            files = [str(name) for name in found["files"]]
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring the damaged upload note %s", note)
            storage.delete(note)
            continue
        listed = {record.mp3, *record.files.values()} if record else set()
        for name in files:
            if name not in listed:  # never committed: no feed can list it
                storage.delete(name)
                deleted.append(name)
        storage.delete(note)
    if deleted:
        logger.warning("deleted %d files a run that stopped had uploaded", len(deleted))
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
