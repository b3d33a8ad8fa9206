"""Diacritization: the letter guard, shadda order and word count, with a stub and real models."""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from audiobrief.errors import ConfigError, EngineError, EngineUnavailableError
from audiobrief.text import split as split_module
from audiobrief.text import tashkeel_models
from audiobrief.text.diacritize import Diacritizer, shadda_first, strip_marks
from support import needs_piper

SHADDA, FATHA, KASRA = "\u0651", "\u064e", "\u0650"


class StubModel:
    """Answers from a table (or echoes), counting how often it was loaded and called."""

    def __init__(self, answers: dict[str, str] | Callable[[str], str]) -> None:
        self.answers = answers
        self.loads = 0
        self.calls: list[str] = []

    def load(self, name: str, cache: object = None) -> Callable[[str], str]:
        self.loads += 1
        return self.predict

    def predict(self, text: str) -> str:
        self.calls.append(text)
        if callable(self.answers):
            return self.answers(text)
        return self.answers.get(text, text)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Callable[..., StubModel]:
    def install(answers: dict[str, str] | Callable[[str], str]) -> StubModel:
        model = StubModel(answers)
        monkeypatch.setattr(tashkeel_models, "load_model", model.load)
        return model

    return install


def test_a_word_whose_letters_the_model_changed_stays_as_written(
    stub: Callable[..., StubModel],
) -> None:
    stub({"ترأست نائب": "تَرَاسَتْ نَائِبُ"})  # rawi drops the hamza of ترأست
    assert Diacritizer("rawi-ensemble")("ترأست نائب") == "ترأست نَائِبُ"


def test_shadda_comes_before_the_vowel_even_after_nfc(stub: Callable[..., StubModel]) -> None:
    nfc = unicodedata.normalize("NFC", f"الس{SHADDA}{FATHA}ي{SHADDA}{KASRA}د")
    assert f"{FATHA}{SHADDA}" in nfc  # NFC puts the vowel first: eSpeak would drop it
    stub({"السيد": nfc})
    assert Diacritizer("rawi-ensemble")("السيد") == f"الس{SHADDA}{FATHA}ي{SHADDA}{KASRA}د"


def test_shadda_first_moves_only_shadda_after_a_vowel() -> None:
    assert shadda_first(f"ب{KASRA}{SHADDA} ب{SHADDA}{KASRA} ب{SHADDA}") == (
        f"ب{SHADDA}{KASRA} ب{SHADDA}{KASRA} ب{SHADDA}"
    )


def test_words_the_user_diacritized_are_kept(stub: Callable[..., StubModel]) -> None:
    written = f"مُحَم{SHADDA}{FATHA}دٌ ذهب"
    stub({written: "مَحْمُودٌ ذَهَبَ"})
    assert Diacritizer("rawi-ensemble")(written) == f"مُحَم{SHADDA}{FATHA}دٌ ذَهَبَ"


def test_spacing_punctuation_and_latin_pass_through(stub: Callable[..., StubModel]) -> None:
    written = "  ذهب\tالولد ،  (Hespress) 2020 .\n"
    stub(lambda text: text.replace("ذهب", "ذَهَبَ").replace("الولد", "الْوَلَدُ").strip())
    assert Diacritizer("rawi-ensemble")(written) == "  ذَهَبَ\tالْوَلَدُ ،  (Hespress) 2020 .\n"


def test_a_changed_word_count_falls_back_to_runs_of_words(
    stub: Callable[..., StubModel], caplog: pytest.LogCaptureFixture
) -> None:
    def drop_symbols(text: str) -> str:  # what rawi does to "©"
        marked = text.replace("ذهب", "ذَهَبَ").replace("عاد", "عَادَ")
        return " ".join(word for word in marked.split() if word != "©")

    model = stub(drop_symbols)
    with caplog.at_level(logging.WARNING, logger="audiobrief.text.diacritize"):
        result = Diacritizer("rawi-ensemble")("ذهب © عاد")
    assert result == "ذَهَبَ © عَادَ"
    assert model.calls == ["ذهب © عاد", "ذهب ", "عاد"]
    assert "word count" in caplog.text


def test_text_without_bare_arabic_words_never_loads_the_model(
    stub: Callable[..., StubModel],
) -> None:
    model = stub({})
    diacritizer = Diacritizer("rawi-ensemble")
    assert diacritizer("") == ""
    assert diacritizer(" 2020 Hespress ، ") == " 2020 Hespress ، "
    assert model.loads == 0


def test_the_model_loads_once_across_threads(stub: Callable[..., StubModel]) -> None:
    model = stub({})
    diacritizer = Diacritizer("rawi-ensemble")
    threads = [threading.Thread(target=diacritizer, args=("ذهب",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert model.loads == 1
    assert len(model.calls) == 8


def test_an_unknown_model_is_a_config_error_listing_the_choices() -> None:
    with pytest.raises(ConfigError, match="rawi-ensemble"):
        Diacritizer("shakkala")


def test_a_failing_model_becomes_an_engine_error(stub: Callable[..., StubModel]) -> None:
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail  # derives from Exception only

    def fail(text: str) -> str:
        raise Fail("[ONNXRuntimeError] : 1 : FAIL")

    stub(fail)
    with pytest.raises(EngineError, match="diacritizer engine: model rawi-ensemble failed"):
        Diacritizer("rawi-ensemble")("ذهب")


def test_piper_tashkeel_without_piper_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tashkeel_models, "piper_tashkeel_dir", lambda: None)
    with pytest.raises(EngineUnavailableError, match="pip install piper-tts "):
        Diacritizer("piper-tashkeel")("ذهب")
    assert Diacritizer().name == "rawi-ensemble"


@needs_piper
def test_auto_prefers_the_piper_tashkeel_model_when_installed() -> None:
    assert Diacritizer().name == "piper-tashkeel"


SENTENCE = "ترأست السيدة خديجة الحجوبي يوم الاثنين أشغال جلسة عمل بمقر الجهة © 2023."


@pytest.mark.parametrize(
    "model", ["rawi-ensemble", pytest.param("piper-tashkeel", marks=needs_piper)]
)
def test_a_real_model_adds_marks_and_keeps_letters_and_words(model: str) -> None:
    result = Diacritizer(model)(SENTENCE)
    assert strip_marks(result) == SENTENCE
    assert len(result.split()) == len(SENTENCE.split())
    marked = [w for w in result.split() if strip_marks(w) != w]
    assert len(marked) >= 9  # all but a few of the 11 Arabic words
    assert not re.search("[\u064b-\u0650]\u0651", result)  # shadda first, always


@needs_piper
@pytest.mark.parametrize(("given", "used"), [(None, 1), ("2", 2)])
def test_the_model_runs_on_one_onnx_thread_unless_the_user_chose_otherwise(
    monkeypatch: pytest.MonkeyPatch, given: str | None, used: int
) -> None:
    import onnxruntime

    threads: list[int] = []
    session = onnxruntime.InferenceSession

    def spied(path: object, sess_options: onnxruntime.SessionOptions, **kwargs: object) -> object:
        threads.append(sess_options.intra_op_num_threads)
        return session(path, sess_options=sess_options, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", spied)
    if given is None:
        monkeypatch.delenv("TT_ORT_THREADS", raising=False)
    else:
        monkeypatch.setenv("TT_ORT_THREADS", given)
    Diacritizer("piper-tashkeel")("ذهب الولد")

    assert threads == [used]  # by default no pool spinning beside speak's other worker
    assert os.environ.get("TT_ORT_THREADS") == given  # the environment as it was


def test_piper_maps_that_text2tashkeel_cannot_decode_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "model.onnx").write_bytes(b"")
    for key in ("input", "hint", "target"):
        (tmp_path / f"{key}_id_map.json").write_text('{"_": 0, "x": 1}', encoding="utf-8")
    monkeypatch.setattr(tashkeel_models, "piper_tashkeel_dir", lambda: tmp_path)
    with pytest.raises(EngineUnavailableError, match="choose the model rawi-ensemble"):
        Diacritizer("piper-tashkeel")("ذهب")


def test_a_word_with_only_a_shadda_still_gets_vowels() -> None:
    from audiobrief.text.diacritize import Diacritizer, needs_marks, strip_marks

    assert needs_marks("تمّ")
    out = Diacritizer()("تمّ ذلك ويثمّن الجميع المبادرة")
    first, _, third, *_ = out.split()
    assert strip_marks(first) == "تم"
    assert "\u0651" in first
    assert "\u064e" in first  # a fatha: eSpeak hears a vowel
    assert "\u0651" in third  # the writer's shadda is kept
    assert "\u0651\u0652" not in third


def _fatha_model(calls: list[str]) -> Callable[[str], str]:
    """A model that adds a fatha and notes every sentence it was asked."""

    def model(text: str) -> str:
        calls.append(text)
        return text + "\u064e"

    return model


def test_cached_diacritizer_answers_a_known_sentence_without_the_model(tmp_path: Path) -> None:
    from audiobrief.cache import Cache
    from audiobrief.text.diacritize_cache import CachedDiacritizer

    calls: list[str] = []
    model = _fatha_model(calls)
    first = CachedDiacritizer(model, Cache(tmp_path), "m")
    assert first("باب") == "باب\u064e"
    again = CachedDiacritizer(model, Cache(tmp_path), "m")  # another run, same cache folder
    assert again("باب") == "باب\u064e"
    assert calls == ["باب"]
    assert CachedDiacritizer(model, Cache(tmp_path), "other")("باب") == "باب\u064e"
    assert calls == ["باب", "باب"]  # another model is another key


def test_an_answer_cut_short_in_the_cache_is_asked_again(tmp_path: Path) -> None:
    from audiobrief.cache import Cache
    from audiobrief.text.diacritize_cache import KIND, CachedDiacritizer

    calls: list[str] = []
    model = _fatha_model(calls)
    cached = CachedDiacritizer(model, Cache(tmp_path), "m")
    assert cached("باب\r\n") == "باب\r\n\u064e"
    assert cached("باب\r\n") == "باب\r\n\u064e"  # the answer comes back byte for byte
    assert len(calls) == 1
    (entry,) = (tmp_path / KIND).rglob("*.json")
    whole = entry.read_bytes()
    entry.write_bytes(whole[:-3])  # a crash before the last bytes reached the disk
    assert cached("باب\r\n") == "باب\r\n\u064e"
    assert len(calls) == 2
    assert entry.read_bytes() == whole  # rewritten whole


def test_an_unpunctuated_800_word_sentence_reaches_the_model_in_bounded_pieces(
    stub: Callable[..., StubModel],
) -> None:
    model = stub(lambda text: " ".join(w + FATHA for w in text.split()))
    sentence = " ".join((["كتب", "الطالب", "درسه"] * 267)[:800])
    result = Diacritizer("rawi-ensemble")(sentence)
    assert max(len(call.split()) for call in model.calls) <= split_module.MAX_PIECE_WORDS
    assert len(model.calls) >= len(sentence.split()) // split_module.MAX_PIECE_WORDS
    assert strip_marks(result) == sentence
    assert len(result.split()) == len(sentence.split())


def test_pieces_cut_at_a_clause_mark_once_half_full_and_give_the_text_back() -> None:
    text = " ".join(f"كلمة{i % 10}" + ("،" if i % 35 == 34 else "") for i in range(200))
    pieces = split_module.pieces(text, max_words=60)
    assert "".join(pieces) == text
    sizes = [len(p.split()) for p in pieces]
    assert max(sizes) <= 60
    assert sizes[0] == 35  # the comma after word 35, not the limit at 60


@needs_piper
def test_piper_tashkeel_loads_from_its_optimized_copy_with_the_same_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnxruntime

    from audiobrief.cache import Cache

    sentence = "قال الوزير إن الحكومة ستنفق أموالا كثيرة في العام المقبل"
    loaded: list[str] = []
    real = onnxruntime.InferenceSession

    def session(path: str, *args: object, **kwargs: object) -> object:
        loaded.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", session)
    plain = Diacritizer("piper-tashkeel")(sentence)
    cache = Cache(tmp_path / "cache")
    first = Diacritizer("piper-tashkeel", cache=cache)(sentence)
    kept = list((tmp_path / "cache" / tashkeel_models.OPTIMIZED).rglob("*.onnx"))
    second = Diacritizer("piper-tashkeel", cache=cache)(sentence)

    assert plain == first == second
    assert len(kept) == 1
    # Without a cache: the wheel's model; the first time: it again, to optimize and to
    # run; then only the optimized copy.
    assert loaded[0].endswith("model.onnx")
    assert loaded[-1] == str(kept[0])
    assert loaded.count(str(kept[0])) == 2


@needs_piper
def test_a_cache_that_cannot_keep_the_model_loads_the_original(tmp_path: Path) -> None:
    from audiobrief.cache import Cache

    (tmp_path / "cache").write_text("a file where the folder should be", encoding="utf-8")
    diacritizer = Diacritizer("piper-tashkeel", cache=Cache(tmp_path / "cache"))

    assert diacritizer("ذهب الولد") != "ذهب الولد"


@needs_piper
def test_a_damaged_optimized_model_is_removed_and_the_original_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from audiobrief.cache import Cache

    cache = Cache(tmp_path / "cache")
    expected = Diacritizer("piper-tashkeel", cache=cache)("ذهب الولد")
    (kept,) = (tmp_path / "cache" / tashkeel_models.OPTIMIZED).rglob("*.onnx")
    kept.write_bytes(kept.read_bytes()[:1000])  # cut short, as a power cut may leave it

    with caplog.at_level(logging.WARNING):
        again = Diacritizer("piper-tashkeel", cache=cache)("ذهب الولد")

    assert again == expected
    assert not kept.exists()
    assert "unusable; removed" in caplog.text
    assert not list((tmp_path / "cache").rglob("work-*"))
