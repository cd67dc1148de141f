"""A seeded corpus of hostile files through every way a picture gets in (issue 16's Measure).

Each file must open as a sane picture or be refused with one line naming it; nothing else
(no traceback of another kind, no external program, no decoded monster). 300 mutants here;
benchmarks/fuzz_decode.py runs 10,000 with a per-case timeout and peak memory.
"""

from __future__ import annotations

import numpy as np
import pytest

from artstudio.core.imageio import ImageError, load_image, load_mask
from artstudio.core.latent_state import LatentFileError
from artstudio.core.recipe import read_recipe

from fuzz_inputs import corpus, reproductions

LIMIT = 40_000_000      # pixels: a cap far below the default, so a bomb that slips through shows


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    paths = []
    for name, data in corpus(300, seed=16):
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def _outcome(load, path):
    try:
        result = load(path)
    except ImageError as error:
        message = str(error)
        assert "\n" not in message and len(message) < 400, (path.name, message)
        assert path.name in message, (path.name, message)
        return "refused"
    pixels = getattr(result, "pixels", result)
    assert pixels.dtype == np.uint8 and pixels.ndim in (2, 3), path.name
    assert pixels.shape[0] * pixels.shape[1] <= LIMIT, path.name
    return "opened"


def test_every_reproduction_is_refused_in_one_line(tmp_path, no_ghostscript):
    for name, data in reproductions():
        path = tmp_path / name
        path.write_bytes(data)
        if name == "nested_recipe.png":     # a sound picture; its recipe is what must be refused
            assert _outcome(lambda p: load_image(p, max_pixels=LIMIT), path) == "opened"
            with pytest.raises(LatentFileError) as error:
                read_recipe(path)
            assert "\n" not in str(error.value)
            continue
        assert _outcome(lambda p: load_image(p, max_pixels=LIMIT), path) == "refused", name
    assert not no_ghostscript


def test_mutants_open_sanely_or_are_refused_in_one_line(files, no_ghostscript):
    outcomes = [_outcome(lambda p: load_image(p, max_pixels=LIMIT), path) for path in files]
    assert not no_ghostscript
    # A corpus that only ever opens (or only ever fails) tests nothing: both must occur often.
    assert 0.2 < outcomes.count("refused") / len(outcomes) < 0.95, outcomes.count("refused")


def test_the_same_files_as_masks(files, no_ghostscript):
    for path in files[::3]:
        _outcome(lambda p: load_mask(p, max_pixels=LIMIT), path)
    assert not no_ghostscript
