"""The recipe of a stylised picture, kept inside its PNG.

A PNG written by :func:`write_png_with_style_recipe` carries one compressed
iTXt chunk, ``artstudio-style``, holding JSON::

    {"app": "0.1.0", "steps": [{"engine": "stylize-1", "mode": "paint",
      "style": {"name": "autumn.jpg", "sha256": "..."}, "seed": 0, "steps": 150,
      "weights": {"content": 1.0, "style": 1.0}, ...}, ...]}

one entry per stylisation applied, oldest first, so the picture can be made
again: same photo, same style file (its hash tells whether it is the same),
same numbers. It is a different key from the generator's ``artstudio-recipe``
(:mod:`.recipe`), which would be read as a latent to open in Generate.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .decode import ImageError
from .recipe import write_png_with_text

STYLE_RECIPE_KEY = "artstudio-style"
MAX_STEPS = 64                 # entries read back from a file (a hostile file may hold millions)
MAX_TEXT = 1 << 20             # characters of recipe JSON read back


def file_sha256(path) -> str:
    """The SHA-256 of a file's bytes, in hex (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_png_with_style_recipe(path, image: np.ndarray, steps: list[dict], app_version: str,
                                meta=None) -> Path:
    """Write ``image`` as a PNG with the stylisation ``steps`` inside, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Must end in ``.png``.
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)``.
    steps : list of dict
        JSON-ready recipes, oldest first (each from
        :attr:`artstudio.jobs.stylize.StylizeResult.recipe` plus the style files).
    app_version : str
    meta : SourceMeta or None
        What the photo's file carried (EXIF, ICC profile), kept.

    Raises
    ------
    ImageError
        A name not ending in .png, or a failed write (an existing file is then untouched).
    ValueError
        ``image`` is not ``uint8 (H, W, 3|4)``, or a recipe is not JSON-ready.
    """
    from .file_meta import save_options

    text = json.dumps({"app": app_version, "steps": list(steps)}, separators=(",", ":"), allow_nan=False)
    size = (image.shape[1], image.shape[0]) if isinstance(image, np.ndarray) and image.ndim == 3 else (0, 0)
    return write_png_with_text(path, image, STYLE_RECIPE_KEY, text, app_version, "style recipe",
                               save_options("PNG", meta, None, size))


def read_style_recipe(path) -> list[dict] | None:
    """The stylisation steps in a PNG written by :func:`write_png_with_style_recipe`, or None.

    Raises
    ------
    ImageError
        The file cannot be read, or its recipe is damaged (one line naming it).
    """
    from .imageio import read_text_chunk

    path = Path(path)
    text = read_text_chunk(path, STYLE_RECIPE_KEY)
    if text is None:
        return None
    damaged = ImageError(f"The style recipe in '{path.name}' is damaged.")
    if len(text) > MAX_TEXT:
        raise damaged
    try:
        recipe = json.loads(text)
    except (ValueError, RecursionError):
        raise damaged from None
    steps = recipe.get("steps") if isinstance(recipe, dict) else None
    if not isinstance(steps, list) or len(steps) > MAX_STEPS or not all(isinstance(s, dict) for s in steps):
        raise damaged
    return steps
