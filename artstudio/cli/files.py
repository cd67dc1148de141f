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


def _save(path: Path, pixels) -> None:
    from ..core.imageio import save_image

    save_image(path, pixels)
