"""What the commands check and do with their files, before and after the (slow) work."""

from __future__ import annotations

from pathlib import Path

from .common import CliError


def _check_output(path: Path, extensions: tuple[str, ...], why: str) -> None:
    """Refuse a bad OUT before any (slow) rendering."""
    if path.suffix.lower() not in extensions:
        raise CliError(f"Cannot write '{path.name}': {why}, so the name must end in "
                       f"{' or '.join(extensions)}.")
    if path.is_dir():
        raise CliError(f"Cannot write '{path}': it is a folder.")
    folder = path.parent
    if not folder.is_dir():
        raise CliError(f"Cannot write '{path.name}': the folder '{folder}' does not exist.")


def _load(path: Path):
    from ..core.imageio import load_image

    return load_image(path)


def _save(path: Path, pixels, source=None, mask=None, label: str = "Restored") -> None:
    """Write OUT, keeping what IN (``source``, a LoadedImage) carried.

    An ``.ora`` OUT holds IN (or IN's own layers, when IN is an .ora), the
    pixels the command changed as the layer ``label``, and ``mask`` (hidden);
    any other OUT keeps IN's EXIF, colour profile and, JPEG to JPEG, its quality.
    """
    from ..core.imageio import save_image

    if path.suffix.lower() == ".ora" and source is not None:
        from ..core.ora_layers import save_result_ora

        save_result_ora(path, source.pixels, pixels, mask, label, source.layers)
    else:
        save_image(path, pixels, meta=None if source is None else source.meta)
