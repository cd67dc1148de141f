"""What the Stylize group does in the Restore workspace: style files, jobs, the recipe of what was applied.

A stylisation runs like every fill (the workspace's job, previews drawn
behind the split line, a proposal to Apply or Revert). Each applied one is
remembered with its undo step, so "Export PNG with recipe" writes exactly
the stylisations still in the photo: an undone one is not in the recipe.
"""

from __future__ import annotations

import weakref
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from .. import __version__
from ..core.imageio import READ_EXTENSIONS, ImageError, load_image
from ..core.style_input import StyleError, prepare_style
from ..core.style_recipe import file_sha256, write_png_with_style_recipe
from ..jobs.base import readonly_copy
from ..jobs.operations import operation
from ..jobs.stylize import StylizeResult
from .stylize_panel import THUMB, StylizePanel

STYLE_FILTER = "Images ({});;All files (*)".format(" ".join(f"*{e}" for e in READ_EXTENSIONS))


@dataclass(frozen=True)
class StyleChoice:
    """A chosen style file: its pixels (read-only) and what the recipe says of it."""

    pixels: np.ndarray
    name: str
    sha256: str


class Stylizer(QObject):
    """The Stylize group's logic.

    Parameters
    ----------
    workspace : RestoreWorkspace
        Its ``document``, ``settings``, ``message`` and ``run_operation``.
    """

    def __init__(self, workspace):
        super().__init__(workspace)
        self.workspace = workspace
        self.panel = StylizePanel()
        self.styles: dict[str, StyleChoice | None] = {"style": None, "outside": None}
        self._pending: tuple | None = None         # (document, recipe) of the proposal on show
        self._applied: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # doc -> [(patch, recipe)]
        self._files: dict = {}                      # the style files of the job last started
        self.panel.choose_requested.connect(self.choose)
        self.panel.stylize_requested.connect(self.stylize)
        self.panel.export_requested.connect(self.export)

    # -- style files -----------------------------------------------------------------------
    def choose(self, which: str) -> None:
        folder = self.workspace.settings.last_dir or ""
        path, _ = QFileDialog.getOpenFileName(self.panel, "Choose a style image", folder, STYLE_FILTER)
        if path:
            self.load_style(Path(path), which)

    def load_style(self, path: Path, which: str = "style") -> bool:
        """Use the picture at ``path`` as the (``which``) style; one line and no change if it cannot be used."""
        path = Path(path)
        try:
            loaded = load_image(path)
            return self.use_pixels(loaded.pixels, path.name, file_sha256(path), which, str(path))
        except (ImageError, OSError) as error:
            self.workspace.message.emit(str(error))
            return False

    def use_pixels(self, pixels: np.ndarray, name: str, sha256: str | None = None, which: str = "style",
                   where: str | None = None) -> bool:
        """Use ``pixels`` (a loaded file, or a palette swatch from Generate's Describe field) as the
        (``which``) style; the recipe names it ``name`` with ``sha256`` (None: of the pixels)."""
        try:
            usable, notes = prepare_style(pixels, f"'{name}'")
        except StyleError as error:
            self.workspace.message.emit(str(error))
            return False
        digest = sha256 or hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()
        self.styles[which] = StyleChoice(readonly_copy(pixels), name, digest)
        h, w = usable.shape[:2]
        self.panel.show_style(which, name, f"{where or name} ({w}×{h})", _thumbnail(usable))
        self.workspace.message.emit(" ".join([f"Style image: {name}.", *notes]))
        return True

    # -- running -------------------------------------------------------------------------------
    def stylize(self, refine: bool = False) -> int | None:
        """Start the panel's stylisation (``refine``: at the Refine size); returns the job id or None."""
        ws, panel = self.workspace, self.panel
        doc = ws.document
        if doc is None:
            return None
        style, outside = self.styles["style"], self.styles["outside"]
        if style is None:
            ws.message.emit("Choose a style image first (Stylize ▸ Style ▸ Choose…).")
            return None
        where = panel.where()
        if where != "whole" and not doc.mask.any():
            ws.message.emit("The mask is empty: paint where the style should go (B), or choose Whole photo.")
            return None
        if where == "two" and outside is None:
            ws.message.emit("Choose the second style image, for outside the mask.")
            return None
        options = panel.options(refine)
        options.update(style=style.pixels, mask=None if where == "whole" else readonly_copy(doc.mask),
                       style_outside=outside.pixels if where == "two" else None)
        self._files = {"style": {"name": style.name, "sha256": style.sha256}}
        if where == "two":
            self._files["style_outside"] = {"name": outside.name, "sha256": outside.sha256}
        return ws.run_operation(operation("stylize", panel.mode()), **options)

    def show(self, result) -> None:
        """A restore job finished and its result is the proposal (workspace's call)."""
        if not isinstance(result, StylizeResult):
            self._pending = None
            return
        recipe = {**result.recipe, **self._files}
        self._pending = (self.workspace.document, recipe)
        size = recipe.get("size")
        self.panel.set_refinable(result.reduced and size is not None and size < int(self.panel.size.currentData()))
        if result.notes:
            self.workspace.message.emit(" ".join(result.notes))

    def applied(self, patch) -> None:
        """The proposal was applied as ``patch``: keep its recipe with it (workspace's call)."""
        pending, self._pending = self._pending, None
        doc = self.workspace.document
        if pending is not None and patch is not None and pending[0] is doc:
            self._applied.setdefault(doc, []).append((patch, pending[1]))

    def forget(self) -> None:
        """The proposal was reverted or dropped."""
        self._pending = None

    def recipes(self, doc) -> list[dict]:
        """The recipes of the stylisations applied to ``doc`` and not undone, oldest first."""
        done = doc.history.steps[0]
        return [recipe for patch, recipe in self._applied.get(doc, []) if any(p is patch for p in done)]

    # -- export ---------------------------------------------------------------------------------
    def export(self, path: Path | None = None) -> bool:
        """Write the photo as a PNG with the recipe of its applied stylisations (asks where when ``path`` is None)."""
        from .file_ops import source_of

        ws = self.workspace
        doc = ws.document
        if doc is None:
            return False
        steps = self.recipes(doc)
        if not steps:
            ws.message.emit("No stylisation is applied to this photo (Apply one first); "
                            "File ▸ Export Copy writes it without a recipe.")
            return False
        if path is None:
            stem = doc.path.stem if doc.path is not None else "untitled"
            folder = Path(ws.settings.last_dir) if ws.settings.last_dir else Path.home()
            chosen, _ = QFileDialog.getSaveFileName(self.panel, "Export PNG with recipe",
                                                    str(folder / f"{stem}-stylized.png"), "PNG with recipe (*.png)")
            if not chosen:
                return False
            path = Path(chosen) if Path(chosen).suffix else Path(chosen + ".png")
        try:
            write_png_with_style_recipe(path, doc.image, steps, __version__, meta=source_of(doc).meta)
        except ImageError as error:
            ws.message.emit(str(error))
            return False
        note = "; the unapplied result is not in it" if doc.proposal is not None else ""
        ws.message.emit(f"Exported {path.name} with the recipe of {len(steps)} stylisation(s){note}")
        return True


def open_generated_in_restore(window) -> bool:
    """Generate ▸ Stylize in Restore: the picture Generate shows becomes a new untitled Restore photo.

    The simplest honest route: the rendered pixels, as they are, in the workspace where
    stylisation, masks, compare and undo already live (Save asks where to keep it; its
    latent recipe stays with Generate's own Export PNG).
    """
    from ..core.document import Document
    from . import file_ops

    image = window.generate.last_image
    if image is None:
        window.status.showMessage("Nothing to stylize yet: Generate shows no picture.", 6000)
        return False
    if not file_ops.confirm_discard(window):
        return False
    file_ops.autosave_mask(window)
    window.restore.set_document(Document(np.array(image[..., :3] if image.shape[2] == 4 else image, copy=True)))
    window.show_workspace(0)
    stylizer = window.restore.stylizer
    stylizer.panel.stylize_button.setFocus()
    h, w = image.shape[:2]
    window.status.showMessage(f"The generated picture ({w}×{h}) is open in Restore as an untitled photo: "
                              "choose a style image under Stylize.", 8000)
    return True


def stylize_generated_with_palette(window, swatch: np.ndarray, name: str) -> bool:
    """Describe ▸ Colour in Stylize: the generated picture opens in Restore with the palette
    ``swatch`` as the style of Stylize ▸ Match colours (Stylize then runs as usual)."""
    if not open_generated_in_restore(window):
        return False
    stylizer = window.restore.stylizer
    stylizer.panel.set_mode("colour")
    return stylizer.use_pixels(swatch, name)


def _thumbnail(image: np.ndarray) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    scale = THUMB / max(h, w)
    return cv2.resize(np.ascontiguousarray(image[..., :3]), (max(1, round(w * scale)), max(1, round(h * scale))),
                      interpolation=cv2.INTER_AREA)
