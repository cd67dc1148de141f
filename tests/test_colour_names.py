"""Colour names in a description become a palette, and the palette recolours a picture."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from artstudio.core import colour_names
from artstudio.core.colour_names import ColourNamesError, find_colours, gradient_map, luminance, palette_swatch
from artstudio.core.colour_transfer import match_colours


def test_multi_word_names_come_back_in_the_order_written():
    palette = find_colours("navy blue and dusty rose")
    assert [name for name, _ in palette] == ["navy blue", "dusty rose"]
    navy, rose = (np.array(rgb) for _, rgb in palette)
    assert navy[2] > navy[0] and rose[0] > rose[2]          # a blue, then a pink


def test_unknown_words_other_languages_and_empty_text_are_ignored():
    assert find_colours("a quiet 日本 evening, über alles") == []
    assert find_colours("") == [] and find_colours(None) == []
    assert [n for n, _ in find_colours("金色 and gold")] == ["gold"]


def test_light_and_dark_shade_a_name_and_negated_colours_are_skipped():
    (name, dark), = find_colours("dark dusty rose")
    (_, plain), = find_colours("dusty rose")
    assert name == "dark dusty rose" and sum(dark) < sum(plain)
    assert [n for n, _ in find_colours("light blue")] == ["light blue"]     # a name of its own
    assert [n for n, _ in find_colours("not red but green")] == ["green"]
    assert [n for n, _ in find_colours("blue-green and robin's egg blue")] == ["blue green", "robin's egg blue"]


def test_without_matplotlib_one_line_names_the_extra(monkeypatch):
    monkeypatch.setattr(colour_names, "_table", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.colors", None)
    with pytest.raises(ColourNamesError, match=r"pip install 'artstudio\[text\]'") as caught:
        find_colours("red")
    assert "\n" not in str(caught.value)


def _pattern() -> np.ndarray:
    y, x = np.mgrid[0:96, 0:96].astype(np.float32)
    grey = (np.sin(x / 7) * np.cos(y / 11) * 0.5 + 0.5) * 255
    return np.stack([grey, grey * 0.8, 255 - grey], axis=-1).astype(np.uint8)


def test_a_gradient_map_keeps_the_structure_and_uses_the_palette():
    image = _pattern()
    palette = find_colours("navy blue and dusty rose")
    out = gradient_map(image, palette)
    assert out.shape == image.shape and out.dtype == np.uint8
    # Structure: a brighter pixel never becomes a darker one, and the pattern does not go flat.
    order = np.argsort(luminance(image).ravel(), kind="stable")
    assert np.diff(luminance(out).ravel()[order]).min() > -3 / 255
    assert len(np.unique(luminance(out))) > 50
    # Colours: every pixel lies on the segment between the two named colours.
    navy, rose = (np.array(rgb, float) for _, rgb in palette)
    t = np.clip(((out - navy) @ (rose - navy)) / ((rose - navy) @ (rose - navy)), 0, 1)
    off = np.linalg.norm(out - (navy + t[..., None] * (rose - navy)), axis=-1)
    assert off.max() < 3
    assert (t < 0.1).mean() > 0.1 and (t > 0.9).mean() > 0.1        # both colours really appear


def test_a_gradient_map_keeps_alpha_and_an_empty_palette_changes_nothing():
    image = np.dstack([_pattern(), np.full((96, 96), 77, np.uint8)])
    out = gradient_map(image, find_colours("teal"))
    assert np.array_equal(out[..., 3], image[..., 3])
    assert np.array_equal(gradient_map(image, []), image)
    flat = np.full((16, 16, 3), 128, np.uint8)
    assert gradient_map(flat, find_colours("red and blue")).shape == flat.shape


def test_a_swatch_serves_as_the_style_of_colour_transfer():
    palette = find_colours("navy blue and dusty rose")
    swatch = palette_swatch(palette)
    assert swatch.shape == (128, 128, 3)
    assert tuple(swatch[0, 0]) == palette[0][1] and tuple(swatch[0, -1]) == palette[1][1]
    photo = _pattern()
    moved = match_colours(photo, swatch, "mkl")
    target = swatch.reshape(-1, 3).mean(0)
    assert np.abs(moved.reshape(-1, 3).mean(0) - target).max() < np.abs(photo.reshape(-1, 3).mean(0) - target).max()
    with pytest.raises(ValueError):
        palette_swatch([])
