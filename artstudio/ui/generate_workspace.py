"""The Generate workspace: explore a generator's latent space.

Every change of the latent (seed, slider, child, crossover) becomes a
:class:`LatentState`; committed states go into an undo history. Renders go
through the job thread as "latest wins" jobs, so a slider drag never queues
frames; while dragging an expensive model a small preview is rendered, and
the full size once the drag pauses.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from ..core.latent import apply_edits, breed, crossover, interpolation_path, sample_latent, truncate
from ..core.latent_state import LatentHistory, LatentState
from ..jobs.explore import ModelInfo, ModelInfoRequest, run_model_info
from ..jobs.generate import RenderRequest, run_render
from ..models.registry import list_models
from . import generate_files
from .animate_panel import AnimatePanel
from .breed_grid import BreedGrid
from .breed_panel import BreedPanel
from .image_view import ImageView
from .latent_panel import LatentPanel
from .qimage import to_qimage

DEFAULT_MODEL = "dcgan-faces"
CPPN_FULL, CPPN_DRAG, CPPN_THUMB = 512, 128, 160
SETTLE_MS = 180
RENDER_KIND, INFO_KIND = "generate.render", "generate.info"
BREED_KIND, FRAMES_KIND = "generate.breed", "generate.frames"
DIRECTIONS = 20      # the CLI's --edit uses the same count, so recipes agree
GENERATOR_KINDS = ("gan", "cppn", "vae")
CHILDREN = 12


class GenerateWorkspace(QWidget):
    message = Signal(str)
    history_changed = Signal()

    def __init__(self, runner, paths, settings, parent=None):
        super().__init__(parent)
        self.runner, self.paths, self.settings = runner, paths, settings
        self.specs = {}
        self._refresh_specs()
        self.info: ModelInfo | None = None
        self.state: LatentState | None = None
        self.history = LatentHistory()
        self._favourites: dict[str, list[tuple[LatentState, np.ndarray]]] = {}
        self._shown_render = 0
        self.last_image: np.ndarray | None = None
        self._jobs: dict[int, str] = {}
        self._latest: dict[str, int] = {}
        self._after_info: LatentState | None = None
        self._children: np.ndarray | None = None
        self._frames: np.ndarray | None = None
        self._frame_index = 0
        self._build()
        self._connect()

    # -- construction --------------------------------------------------------------
    def _build(self) -> None:
        self.view = ImageView(placeholder="Loading the generator…")
        self.grid = BreedGrid(CHILDREN)
        self.grid.setVisible(False)           # until the first children are bred
        self.center = QSplitter(Qt.Orientation.Horizontal)
        self.center.addWidget(self.view)
        self.center.addWidget(self.grid)
        self.center.setStretchFactor(0, 3)
        self.center.setStretchFactor(1, 2)
        self.favourite_list = QListWidget()
        self.favourite_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.favourite_list.setFlow(QListWidget.Flow.LeftToRight)
        self.favourite_list.setWrapping(False)
        self.favourite_list.setIconSize(QSize(72, 72))
        self.favourite_list.setFixedHeight(104)
        self.favourite_list.setToolTip("Favourites: double-click to return to one")
        actions = QHBoxLayout()
        self.buttons = {}
        for key, text in (("favourite", "♥ Favourite (F)"), ("save", "Save latent…"), ("load", "Load latent…"),
                          ("export", "Export PNG…"), ("project", "Project a picture…")):
            button = QPushButton(text)
            self.buttons[key] = button
            actions.addWidget(button)
        actions.addStretch(1)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.center, 1)
        column.addLayout(actions)
        column.addWidget(self.favourite_list)
        self.latent_panel, self.breed_panel, self.animate_panel = LatentPanel(), BreedPanel(), AnimatePanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.latent_panel, "Explore")
        self.tabs.addTab(self.breed_panel, "Breed")
        self.tabs.addTab(self.animate_panel, "Animate")
        self.tabs.setMinimumWidth(330)
        self.tabs.setMaximumWidth(440)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._player = QTimer(self)
        self._fill_model_combo()

    def _refresh_specs(self) -> None:
        """Re-read the registry: a model trained meanwhile appears without a restart."""
        self.specs = {s.name: s for s in list_models(self.paths.models) if s.kind in GENERATOR_KINDS}

    def _fill_model_combo(self) -> None:
        current = self.state.model if self.state else DEFAULT_MODEL
        entries = [(s.name, f"{s.name}  ({s.kind}, {s.resolution} px)") for s in self.specs.values()]
        self.latent_panel.set_models(entries, current)

    def _connect(self) -> None:
        lp, bp, ap = self.latent_panel, self.breed_panel, self.animate_panel
        lp.model_selected.connect(self.select_model)
        lp.seed_changed.connect(self.set_seed)
        lp.randomize_requested.connect(self.randomize)
        lp.truncation_changed.connect(lambda v, drag: self._change(truncation=float(v), dragging=drag))
        lp.edit_changed.connect(self.set_edit)
        lp.reset_requested.connect(lambda: self._change(edits=()))
        lp.direction_renamed.connect(self.rename_direction)
        lp.raw_changed.connect(self.set_raw)
        bp.breed_requested.connect(self.breed_children)
        bp.cross_requested.connect(self.cross)
        ap.preview_requested.connect(self.preview_animation)
        ap.stop_requested.connect(self.stop_animation)
        self.grid.child_chosen.connect(self.adopt_child)
        self.tabs.currentChanged.connect(self._on_tabs_changed)
        self.favourite_list.itemDoubleClicked.connect(
            lambda item: self.commit(self.favourites[self.favourite_list.row(item)]))
        self.buttons["favourite"].clicked.connect(self.add_favourite)
        self.buttons["save"].clicked.connect(lambda: generate_files.save_latent_dialog(self))
        self.buttons["load"].clicked.connect(lambda: generate_files.load_latent_dialog(self))
        self.buttons["export"].clicked.connect(lambda: generate_files.export_png_dialog(self))
        self.buttons["project"].clicked.connect(lambda: generate_files.project_picture_dialog(self))
        ap.export_requested.connect(lambda *args: generate_files.export_animation_dialog(self, *args))
        self._settle.timeout.connect(lambda: self.render(final=True))
        self._player.timeout.connect(self._on_player_tick)
        r = self.runner
        r.job_finished.connect(self._on_runner_finished)
        r.job_preview.connect(self._on_runner_preview)
        r.job_failed.connect(self._on_runner_ended)
        r.job_cancelled.connect(self._on_runner_ended)

    # -- jobs ------------------------------------------------------------------------
    def submit(self, kind: str, factory, *, latest_wins: bool = True) -> int | None:
        try:
            # A slider render is one short step: let the running one finish
            # (its frame is shown) and drop only the queued ones.
            job_id = self.runner.submit(kind, factory, latest_wins=latest_wins,
                                        cancel_running=kind != RENDER_KIND)
        except RuntimeError:  # the window is closing
            return None
        self._jobs[job_id] = kind
        self._latest[kind] = job_id
        return job_id

    def shutdown(self) -> None:
        """Stop timers before the job thread goes away."""
        self._settle.stop()
        self._player.stop()

    def _on_runner_finished(self, job_id: int, result) -> None:
        kind = self._jobs.pop(job_id, None)
        if kind == RENDER_KIND:
            if job_id < self._shown_render:
                return  # an older frame finished after a newer one
            self._shown_render = job_id
        elif kind is None or self._latest.get(kind) != job_id:
            return  # not ours, or stale
        handler = getattr(self, "_on_" + kind.replace("generate.", "") + "_done", None)
        if handler is not None:
            handler(result)

    def _on_runner_preview(self, job_id: int, preview) -> None:
        if job_id in self._jobs and preview.image.ndim == 3:
            self.view.set_image(preview.image)

    def _on_runner_ended(self, job_id: int, *_args) -> None:
        self._jobs.pop(job_id, None)

    @property
    def spec(self):
        return self.specs.get(self.state.model if self.state else DEFAULT_MODEL)

    def _render_size(self, final: bool, thumb: bool = False) -> int | None:
        if self.info is None or self.info.kind != "cppn":
            return None
        return CPPN_THUMB if thumb else (CPPN_FULL if final else CPPN_DRAG)

    def _render_factory(self, latents: np.ndarray, size: int | None):
        request = RenderRequest(self.state.model, np.ascontiguousarray(latents, np.float32), size,
                                self.paths.models, self.settings.device)
        return lambda token: run_render(request, token)

    # -- model and state ---------------------------------------------------------------
    def activate(self) -> None:
        """Refresh the model list; load the default model the first time."""
        self._refresh_specs()
        self._fill_model_combo()
        if self.info is None and not any(k == INFO_KIND for k in self._jobs.values()):
            self.select_model(self.latent_panel.model_combo.currentData() or DEFAULT_MODEL)

    def select_model(self, name: str, then: LatentState | None = None) -> None:
        self._after_info = then
        self.view.set_image(None)
        request = ModelInfoRequest(name, self.paths.models, self.paths.cache, self.settings.device,
                                   directions=DIRECTIONS)
        self.submit(INFO_KIND, lambda token: run_model_info(request, token))

    def _on_info_done(self, info: ModelInfo) -> None:
        self.info = info
        state, self._after_info = self._after_info, None
        if state is not None:
            state = self._fit_state(state, info)
        names = {**self._saved_names(info.model_hash), **(dict(state.names) if state else {})}
        if state is not None:
            state = dataclasses.replace(state, names=tuple(sorted(names.items())))
        self.latent_panel.set_directions(len(info.vectors), names)
        self.latent_panel.set_raw_dim(info.latent_dim)
        self.latent_panel.set_gan_controls(info.kind == "gan")
        spec = self.specs.get(info.model)
        if spec is not None:
            self.latent_panel.model_info.setText(f"{spec.description or spec.kind} — {spec.licence}")
            index = self.latent_panel.model_combo.findData(info.model)
            self.latent_panel.model_combo.setCurrentIndex(index)
        if state is None:
            seed = random.randrange(0, 2**31 - 1)
            state = LatentState(info.model, info.model_hash, seed, sample_latent(info.latent_dim, seed),
                                names=tuple(sorted(names.items())))
        if self.state is None or self.state.model != info.model:
            self.history = LatentHistory()
        self._show_favourites(info.model)
        self.commit(dataclasses.replace(state, model_hash=info.model_hash))

    def _fit_state(self, state: LatentState, info: ModelInfo) -> LatentState | None:
        """Check a saved state against the loaded model; say what does not fit."""
        if state.latent.size != info.latent_dim:
            self.message.emit(f"That latent has {state.latent.size} values but {info.model} takes "
                              f"{info.latent_dim}; starting from a random seed instead.")
            return None
        kept = tuple((i, v) for i, v in state.edits if i < len(info.vectors))
        if len(kept) != len(state.edits):
            self.message.emit(f"Ignored edits along directions this window does not show "
                              f"(it shows {len(info.vectors)}).")
        if state.model_hash and state.model_hash != info.model_hash:
            self.message.emit(f"Note: saved with a different version of {info.model}; "
                              "the picture may differ.")
        return dataclasses.replace(state, edits=kept)

    def _saved_names(self, model_hash: str) -> dict[int, str]:
        names = self.settings.direction_names.get(model_hash, {})
        return {int(i): str(n) for i, n in names.items() if str(i).isdigit()}

    def commit(self, state: LatentState, record: bool = True) -> None:
        """Make ``state`` current, record it for undo and render it at full size."""
        self._settle.stop()  # this render is the full-size one the timer would repeat
        self.state = state
        if record:
            self.history.push(state)
            self.history_changed.emit()
        self._show_state()
        self.render(final=True)

    def _show_state(self) -> None:
        s = self.state
        self.latent_panel.show_state(s.seed, s.truncation, dict(s.edits), dict(s.names), s.latent)

    def render(self, final: bool) -> None:
        if self.state is None or self.info is None:
            return
        latent = self.state.effective(self.info.vectors)
        self.submit(RENDER_KIND, self._render_factory(latent[None], self._render_size(final)))

    def _can_use(self, state: LatentState) -> bool:
        return self.info is not None and state.model == self.info.model

    def _on_render_done(self, images: np.ndarray) -> None:
        self.last_image = images[0]
        if self._frames is None:
            self.view.set_image(images[0])

    def _change(self, dragging: bool = False, **fields) -> None:
        if self.state is None:
            return
        state = dataclasses.replace(self.state, **fields)
        if dragging:
            self.state = state
            self.render(final=False)
            if self.info is not None and self.info.kind == "cppn":
                self._settle.start()
        else:
            self.commit(state)

    def set_seed(self, seed: int) -> None:
        if self.info is not None:
            self._change(seed=int(seed), latent=sample_latent(self.info.latent_dim, int(seed)), edits=())

    def randomize(self) -> None:
        self.set_seed(random.randrange(0, 2**31 - 1))

    def set_edit(self, index: int, sigma: float, dragging: bool) -> None:
        if self.state is None:
            return
        edits = dict(self.state.edits)
        edits[index] = round(float(sigma), 4)
        edits = tuple(sorted((i, v) for i, v in edits.items() if v != 0.0))
        if edits != self.state.edits or not dragging:
            self._change(dragging=dragging, edits=edits)

    def set_raw(self, index: int, value: float, dragging: bool) -> None:
        if self.state is not None:
            latent = self.state.latent.copy()
            latent[index] = value
            self._change(dragging=dragging, latent=latent)

    def rename_direction(self, index: int, name: str) -> None:
        """Name a direction; the name is kept for this model across sessions."""
        if self.state is not None and self.info is not None:
            names = dict(self.state.names)
            names[index] = name
            saved = self.settings.direction_names.setdefault(self.info.model_hash, {})
            saved[str(index)] = name
            self._change(names=tuple(sorted(names.items())))

    def undo(self) -> None:
        state = self.history.undo()
        if state is not None:
            self.commit(state, record=False)
            self.history_changed.emit()

    def redo(self) -> None:
        state = self.history.redo()
        if state is not None:
            self.commit(state, record=False)
            self.history_changed.emit()

    def open_state(self, state: LatentState) -> None:
        """Restore a saved state (from a latent file or a PNG recipe), loading its model."""
        if self.info is not None and self.info.model == state.model:
            fitted = self._fit_state(state, self.info)
            if fitted is not None:
                self.latent_panel.set_directions(len(self.info.vectors), dict(fitted.names))
                self.commit(fitted)
        else:
            self.select_model(state.model, then=state)

    # -- favourites, breeding, crossover ---------------------------------------------------
    @property
    def favourites(self) -> list[LatentState]:
        """The current model's favourites (each model keeps its own)."""
        model = self.info.model if self.info else ""
        return [state for state, _ in self._favourites.get(model, [])]

    def add_favourite(self) -> None:
        if self.state is None or self.last_image is None or not self._can_use(self.state):
            return
        self._favourites.setdefault(self.state.model, []).append((self.state, self.last_image.copy()))
        self._show_favourites(self.state.model)
        self.message.emit(f"Added favourite #{len(self.favourites)}")

    def _show_favourites(self, model: str) -> None:
        entries = self._favourites.get(model, [])
        self.favourite_list.clear()
        for i, (state, image) in enumerate(entries):
            item = QListWidgetItem(QIcon(QPixmap.fromImage(to_qimage(image))), f"#{i + 1}")
            item.setToolTip(f"seed {state.seed}")
            self.favourite_list.addItem(item)
        self.breed_panel.set_favourites([f"#{i + 1} (seed {s.seed})" for i, (s, _) in enumerate(entries)])
        self.animate_panel.set_key_count(len(entries))

    def _edited(self, state: LatentState) -> np.ndarray:
        return apply_edits(state.latent, self.info.vectors, dict(state.edits))

    def breed_children(self, strength: float) -> None:
        if self.state is None or self.info is None:
            return
        self._children = breed(self._edited(self.state), CHILDREN, strength, random.randrange(2**31 - 1))
        latents = truncate(self._children, self.state.truncation)
        self.submit(BREED_KIND, self._render_factory(latents, self._render_size(True, thumb=True)))
        self.grid.set_children(None)
        if not self.grid.isVisible():
            self.grid.setVisible(True)
            total = sum(self.center.sizes())
            grid_width = min(total // 2, self.center.height() * 3 // 4)  # 3 x 4 square-ish cells
            self.center.setSizes([total - grid_width, grid_width])

    def _on_breed_done(self, images: np.ndarray) -> None:
        self.grid.set_children(images)

    def _on_frames_done(self, frames: np.ndarray) -> None:
        if self._frames is not None:
            self._start_player(frames)

    def adopt_child(self, index: int) -> None:
        if self._children is not None and index < len(self._children):
            self.commit(dataclasses.replace(self.state, latent=self._children[index].astype(np.float32),
                                            edits=()))

    def cross(self, a: int, b: int, blend: float, mode: str) -> None:
        if self.info is None or max(a, b) >= len(self.favourites):
            return
        za, zb = self._edited(self.favourites[a]), self._edited(self.favourites[b])
        child = crossover(za, zb, blend, mode, seed=random.randrange(2**31 - 1))
        self.commit(dataclasses.replace(self.state, latent=child.astype(np.float32), edits=()))

    # -- animation preview ---------------------------------------------------------------------
    def animation_latents(self, frames: int, loop: bool) -> np.ndarray:
        keys = np.stack([self._edited(s) for s in self.favourites])
        return truncate(interpolation_path(keys, frames, loop), self.state.truncation)

    def preview_animation(self, frames: int, loop: bool) -> None:
        if len(self.favourites) < 2 or self.info is None:
            return
        self._frames = np.zeros((0,), np.uint8)  # marks "waiting for frames"
        self.tabs.setCurrentWidget(self.animate_panel)
        latents = self.animation_latents(frames, loop)
        self.submit(FRAMES_KIND, self._render_factory(latents, self._render_size(True, thumb=True)))

    def _start_player(self, frames: np.ndarray) -> None:
        self._frames, self._frame_index = frames, 0
        self._player.start(int(1000 / max(self.animate_panel.fps.value(), 1)))

    def _on_player_tick(self) -> None:
        if self._frames is None or len(self._frames) == 0:
            return
        self.view.set_image(self._frames[self._frame_index % len(self._frames)])
        self._frame_index += 1

    def stop_animation(self) -> None:
        self._player.stop()
        self._frames = None
        if self.last_image is not None:
            self.view.set_image(self.last_image)

    # -- results of long jobs -----------------------------------------------------------------
    def _on_export_done(self, path) -> None:
        self.message.emit(f"Exported {path.name} with its recipe embedded")

    def _on_animation_done(self, path) -> None:
        self.message.emit(f"Exported {path.name}")

    def _on_project_done(self, latent: np.ndarray) -> None:
        self.commit(dataclasses.replace(self.state, latent=np.asarray(latent, np.float32), edits=()))
        self.message.emit("Projection finished: the sliders now start from your picture")

    def _on_tabs_changed(self, index: int) -> None:
        if self.tabs.widget(index) is not self.animate_panel and self._frames is not None:
            self.stop_animation()
