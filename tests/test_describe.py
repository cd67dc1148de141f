"""Words -> controls: which named sliders and tagged favourites a description moves, tags kept
with favourites, and the describe job (fake embedders; one test with the real sentence model)."""

from __future__ import annotations

import json
import random
import re
import zlib

import numpy as np
import pytest

from artstudio.core.describe import parse_phrases, read_description
from artstudio.core.favourites import MAX_TAG_CHARS, MAX_TAGS, FavouriteStore, clean_tags
from artstudio.core.generate_session import GenerateSession
from artstudio.jobs import describe as describe_jobs
from artstudio.jobs.base import CancelToken, run_sync
from artstudio.jobs.describe import DescribeRequest, run_describe
from artstudio.models.sentence import TextExtraMissing, text_extra_available
from test_favourites import entry
from test_generate_session import make_info

SYNONYMS = {"smiling": "smile", "grin": "smile", "older": "age", "aged": "age", "seaside": "beach"}


def fake_embed(texts: list[str]) -> np.ndarray:
    """A bag of words: each word a fixed random unit vector (synonyms share one), rows normalised."""
    rows = []
    for text in texts:
        vector = np.zeros(384)
        for word in re.findall(r"\w+", text.lower()):
            word = SYNONYMS.get(word, word)
            vector += np.random.default_rng(zlib.crc32(word.encode())).standard_normal(384)
        rows.append(vector / (np.linalg.norm(vector) or 1.0))
    return np.asarray(rows, np.float32)


class FakeModel:
    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        return fake_embed(list(texts))


SLIDERS = {0: "smile", 3: "age", 5: "glasses"}


def read(text, tags=None):
    return read_description(text, SLIDERS, tags or {}, fake_embed)


def test_more_smile_moves_the_smile_slider_up_and_not_age():
    reading = read("more smile")
    assert reading.edits({3: 0.5}) == {0: 1.0}
    assert reading.summary().startswith("smile 1.00 (+1σ)")


@pytest.mark.parametrize("text, expected", [
    ("less smile", {0: -1.0}), ("not smile", {0: -1.0}), ("very smile", {0: 2.0}),
    ("slightly more age", {3: 0.5}), ("a bit less age", {3: -0.5}), ("smile +2", {0: 2.0}),
    ("age -1.5", {3: -1.5}), ("smile 0", {0: 0.0}), ("very very smile", {0: 3.0}),     # within the ±3 sliders
    ("smiling, less aged and glasses +1", {0: 1.0, 3: -1.0, 5: 1.0}),
])
def test_amount_words_and_signed_numbers(text, expected):
    assert read(text).edits({0: 0.0}) == expected


def test_moves_start_from_where_the_slider_is():
    assert read("more smile").edits({0: 1.5}) == {0: 2.5}
    assert read("smile 0").edits({0: 1.5}) == {0: 0.0}


def test_younger_is_less_of_older_unless_a_slider_has_that_name():
    assert read("younger").edits({}) == {3: -1.0}       # "older" ~ "age" in the fake embedder
    assert read_description("young", {2: "young"}, {}, fake_embed).edits({}) == {2: 1.0}


def test_below_the_threshold_nothing_moves_and_the_closest_is_said():
    reading = read("banana")
    assert reading.matches == () and reading.edits({}) == {}
    assert re.match(r"Nothing matched 0\.50 or more \(closest: 'banana' ~ \w+ -?\d\.\d\d\)", reading.summary())


def test_a_tagged_favourite_is_recalled_and_a_negated_one_is_not():
    tags = {0: ("forest",), 1: ("beach", "sunset")}
    reading = read("seaside and more smile", tags)
    assert reading.favourite.key == 1 and reading.favourite.label == "beach"
    assert reading.edits({}) == {0: 1.0}
    assert "#2 beach 1.00" in reading.summary()
    assert read("not beach", tags).favourite is None


@pytest.mark.parametrize("text", ["", "   ", "更多微笑，年龄", "ещё улыбку", "more", "+2", "\x00\x1f", "a" * 5000])
def test_any_language_or_empty_text_reads_without_error(text):
    reading = read(text)
    assert reading.edits({}) == {} and isinstance(reading.summary(), str)


def test_phrases_split_at_commas_and_conjunctions():
    assert [p.subject for p in parse_phrases("more smile, less age and glasses; then beard")] == \
        ["smile", "age", "glasses", "beard"]


# -- tags on favourites ---------------------------------------------------------------------

def test_tags_are_bounded_and_cleaned():
    assert clean_tags(" beach ,Beach, sunset,, ") == ("beach", "sunset")
    hostile = ["x" * 500, 7, None, *[f"t{i}" for i in range(100)], "bad\x00tag"]
    tags = clean_tags(hostile)
    assert len(tags) == MAX_TAGS and all(isinstance(t, str) and len(t) <= MAX_TAG_CHARS for t in tags)
    assert clean_tags({"not": "a list"}) == ()


def test_tags_are_saved_with_favourites_and_files_without_tags_still_read(tmp_path):
    store = FavouriteStore(tmp_path)
    first, second = entry(1), entry(2)
    store.save("toy", [first, second], [("beach",), ()])
    entries, tags = store.load_tagged("toy")
    assert [s for s, _ in entries] == [first[0], second[0]] and tags == [("beach",), ()]
    data = json.loads(store.path_for("toy").read_text())
    del data["favourites"][0]["tags"]                     # a file from before tags
    data["favourites"][1]["tags"] = ["y" * 10_000] * 1000 + [{"no": 1}]
    store.path_for("toy").write_text(json.dumps(data))
    entries, tags = store.load_tagged("toy")
    assert len(entries) == 2 and tags[0] == () and tags[1] == ("y" * MAX_TAG_CHARS,)


def test_a_session_tags_a_favourite_and_the_tag_survives_a_restart_and_a_removal(tmp_path):
    def session():
        s = GenerateSession(rng=random.Random(1), store=FavouriteStore(tmp_path))
        s.load_model(make_info())
        return s

    first = session()
    first.set_last_image(np.zeros((32, 32, 3), np.uint8))
    first.add_favourite()
    first.set_edit(1, 1.0)
    first.add_favourite()
    messages = []
    first.events.message.connect(messages.append)
    assert first.tag_favourite(1, "beach, sunset") and not first.tag_favourite(5, "x")
    assert messages == ["Favourite #2: beach, sunset"]
    second = session()
    assert second.favourite_tags() == [(), ("beach", "sunset")]
    second.remove_favourite(0)
    assert session().favourite_tags() == [("beach", "sunset")]


# -- the describe job ---------------------------------------------------------------------------

def test_the_job_answers_with_palette_matches_and_scores(monkeypatch):
    model = FakeModel()
    monkeypatch.setattr(describe_jobs, "sentence_model", lambda: model)
    request = DescribeRequest("more smile, navy blue and dusty rose", tuple(SLIDERS.items()),
                              ((2, ("beach",)),))
    answer = run_sync(run_describe(request, CancelToken()))
    assert [name for name, _ in answer.palette] == ["navy blue", "dusty rose"]
    assert answer.reading.edits({}) == {0: 1.0} and answer.notes == () and answer.latent is None
    assert answer.summary().startswith("smile 1.00 (+1σ)") and "colours: navy blue, dusty rose" in answer.summary()


def test_without_the_text_extra_colours_still_work_and_one_line_says_how(monkeypatch):
    def missing():
        raise TextExtraMissing("Text features need the optional text extra: pip install 'artstudio[text]'")
    monkeypatch.setattr(describe_jobs, "sentence_model", missing)
    answer = run_sync(run_describe(DescribeRequest("more smile and teal", tuple(SLIDERS.items())), CancelToken()))
    assert [name for name, _ in answer.palette] == ["teal"] and answer.reading.matches == ()
    assert len(answer.notes) == 1 and "pip install 'artstudio[text]'" in answer.notes[0]


@pytest.mark.skipif(not text_extra_available(), reason="the text extra is not installed")
def test_the_real_sentence_model_matches_related_words():
    from artstudio.models.sentence import sentence_model

    encode = sentence_model().encode
    reading = read_description("a bit more smiling, younger", {0: "smile", 1: "age", 2: "hair colour"}, {}, encode)
    assert reading.edits({}) == {0: 0.5, 1: -1.0}
    scores = {m.label: m.score for m in reading.matches}
    assert 0.5 < scores["smile"] < 1.0 and 0.5 < scores["age"] < 1.0
    assert read_description("banana", {0: "smile", 1: "age"}, {}, encode).matches == ()
