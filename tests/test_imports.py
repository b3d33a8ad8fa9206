"""Import weight and boundaries: the CLI starts light, libraries stay in their stage."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "audiobrief"
HEAVY = (
    "gtts",
    "requests",
    "piper",
    "onnxruntime",
    "espeakng_loader",
    "text2tashkeel",
    "trafilatura",
    "pydub",
    "mutagen",
    "numpy",
    "lameenc",
)


def test_help_loads_no_engine_library() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from audiobrief.cli import cli; "
        "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0, r.output; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


MODULES = sorted(SRC.rglob("*.py"))
# library -> the only places (relative to src/audiobrief) allowed to import it
ALLOWED = {
    "click": ("cli/",),
    "mutagen": ("publish/tags.py",),
    "jinja2": ("publish/",),
    "pydub": ("engines/", "audio/", "voice/"),  # voice/: types only
    "gtts": ("engines/gtts_engine.py",),
    "espeakng_loader": ("engines/espeak_engine.py",),
    "piper": ("engines/piper_engine.py", "text/diacritize.py"),
}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_libraries_are_imported_only_in_their_stage(path: Path) -> None:
    where = str(path.relative_to(SRC))
    for library in _imports(path) & ALLOWED.keys():
        assert where.startswith(ALLOWED[library]), f"{library} imported in {where}"


STAGES = ("articles", "text", "engines", "audio", "publish")


@pytest.mark.parametrize("stage", STAGES)
def test_stages_do_not_import_each_other(stage: str) -> None:
    for path in (SRC / stage).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("audiobrief."):
                other = node.module.split(".")[1]  # type: ignore[union-attr]
                assert other not in STAGES or other == stage, f"{path.name} imports {other}"


FRONT_DOORS = {
    *("audiobrief.articles", "audiobrief.text", "audiobrief.publish"),  # the stages' doors
    "audiobrief.voice",  # profiles, voice factory and rendering
    *("audiobrief.config", "audiobrief.errors", "audiobrief.model"),  # the lower floor
    *("audiobrief.store", "audiobrief.cache"),
    *("audiobrief.pipeline", "audiobrief.ingest", "audiobrief.reuse"),  # the glue itself
}


@pytest.mark.parametrize("glue", ["pipeline.py", "ingest.py", "reuse.py"])
def test_the_pipeline_calls_each_stage_through_its_front_door(glue: str) -> None:
    for node in ast.walk(ast.parse((SRC / glue).read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("audiobrief"):
            module = node.module or ""
            names = [f"{module}.{alias.name}" for alias in node.names]
            assert module in FRONT_DOORS or all(n in FRONT_DOORS for n in names), (
                f"{glue} imports {module}: call the stage's front door instead"
            )


LOWER_FLOOR = (
    "model.py",
    "errors.py",
    "store.py",
    "cache.py",
    "cache_ledger.py",
    "cache_remote.py",
)
"""Every stage may import these; they import nothing of the package but each other."""


@pytest.mark.parametrize("name", LOWER_FLOOR)
def test_the_lower_floor_imports_no_stage_and_no_glue(name: str) -> None:
    floor = {Path(n).stem for n in LOWER_FLOOR}
    for node in ast.walk(ast.parse((SRC / name).read_text(encoding="utf-8"))):
        modules: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        for module in modules:
            parts = module.split(".")
            if parts[0] == "audiobrief" and len(parts) > 1 and module != "audiobrief":
                assert parts[1] in floor, f"{name} imports {module}"


# A subprocess that records every pattern compiled through re.compile, and by which file.
_COMPILE_SPY = """
import json, re, sys
seen = []
real = re.compile
def spy(pattern, flags=0):
    seen.append([sys._getframe(1).f_code.co_filename, len(pattern)])
    return real(pattern, flags)
re.compile = spy
import audiobrief.pipeline
at_import = list(seen)
from audiobrief.text.normalize import normalize
normalize(sys.argv[1])
print(json.dumps([at_import, seen[len(at_import):]]))
"""


def _compiled_patterns(sentence: str) -> tuple[list[list[object]], list[list[object]]]:
    """(file, length) of each pattern compiled by importing the pipeline, then normalizing."""
    args = [sys.executable, "-c", _COMPILE_SPY, sentence]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    at_import, when_used = json.loads(out.stdout)
    return at_import, when_used


def test_importing_the_pipeline_compiles_no_pattern_of_the_text_stage() -> None:
    at_import, when_used = _compiled_patterns("دفع 3 مليون درهم يوم 25 شتنبر 2023")
    text_stage = str(SRC / "text")
    # vowel() at import (the symbols' words) needs two one-class patterns; nothing more.
    assert [p for p in at_import if str(p[0]).startswith(text_stage) and int(p[1]) > 100] == []
    assert max((int(p[1]) for p in at_import), default=0) < 1000
    # The spy sees them: a number compiles the money, date and number patterns on first use.
    assert max(int(p[1]) for p in when_used) > 2000


def test_a_sentence_without_digits_or_latin_compiles_none_of_the_big_patterns() -> None:
    _, when_used = _compiled_patterns("قال الوزير إن الحكومة ستواصل الإصلاح في المئة من الحالات")
    assert when_used, "normalize compiled nothing: the spy is blind"
    assert max(int(p[1]) for p in when_used) < 1000
