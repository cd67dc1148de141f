"""Colour names in a description, and two ways to give a picture that palette.

:func:`find_colours` reads names such as "navy blue and dusty rose" (one to
six words, matplotlib's XKCD and CSS4 tables, imported on first use) and
returns them in the order written, unknown words ignored. XKCD names win
where both tables know a name: they come from a survey of what people call
a colour (Munroe 2010), so "navy" or "red" is what the word usually means,
whereas CSS's are web constants (pure #FF0000 red). CSS fills the names XKCD
lacks ("cornflowerblue", "papayawhip"). "light", "pale", "dark" and "deep"
before a name that is not itself in a table mix it with white or black
("dark dusty rose"); a name right after "not", "no" or "without" is skipped.

Applying a palette
------------------
:func:`gradient_map` is for renders whose *structure* is the point (a CPPN):
the palette, ordered dark to light, replaces the picture's luminance ramp,
with its stops at the picture's own luminance quantiles (colour i of k at
the (i + 0.5) / k quantile, flat beyond the ends) so that every named colour
covers a comparable share of it, pure where its stop is. The pattern stays, its colours
become exactly the named ones, and the map is continuous (no new edges).

:func:`palette_swatch` is for pictures whose colours should stay plausible
(a face from a GAN, a photo): a stripe image of the palette that the
Stylize "Match colours" mode takes as its style. MKL then moves the
picture's colour mean and covariance towards the palette's instead of
painting it in the palette, which keeps skin looking like skin.
"""

from __future__ import annotations

import re
import threading

import numpy as np

__all__ = ["INSTALL_HINT", "MAX_COLOURS", "ColourNamesError", "colour_table", "find_colours",
           "gradient_map", "luminance", "palette_swatch"]

INSTALL_HINT = "pip install 'artstudio[text]'"
MAX_COLOURS = 12                 # a palette longer than this is a list, not a palette
MAX_TEXT = 2000                  # characters of a description that are read
MAX_NAME_WORDS = 6               # the longest XKCD name ("ugly yellow"... "robin's egg blue" is 3)
MODIFIERS = {"light": ("white", 0.4), "pale": ("white", 0.6), "dark": ("black", 0.4), "deep": ("black", 0.25)}
NEGATIONS = frozenset({"not", "no", "without"})
_WORD = re.compile(r"[a-z0-9']+")
_table: dict[str, tuple[int, int, int]] | None = None
_lock = threading.Lock()

Palette = list[tuple[str, tuple[int, int, int]]]


class ColourNamesError(Exception):
    """One line for the user: the colour tables cannot be read (matplotlib missing)."""


def _key(name: str) -> str:
    return " ".join(_WORD.findall(name.lower().replace("/", " ").replace("-", " ")))


def colour_table() -> dict[str, tuple[int, int, int]]:
    """``{name: (r, g, b)}`` of every XKCD and CSS4 colour, names lower-case, words joined by one space.

    Raises
    ------
    ColourNamesError
        When matplotlib (part of the text extra) is not installed.
    """
    global _table
    with _lock:
        if _table is None:
            try:
                from matplotlib.colors import CSS4_COLORS, XKCD_COLORS, to_rgb
            except ImportError:
                raise ColourNamesError(f"Colour names need matplotlib, part of the optional text extra: "
                                       f"{INSTALL_HINT}") from None
            table = {}
            for name, value in [*CSS4_COLORS.items(), *XKCD_COLORS.items()]:   # XKCD last: it wins
                rgb = np.round(np.asarray(to_rgb(value)) * 255).astype(int)
                table[_key(name.removeprefix("xkcd:"))] = tuple(int(v) for v in rgb)
            table.pop("", None)
            _table = table
        return _table


def _mix(rgb, towards: str, amount: float) -> tuple[int, int, int]:
    target = 255.0 if towards == "white" else 0.0
    return tuple(int(round(v + (target - v) * amount)) for v in rgb)


def _name_at(words: list[str], start: int, table: dict) -> tuple[int, str] | None:
    """The longest table name starting at ``words[start]``: ``(word count, name)``."""
    for count in range(min(MAX_NAME_WORDS, len(words) - start), 0, -1):
        name = " ".join(words[start:start + count])
        if name in table:
            return count, name
    return None


def find_colours(text: str, limit: int = MAX_COLOURS) -> Palette:
    """The colours named in ``text``, in the order written (each once).

    Parameters
    ----------
    text : str
        Any description; words that name no colour are ignored.
    limit : int
        At most this many colours are returned.

    Returns
    -------
    list of (str, (int, int, int))
        ``(name, (r, g, b))`` with r, g, b in [0, 255]; [] when none is named.

    Raises
    ------
    ColourNamesError
        When matplotlib is not installed.
    """
    table = colour_table()
    words = _WORD.findall(str(text or "")[:MAX_TEXT].lower().replace("-", " ").replace("/", " "))
    found: dict[str, tuple[int, int, int]] = {}
    i = 0
    while i < len(words) and len(found) < limit:
        direct = _name_at(words, i, table)
        shaded = _name_at(words, i + 1, table) if words[i] in MODIFIERS else None
        if shaded is not None and (direct is None or shaded[0] + 1 > direct[0]):
            towards, amount = MODIFIERS[words[i]]
            span, name, rgb = shaded[0] + 1, f"{words[i]} {shaded[1]}", _mix(table[shaded[1]], towards, amount)
        elif direct is not None:
            span, name, rgb = direct[0], direct[1], table[direct[1]]
        else:
            i += 1
            continue
        if i == 0 or words[i - 1] not in NEGATIONS:
            found.setdefault(name, rgb)
        i += span
    return list(found.items())


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of ``uint8 (..., 3)`` sRGB values, as ``float32`` in [0, 1] (no linearisation)."""
    rgb = np.asarray(rgb, np.float32)
    return (rgb[..., 0] * 0.2126 + rgb[..., 1] * 0.7152 + rgb[..., 2] * 0.0722) / 255.0


def _ramp(palette: Palette) -> np.ndarray:
    """The palette's colours dark to light, ``float32 (K, 3)``; one colour becomes a shaded ramp of it."""
    colours = np.array([rgb for _, rgb in palette], np.float32).reshape(-1, 3)
    if len(colours) == 1:
        c = colours[0]
        colours = np.stack([c * 0.25, c, c + (255.0 - c) * 0.6])
    return colours[np.argsort(luminance(colours), kind="stable")]


def gradient_map(image: np.ndarray, palette: Palette, strength: float = 1.0) -> np.ndarray:
    """``image`` recoloured through ``palette`` by luminance (see the module docstring).

    Parameters
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)`` RGB(A); alpha is copied unchanged.
    palette : list of (str, (int, int, int))
        As :func:`find_colours` returns; [] returns a copy of ``image``.
    strength : float
        0 keeps the image, 1 is the full map.

    Returns
    -------
    numpy.ndarray
        ``uint8``, the shape of ``image``.
    """
    image = np.asarray(image)
    strength = float(np.clip(strength, 0.0, 1.0))
    if not palette or strength == 0.0:
        return np.array(image, copy=True)
    colours = _ramp(palette)
    rgb = image[..., :3]
    # Luma as a 0..255 index (integer weights summing to 256), mapped through a 256-entry table.
    level = ((rgb[..., 0].astype(np.uint32) * 54 + rgb[..., 1].astype(np.uint32) * 183
              + rgb[..., 2].astype(np.uint32) * 19) >> 8).astype(np.uint8)
    step = max(1, int(np.sqrt(level.size / 65536)))
    k = len(colours)            # stop i at the centre of the i-th k-quantile: each colour gets its share, pure
    stops = np.quantile(level[::step, ::step], (np.arange(k) + 0.5) / k).astype(np.float64)
    if stops[-1] - stops[0] < 1.0:           # a flat picture: spread the stops over the whole range
        stops = np.linspace(0.0, 255.0, len(colours))
    stops = stops + np.arange(len(stops)) * 1e-6            # np.interp needs increasing stops
    levels = np.arange(256, dtype=np.float64)
    table = np.stack([np.interp(levels, stops, colours[:, c]) for c in range(3)], axis=1)
    mapped = table[level]
    if strength < 1.0:
        mapped = rgb + strength * (mapped - rgb)
    out = np.clip(np.round(mapped), 0, 255).astype(np.uint8)
    if image.shape[-1] == 4:
        out = np.concatenate([out, image[..., 3:]], axis=-1)
    return out


def palette_swatch(palette: Palette, side: int = 128) -> np.ndarray:
    """A ``uint8 (side, side, 3)`` picture of equal vertical stripes, one per colour, in order.

    Large enough (Stylize wants 64 px a side) to serve as the style image of
    the "Match colours" mode; every colour weighs the same in its statistics.

    Raises
    ------
    ValueError
        When ``palette`` is empty.
    """
    if not palette:
        raise ValueError("an empty palette has no swatch")
    side = max(64, int(side))
    colours = np.array([rgb for _, rgb in palette], np.uint8).reshape(-1, 3)
    columns = np.minimum(np.arange(side) * len(colours) // side, len(colours) - 1)
    return np.ascontiguousarray(np.broadcast_to(colours[columns][None], (side, side, 3)))
