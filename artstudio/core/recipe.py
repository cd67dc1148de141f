"""The recipe of a generated image, kept inside its PNG.

An exported PNG carries one compressed text chunk, ``artstudio-recipe``,
holding JSON: the model and its hash, the seed, the base latent, truncation,
named edits, where the latent came from (``"origin"``: a seed, or a
projection, whose seed is null because no seed reproduces it) and the app
version. Opening the PNG restores that exact state.
The latent is written as the shortest decimal of each float32, which reads
back to the bit-identical float32.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from .imageio import ImageError, atomic_save, read_text_chunk
from .latent_state import LatentFileError, LatentState, state_from_metadata, state_metadata

__all__ = ["RECIPE_KEY", "read_recipe", "recipe_dict", "state_from_recipe", "write_png_with_recipe"]

RECIPE_KEY = "artstudio-recipe"


def recipe_dict(state: LatentState, app_version: str) -> dict:
    """Everything needed to render ``state`` again, JSON-ready.

    Parameters
    ----------
    state : LatentState
    app_version : str
        The ArtStudio version that made the image.

    Returns
    -------
    dict
        The fields of :func:`artstudio.core.latent_state.state_metadata`
        plus ``"latent"``, a list of D floats that convert back to exactly
        ``state.latent`` as float32.
    """
    recipe = state_metadata(state, app_version)
    # str(np.float32) is the shortest decimal that reads back to the same
    # float32; as a Python float it is also what json writes.
    recipe["latent"] = [float(str(v)) for v in state.latent]
    return recipe


def write_png_with_recipe(path, image: np.ndarray, state: LatentState, app_version: str):
    """Write ``image`` as a PNG with ``state``'s recipe inside, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Target; must end in ``.png``.
    image : numpy.ndarray
        ``uint8 (H, W, 3)`` (or (H, W, 4)) RGB(A).
    state : LatentState
        The state that produced ``image``.
    app_version : str

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ImageError
        If the name does not end in .png or the file cannot be written; an
        existing file at ``path`` is then left untouched.
    ValueError
        If ``image`` is not a uint8 RGB(A) array.
    """
    text = json.dumps(recipe_dict(state, app_version), separators=(",", ":"), allow_nan=False)
    return write_png_with_text(path, image, RECIPE_KEY, text, app_version, "recipe")


def write_png_with_text(path, image: np.ndarray, key: str, text: str, app_version: str, what: str,
                        options: dict | None = None) -> Path:
    """Write ``image`` as a PNG, atomically, with ``text`` in a compressed text chunk ``key``
    (before the pixel data, so readers find it fast); ``what`` names it in the refusal of a
    name that is not .png; ``options`` are more Pillow save options (e.g. EXIF, ICC)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ImageError(f"Cannot save '{path.name}': the {what} is kept in PNG files, "
                         "so the name must end in .png.")
    if (not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3
            or image.shape[2] not in (3, 4) or image.size == 0):
        raise ValueError("image must be a non-empty uint8 (H, W, 3|4) array")
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"ArtStudio {app_version}")
    info.add_itxt(key, text, zip=True)
    pil = Image.fromarray(np.ascontiguousarray(image))
    return atomic_save(path, pil, "PNG", {**(options or {}), "pnginfo": info, "compress_level": 3})


def read_recipe(path) -> LatentState | None:
    """The state stored in a PNG by :func:`write_png_with_recipe`.

    Only text chunks before the pixel data are read, so this is fast even on
    very large images (the writer puts the recipe there).

    Parameters
    ----------
    path : str or os.PathLike
        Any image file.

    Returns
    -------
    LatentState or None
        None when the file has no ArtStudio recipe (any other image).

    Raises
    ------
    LatentFileError
        If the file cannot be opened or its recipe is damaged; the message
        names the file.
    """
    path = Path(path)
    name = path.name or str(path)
    try:
        text = read_text_chunk(path, RECIPE_KEY)
    except ImageError as error:
        raise LatentFileError(str(error)) from None
    if text is None:
        return None
    try:
        recipe = json.loads(str(text))
    except (ValueError, RecursionError):  # RecursionError: hostile nesting
        raise LatentFileError(f"Cannot read the recipe in '{name}': it is damaged (not valid JSON).") from None
    return state_from_recipe(recipe, name)


def state_from_recipe(recipe, name: str) -> LatentState:
    """The state in a :func:`recipe_dict` read back from JSON (a PNG's, a favourites file's).

    Raises
    ------
    LatentFileError
        Naming ``name``, when a field is missing or wrong.
    """
    if not isinstance(recipe, dict) or "latent" not in recipe:
        raise LatentFileError(f"Cannot read the recipe in '{name}': it is damaged (no latent).")
    latent = recipe.get("latent")
    if not isinstance(latent, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in latent):
        raise LatentFileError(f"Cannot read the recipe in '{name}': its latent is not a list of numbers.")
    return state_from_metadata(recipe, np.array(latent, np.float64).astype(np.float32), name)
