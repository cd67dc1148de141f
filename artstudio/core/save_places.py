"""Where a save goes: the folder a dialog starts in, the name it suggests, and the
files it must never overwrite (the app's own, such as the bundled demo photo).

A dialog never starts inside the installed app: a user who opened the demo and
pressed Save would otherwise put their work among the package's files (or
overwrite the demo). Pure functions of paths; the caller passes the app's own
folders (:func:`app_folders`) and the user's Pictures folder.
"""

from __future__ import annotations

from pathlib import Path

from .imagesave import FORMAT_EXTENSIONS, SAVE_FORMATS


def app_folders() -> tuple[Path, ...]:
    """The folders ArtStudio is installed in: its package and its bundled resources."""
    from .paths import resources_dir

    package = Path(__file__).resolve().parent.parent
    try:
        return package, resources_dir().resolve()
    except FileNotFoundError:
        return (package,)


def user_pictures() -> Path:
    """The user's Pictures folder (platformdirs), or home when there is none."""
    import platformdirs

    pictures = Path(platformdirs.user_pictures_dir())
    return pictures if pictures.is_dir() else Path.home()


def is_bundled(path: Path | str | None, folders: tuple[Path, ...]) -> bool:
    """Whether ``path`` lies inside one of the app's own ``folders``."""
    if not path:
        return False
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    return any(resolved == f or f in resolved.parents for f in folders)


def start_folder(photo: Path | None, last_dir: str, folders: tuple[Path, ...], pictures: Path) -> Path:
    """The folder a Save or Open dialog starts in.

    The photo's own folder, else the last folder used, else ``pictures``;
    never a folder of the app itself, nor one that no longer exists.
    """
    for candidate in (photo.parent if photo is not None else None, Path(last_dir) if last_dir else None):
        if candidate is not None and candidate.is_dir() and not is_bundled(candidate, folders):
            return candidate
    return pictures


def suggested_name(photo: Path | None, source_format: str | None) -> str:
    """A new name for the restored photo, in the format it came in (PNG when unknown or unwritable)."""
    ext = FORMAT_EXTENSIONS.get(source_format or "", ".png")
    if photo is not None and photo.suffix.lower() in SAVE_FORMATS and SAVE_FORMATS[photo.suffix.lower()] == \
            SAVE_FORMATS[ext]:
        ext = photo.suffix           # keep the user's spelling: .jpeg stays .jpeg
    stem = photo.stem if photo is not None else "untitled"
    if not stem.endswith("_restored"):
        stem += "_restored"
    return stem + ext


def can_save_in_place(photo: Path | None, folders: tuple[Path, ...]) -> bool:
    """Whether Save may write straight to ``photo`` (else it must ask, as Save As)."""
    return photo is not None and photo.suffix.lower() in SAVE_FORMATS and not is_bundled(photo, folders)
