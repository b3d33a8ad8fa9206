"""The golden-file check itself: a missing golden fails; updating writes it on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import check_golden


def test_a_missing_golden_fails_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "golden" / "missing.txt"
    with pytest.raises(pytest.fail.Exception, match="--update-golden"):
        check_golden(path, "anything\n", update=False)
    assert not path.exists()


def test_a_golden_that_differs_fails(tmp_path: Path) -> None:
    path = tmp_path / "kept.txt"
    path.write_text("expected\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        check_golden(path, "actual\n", update=False)


def test_updating_writes_the_golden_then_it_matches(tmp_path: Path) -> None:
    path = tmp_path / "golden" / "new.txt"
    check_golden(path, "نص\n", update=True)
    assert path.read_text(encoding="utf-8") == "نص\n"
    check_golden(path, "نص\n", update=False)
