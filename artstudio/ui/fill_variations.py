"""The Restore panel's Variations group: how many seeded fills a content-aware
fill makes, a strip of them to pick from, and "More like this" to roll again.

A content-aware fill returns a
:class:`~artstudio.jobs.texture_fill.TextureResult` with one crop per seed;
picking a thumbnail makes that variation the proposal (compare, then Apply
or Revert, as for every fill). The variations alternate between the two
guides of the structure (the network's fill, the smooth fill); "More like
this" rolls new seeds with the picked one's guide. Each variation is
reproducible from its seed and guide
(``artstudio restore --method texture --seed K --guide G``).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QPushButton, QSpinBox

from ..jobs.base import readonly_copy
from .thumbnail_strip import ThumbnailStrip

DEFAULT_COUNT = 3
THUMB = 72


class VariationsPanel(QGroupBox):
    """Count, strip, seed label and the re-roll button."""

    more_requested = Signal()

    def __init__(self, parent=None):
        super().__init__("Content-aware variations", parent)
        form = QFormLayout(self)
        self.count = QSpinBox()
        self.count.setRange(1, 8)
        self.count.setValue(DEFAULT_COUNT)
        self.count.setToolTip("How many different fills a content-aware fill makes to choose from")
        form.addRow("Variations", self.count)
        self.strip = ThumbnailStrip("Click a variation to see it in the photo", icon=THUMB)
        form.addRow(self.strip)
        self.seed_label = QLabel("")
        self.seed_label.setObjectName("hint")
        form.addRow(self.seed_label)
        self.more = QPushButton("More like this")
        self.more.setToolTip("Fill again with new seeds and the picked variation's guide "
                             "(the same mask and sampling areas)")
        self.more.setEnabled(False)
        self.more.clicked.connect(self.more_requested.emit)
        form.addRow(self.more)
        self.strip.hide()


class FillVariations(QObject):
    """What the panel's picks do to the workspace's proposal.

    Parameters
    ----------
    workspace : RestoreWorkspace
        Its ``document``, ``canvas``, ``fill`` and ``message``.
    """

    def __init__(self, workspace):
        super().__init__(workspace)
        self.workspace = workspace
        self.panel = VariationsPanel()
        self.result = None
        self.base: np.ndarray | None = None
        self.document = None            # the one the variations were made for
        self.picked = 0
        self._next_seed = 0
        self._method = "texture"
        self._guide = "auto"            # the next fill's; "More like this" sets the picked one's
        self.panel.strip.chosen.connect(self.pick)
        self.panel.more_requested.connect(self.more)

    def options(self, op, document) -> dict:
        """The request fields for a fill by ``op`` of ``document``: variations, seed and the
        sampling areas painted with G / Shift+G, those that ``op`` reads."""
        options = {}
        if "sample_from" in op.options:
            for name in ("sample_from", "sample_never"):
                layer = getattr(document, name)
                options[name] = readonly_copy(layer) if layer.any() else None
        if "variations" in op.options:
            options["variations"] = self.panel.count.value()
            self._method = op.key
        if "seed" in op.options:
            if document is not self.document:
                self._next_seed = 0     # a new photo starts again at seed 0, as the CLI does
            options["seed"] = self._next_seed
        if "guide" in op.options:
            options["guide"] = self._guide
        self._guide = "auto"
        return options

    def show(self, result, base: np.ndarray) -> None:
        """A fill finished on ``base``: list its variations (none for other fills)."""
        variants = getattr(result, "variants", ())
        self.result, self.base, self.picked = (result, base, 0) if variants else (None, None, 0)
        self.document = self.workspace.document
        if not variants:
            self.panel.strip.hide()
            self.panel.more.setEnabled(False)
            self.panel.seed_label.setText("")
            return
        self._next_seed = max(result.seeds) + 1
        entries = [(f"{k + 1}", f"Variation {k + 1}: {self._recipe(k)}", _thumbnail(crop))
                   for k, crop in enumerate(variants)]
        self.panel.strip.show_thumbnails(entries)
        self.panel.strip.mark(0)
        self.panel.strip.setVisible(len(variants) > 1)
        self.panel.more.setEnabled(True)
        self._describe()

    def pick(self, index: int) -> None:
        """Make variation ``index`` the proposal."""
        doc = self.workspace.document
        if self.result is None or doc is None or doc is not self.document \
                or not 0 <= index < len(self.result.variants):
            return
        self.picked = index
        doc.set_proposal(self.result.apply(self.base, index))
        self.workspace.canvas.set_compare(doc.proposal, self.result.bounds)
        self.panel.strip.mark(index)
        self._describe()
        self.workspace.message.emit(f"Variation {index + 1} of {len(self.result.variants)} "
                                    f"({self._recipe(index)}): Apply to keep it.")

    def more(self) -> None:
        """Roll again: the same fill with the next seeds, guided as the picked variation."""
        if self.result is not None and self.result.guides:
            self._guide = self.result.guides[self.picked]
        self.workspace.fill(method=self._method)

    def forget(self) -> None:
        """The proposal was applied, reverted or replaced by another photo."""
        self.result = self.base = None
        self.panel.strip.clear()
        self.panel.strip.hide()
        self.panel.more.setEnabled(False)
        self.panel.seed_label.setText("")

    def _describe(self) -> None:
        self.panel.seed_label.setText(f"Showing {self.picked + 1} of {len(self.result.seeds)}, "
                                      f"{self._recipe(self.picked)}")

    def _recipe(self, index: int) -> str:
        """``seed 4, smooth guide``: what reproduces variation ``index``."""
        guides = self.result.guides
        guide = f", {guides[index]} guide" if index < len(guides) else ""
        return f"seed {self.result.seeds[index]}{guide}"


def _thumbnail(crop: np.ndarray) -> np.ndarray:
    import cv2

    h, w = crop.shape[:2]
    scale = THUMB / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(np.ascontiguousarray(crop), size, interpolation=cv2.INTER_AREA)
