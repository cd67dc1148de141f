"""Opening and saving from the window: dialogs, confirmations, clear error messages.

Every failure is shown as one line and changes nothing: a bad file leaves
the current document open, a failed save leaves the old file in place.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..core.autosave import save_photo_mask
from ..core.document import Document
from ..core.file_meta import NO_META, SourceMeta
from ..core.imageio import READ_EXTENSIONS, ImageError, load_mask, read_source_meta, save_image, save_mask
from ..core.imagesave import FORMAT_EXTENSIONS, SAVE_FORMATS
from ..core.ora_layers import save_document_ora
from ..core.paths import resources_dir
from ..core.save_places import app_folders, can_save_in_place, is_bundled, start_folder, suggested_name, user_pictures
from ..jobs.open_photo import OpenPhotoRequest

OPEN_FILTER = "Images ({});;All files (*)".format(" ".join(f"*{e}" for e in READ_EXTENSIONS))
# Format -> the Save dialog's filter for it; the order is the dialog's.
SAVE_FILTERS = {"PNG": "PNG (*.png)", "JPEG": "JPEG (*.jpg *.jpeg)", "TIFF": "TIFF (*.tif *.tiff)",
                "WEBP": "WebP (*.webp)", "ORA": "OpenRaster, layers for GIMP and Krita (*.ora)"}
SAVE_FILTER = ";;".join(SAVE_FILTERS.values())
MASK_FILTER = "PNG mask (*.png)"
DEMO_IMAGE = "demo/astronaut_scratched.png"
DEMO_MASK = "demo/astronaut_scratched_mask.png"


@dataclass(frozen=True)
class Source:
    """What a document's file was: its format, what a save keeps (EXIF, ICC, JPEG
    quality) and, for an OpenRaster file, its own layers."""

    format: str | None = None
    meta: SourceMeta = NO_META
    layers: object = None


# Document -> Source. Kept beside the document (which knows only its path), and
# forgotten with it.
_sources: "weakref.WeakKeyDictionary[Document, Source]" = weakref.WeakKeyDictionary()
# The files each document was written to in this session: writing one again asks nothing
# (its old pixels went at the first, confirmed, save; or ArtStudio made the file).
_written: "weakref.WeakKeyDictionary[Document, set[Path]]" = weakref.WeakKeyDictionary()


def source_of(doc: Document) -> Source:
    """The Source of ``doc``: as opened, or read from its file's header (a recovered document)."""
    known = _sources.get(doc)
    if known is None:
        fmt, meta = read_source_meta(doc.path) if doc.path is not None else (None, NO_META)
        known = _sources[doc] = Source(fmt, meta)
    return known


def _error(window, message: str) -> None:
    window.status.showMessage(message, 10000)
    QMessageBox.warning(window, "ArtStudio", message)


def _start_dir(window) -> str:
    return str(start_folder(None, window.settings.last_dir, app_folders(), user_pictures()))


def confirm_discard(window) -> bool:
    """True when there are no unsaved changes, or they were saved, or the user agrees to lose them.

    Save saves (Save As for an untitled photo or the demo); if that fails or
    is cancelled, nothing is discarded.
    """
    doc = window.restore.document
    if doc is None or not doc.modified:
        return True
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        window, "Unsaved changes",
        f"'{doc.path.name if doc.path else 'Untitled'}' has unsaved changes. Save them first?",
        buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
    if answer == buttons.Save:
        return save(window) and not doc.modified
    return answer == buttons.Discard


def autosave_mask(window) -> None:
    """Keep the current photo's mask in the autosave folder (never raises)."""
    doc = window.restore.document
    if doc is None or doc.path is None:
        return
    try:
        save_photo_mask(window.paths.autosave, doc.path, doc.mask)
    except (ImageError, OSError) as exc:
        window.status.showMessage(f"Could not autosave the mask: {exc}", 6000)


def open_path(window, path: Path, mask_path: Path | None = None, wait: bool = False, note: str = "") -> bool:
    """Open an image (and optionally its mask) as the current document.

    The photo is decoded on the window's file lane (:class:`~.photo_loader.PhotoLoader`),
    so the window keeps painting; the document is replaced when it arrives.
    Returns False when the user kept the current photo, else True (the decode
    started); with ``wait``, whether the photo was opened (scripts, tests).
    ``note`` is said once the photo is shown (e.g. why its recipe was ignored).
    """
    if not confirm_discard(window):
        return False
    window.status.showMessage(f"Opening {Path(path).name}…")
    request = OpenPhotoRequest(Path(path), None if mask_path is None else Path(mask_path), window.paths.autosave)
    request_id = window.photo_loader.load(request)
    window.photo_loader.notes[request_id] = note
    if not wait:
        return True
    kind, _ = window.photo_loader.wait(request_id)
    return kind == "opened"


def connect_photo_loader(window) -> None:
    """Route the file lane's results to the Restore workspace and the status bar."""
    loader = window.photo_loader
    loader.opened.connect(lambda rid, photo: _on_photo_opened(window, rid, photo))
    loader.failed.connect(lambda rid, text: (loader.notes.pop(rid, None), _error(window, text)))


def _on_photo_opened(window, request_id: int, photo) -> None:
    note_after = window.photo_loader.notes.pop(request_id, "")
    if request_id != window.photo_loader.latest:
        return                                  # a newer photo was asked for meanwhile
    loaded = photo.loaded
    try:
        autosave_mask(window)
        doc = Document(loaded.pixels, photo.mask, loaded.path)
        for key, area in loaded.sampling.items():     # an .ora's sampling areas
            if area.shape == doc.mask.shape:
                setattr(doc, key, np.ascontiguousarray(area, dtype=np.uint8))
        window.restore.set_document(doc)
    except MemoryError:
        _error(window, f"Not enough memory to open '{loaded.path.name}'.")
        return
    _sources[doc] = Source(loaded.format, loaded.meta, loaded.layers)
    bundled = is_bundled(loaded.path, app_folders())
    if not bundled:          # the app's own folder is never where the user's work goes
        window.settings.last_dir = str(loaded.path.resolve().parent)
    window.settings.add_recent(str(loaded.path.resolve()))
    note = " (16-bit source shown and saved as 8-bit)" if loaded.bit_depth == 16 else ""
    note += "; restored the mask you painted on it last time" if photo.restored_mask else ""
    note += "; its 'mask' layer is the mask" if loaded.mask is not None and photo.mask is loaded.mask else ""
    note += " as a copy: Save asks where to keep your work" if bundled else ""
    window.status.showMessage(f"Opened {loaded.path.name}{note}", 6000)
    if note_after:
        window.status.showMessage(f"{loaded.path.name}: {note_after}", 10000)


def recipe_in(window, path: Path):
    """``(state, note)``: the latent state embedded in an ArtStudio PNG (None for
    any other file) and, when a recipe is present but unusable, why."""
    from ..core.latent_state import LatentFileError
    from ..core.recipe import read_recipe

    if path.suffix.lower() != ".png" or not path.is_file():
        return None, ""
    try:
        state = read_recipe(path)
    except (LatentFileError, OSError) as exc:
        return None, f"Its ArtStudio recipe could not be read ({exc}); opened as a photo."
    if state is not None and not window.generate.has_model(state.model):
        return None, f"It was made with '{state.model}', which is not installed; opened as a photo."
    return state, ""


def open_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open image", _start_dir(window), OPEN_FILTER)
    if path:
        window.open_path(Path(path))


def open_demo(window, wait: bool = False) -> bool:
    res = resources_dir()
    return open_path(window, res / DEMO_IMAGE, res / DEMO_MASK, wait=wait)


def _confirm_overwrite(window, target: Path) -> bool:
    doc = window.restore.document
    if not target.exists() or (doc is not None and target.resolve() in _written.get(doc, ())):
        return True
    is_original = doc is not None and doc.path is not None and doc.path.resolve() == target.resolve()
    text = (f"Overwrite the original photo '{target.name}'? Its current pixels will be lost."
            if is_original else f"'{target.name}' already exists. Replace it?")
    answer = QMessageBox.question(window, "Overwrite?", text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                  QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def write_image(window, target: Path, *, becomes_document_path: bool) -> bool:
    """Save the current image to ``target`` after any needed confirmation.

    The file keeps what the source carried (EXIF, ICC profile, a JPEG's
    quality); an ``.ora`` target gets the photo, each applied change and the
    mask as layers. Nothing is ever written into the app's own folders.
    """
    doc = window.restore.document
    if doc is None:
        return False
    if is_bundled(target, app_folders()):
        _error(window, f"Cannot save '{target.name}': that is ArtStudio's own folder (its demo photo "
                       "stays as shipped); choose another folder.")
        return False
    if not _confirm_overwrite(window, target):
        return False
    source = source_of(doc)
    try:
        if target.suffix.lower() == ".ora":
            save_document_ora(target, doc.image, doc.mask, doc.history.steps, source.layers,
                              {"sample_from": doc.sample_from, "sample_never": doc.sample_never})
        else:
            save_image(target, doc.image, meta=source.meta)
    except ImageError as exc:
        _error(window, str(exc))
        return False
    except MemoryError:
        _error(window, f"Cannot save '{target.name}': not enough memory.")
        return False
    _written.setdefault(doc, set()).add(target.resolve())
    if becomes_document_path:
        _sources[doc] = replace(source, format=SAVE_FORMATS[target.suffix.lower()])
        doc.mark_saved(target)          # the workspace relays the document's `saved` event to the title
    window.status.showMessage(f"Saved {target.name}{_saved_note(doc, source, target)}", 6000)
    window.settings.last_dir = str(target.parent)
    return True


def _saved_note(doc, source: Source, target: Path) -> str:
    fmt = SAVE_FORMATS[target.suffix.lower()]
    if fmt == "ORA":
        areas = doc.sample_from.any() or doc.sample_never.any()
        notes = ["with the photo, each applied change, the mask and the sampling areas as layers" if areas
                 else "with the photo, each applied change and the mask as layers"]
    else:
        kept = source.meta.describe(fmt)
        notes = [f"kept {kept}"] if kept else []
    if doc.proposal is not None:
        notes.append("the unapplied fill result was not included")
    return f" ({'; '.join(notes)})" if notes else ""


def _ask_save_path(window, title: str) -> Path | None:
    """The file the user picks, starting in the photo's folder with its format chosen."""
    doc = window.restore.document
    if doc is None:
        return None
    fmt = source_of(doc).format
    fmt = fmt if fmt in SAVE_FILTERS else ("JPEG" if fmt == "MPO" else "PNG")
    folder = start_folder(doc.path, window.settings.last_dir, app_folders(), user_pictures())
    suggested = str(folder / suggested_name(doc.path, fmt))
    path, chosen = QFileDialog.getSaveFileName(window, title, suggested, SAVE_FILTER, SAVE_FILTERS[fmt],
                                               options=QFileDialog.Option.DontConfirmOverwrite)
    if not path:
        return None
    path = Path(path)
    if not path.suffix:              # typed without one: the chosen filter's format
        chosen_fmt = next((f for f, text in SAVE_FILTERS.items() if text == chosen), fmt)
        path = path.with_name(path.name + FORMAT_EXTENSIONS[chosen_fmt])
    return path


def save(window) -> bool:
    """Ctrl+S: write over the document's file; Save As when it has none, when its
    format cannot be written, or when it is one of the app's own (the demo)."""
    doc = window.restore.document
    if doc is None:
        return False
    if not can_save_in_place(doc.path, app_folders()):
        return save_as(window)
    return write_image(window, doc.path, becomes_document_path=True)


def save_as(window) -> bool:
    target = _ask_save_path(window, "Save image as")
    return target is not None and write_image(window, target, becomes_document_path=True)


def export_copy(window) -> bool:
    target = _ask_save_path(window, "Export a copy")
    return target is not None and write_image(window, target, becomes_document_path=False)


def load_mask_dialog(window) -> None:
    doc = window.restore.document
    if doc is None:
        return
    path, _ = QFileDialog.getOpenFileName(window, "Load mask", _start_dir(window), OPEN_FILTER)
    if path:
        load_mask_file(window, Path(path))


def load_mask_file(window, path: Path) -> bool:
    doc = window.restore.document
    try:
        mask = load_mask(path, doc.size)
    except ImageError as exc:
        _error(window, str(exc))
        return False
    window.restore.replace_mask(mask, f"Load mask {path.name}")
    return True


def save_mask_dialog(window) -> None:
    doc = window.restore.document
    if doc is None:
        return
    stem = doc.path.stem if doc.path else "untitled"
    folder = start_folder(doc.path, window.settings.last_dir, app_folders(), user_pictures())
    path, _ = QFileDialog.getSaveFileName(window, "Save mask", str(folder / f"{stem}_mask.png"), MASK_FILTER)
    if path:
        if is_bundled(path, app_folders()):
            _error(window, f"Cannot save '{Path(path).name}': that is ArtStudio's own folder; choose another.")
            return
        try:
            save_mask(Path(path), doc.mask)
        except ImageError as exc:
            _error(window, str(exc))
            return
        window.status.showMessage(f"Saved mask {Path(path).name}", 6000)
