"""The Generate workspace: a view over a Qt-free :class:`GenerateSession`.

The session owns the explorer's state, history, favourites and children and
announces each change; this widget mirrors those events and renders them.
Renders are "latest wins" jobs, so a slider drag never queues frames; while
dragging an expensive model a small preview is rendered, and the full size
once the drag pauses. Results reach handlers through an explicit map.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget

from ..core.favourites import FavouriteStore
from ..core.generate_session import CHILDREN, GenerateSession, ModelInfo
from ..core.latent_state import LatentHistory, LatentState
from ..jobs.explore import ModelInfoRequest, run_model_info
from ..jobs.generate import RenderRequest, run_render
from ..models.registry import list_models
from . import generate_files, generate_layout
from .caption_field import CaptionController
from .describe_controller import DescribeController
from .frame_player import FramePlayer
from .job_routes import JobRoutes

DEFAULT_MODEL = "dcgan-faces"
CPPN_FULL, CPPN_DRAG, CPPN_THUMB = 512, 128, 160
SETTLE_MS = 180
RENDER_KIND, INFO_KIND = "generate.render", "generate.info"
BREED_KIND, FRAMES_KIND = "generate.breed", "generate.frames"
DIRECTIONS = 20      # the CLI's --edit uses the same count, so recipes agree


class GenerateWorkspace(QWidget):
    """Signals: ``message(str)`` a status line; ``history_changed()`` undo/redo may have changed."""

    message = Signal(str)
    history_changed = Signal()

    def __init__(self, runner, paths, settings, parent=None):
        super().__init__(parent)
        self.runner, self.paths, self.settings = runner, paths, settings
        self.session = GenerateSession(settings.direction_names, store=FavouriteStore(paths.favourites))
        self.specs = {}
        self._after_info: LatentState | None = None
        self._loading: str | None = None      # the model whose facts are being read
        generate_layout.build(self, CHILDREN)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self.player = FramePlayer(self)
        self._refresh_models()
        handlers = {  # which method takes the result of each kind of job submitted here
            RENDER_KIND: self._on_render_done, INFO_KIND: self._on_info_done,
            BREED_KIND: lambda images: self.grid.set_children(self.describe.recolour(images)),
            FRAMES_KIND: self._on_frames_done,
            generate_files.PROJECT_KIND: self._on_project_done,
            generate_files.EXPORT_KIND: lambda path: self.show_message(
                f"Exported {path.name} with its recipe embedded"),
            generate_files.ANIMATION_KIND: lambda path: self.show_message(f"Exported {path.name}"),
        }
        self.jobs = JobRoutes(runner, handlers, streamed=(RENDER_KIND,), parent=self,
                              on_preview=lambda p: self.view.set_image(p.image) if p.image.ndim == 3 else None)
        self._connect()
        self.describe = DescribeController(self)      # the Describe field (after _connect: its events come second)
        self.captions = CaptionController(self)       # the caption of a cgan model

    # -- construction --------------------------------------------------------------
    def _refresh_models(self) -> None:
        """Re-read the registry: a model trained meanwhile appears without a restart."""
        self.specs = {s.name: s for s in list_models(self.paths.models)}   # generators only
        current = self.state.model if self.state else DEFAULT_MODEL
        entries = [(s.name, f"{s.name}  ({s.kind}, {s.resolution} px)") for s in self.specs.values()]
        self.latent_panel.set_models(entries, current)

    def _connect(self) -> None:
        s, lp, bp, ap = self.session, self.latent_panel, self.breed_panel, self.animate_panel
        lp.model_selected.connect(self._on_panel_model_selected)
        lp.seed_changed.connect(s.set_seed)
        lp.randomize_requested.connect(s.randomize)
        lp.truncation_changed.connect(s.set_truncation)
        lp.edit_changed.connect(s.set_edit)
        lp.reset_requested.connect(s.reset_edits)
        lp.direction_renamed.connect(s.rename_direction)
        lp.raw_changed.connect(s.set_raw)
        bp.breed_requested.connect(s.breed)
        bp.cross_requested.connect(s.cross)
        ap.preview_requested.connect(self.preview_animation)
        ap.stop_requested.connect(self.stop_animation)
        ap.export_requested.connect(lambda *args: generate_files.export_animation_dialog(self, *args))
        self.grid.child_chosen.connect(s.adopt_child)
        self.favourite_list.chosen.connect(s.go_to_favourite)
        self.favourite_list.remove_requested.connect(s.remove_favourite)
        self.tabs.currentChanged.connect(self._on_tabs_changed)
        self._settle.timeout.connect(lambda: self.render(final=True))
        self.player.frame.connect(self.view.set_image)
        self._connect_session(s)

    def _connect_session(self, s: GenerateSession) -> None:
        s.events.model_changed.connect(self._on_session_model_changed)
        s.events.state_changed.connect(self._on_session_state_changed)
        s.events.history_changed.connect(self.history_changed.emit)
        s.events.favourites_changed.connect(self._on_session_favourites_changed)
        s.events.children_changed.connect(self._on_session_children_changed)
        s.events.message.connect(self.show_message)

    # -- what the rest of the window uses ----------------------------------------------------
    @property
    def state(self) -> LatentState | None:
        return self.session.state

    @property
    def info(self) -> ModelInfo | None:
        return self.session.info

    @property
    def history(self) -> LatentHistory:
        return self.session.history

    @property
    def last_image(self) -> np.ndarray | None:
        return self.session.last_image

    def has_model(self, name: str) -> bool:
        """Whether the generator ``name`` is installed (as of the last refresh)."""
        return name in self.specs

    def show_message(self, text: str) -> None:
        """Put ``text`` on the status line."""
        self.message.emit(text)

    def randomize(self) -> None:
        self.session.randomize()

    def add_favourite(self) -> None:
        self.session.add_favourite()

    def undo(self) -> None:
        self.session.undo()

    def redo(self) -> None:
        self.session.redo()

    def activate(self) -> None:
        """Refresh the model list; load the default model the first time."""
        self._refresh_models()
        if self.info is None and not self.jobs.pending(INFO_KIND):
            self.select_model(self.latent_panel.current_model() or DEFAULT_MODEL)

    def select_model(self, name: str, then: LatentState | None = None) -> None:
        """Load the generator ``name``, then go to ``then`` (or a random seed)."""
        self._after_info, self._loading = then, name
        self.view.set_image(None)
        request = ModelInfoRequest(name, self.paths.models, self.paths.cache, self.settings.device,
                                   directions=DIRECTIONS)
        self.submit(INFO_KIND, lambda token: run_model_info(request, token))

    def _on_panel_model_selected(self, name: str) -> None:
        loaded = self.info.model if self.info is not None else None
        if name == (self._loading if self.jobs.pending(INFO_KIND) else loaded):
            return              # the combo's activated fires on no change too (issue 15 B4)
        self.select_model(name, then=self.state if name == loaded else None)   # back to where you were

    def open_state(self, state: LatentState) -> None:
        """Go to a saved state (a latent file, a PNG recipe), loading its model first if needed."""
        if not self.session.open_state(state):
            self.select_model(state.model, then=state)

    def shutdown(self) -> None:
        """Stop timers before the job thread goes away."""
        self._settle.stop()
        self.player.stop()

    # -- jobs ------------------------------------------------------------------------
    def submit(self, kind: str, factory, *, latest_wins: bool = True) -> int | None:
        """Run a job of ``kind`` (a key of the handlers in ``__init__``); None while the window closes."""
        return self.jobs.submit(kind, factory, latest_wins=latest_wins)

    def _render_size(self, final: bool, thumb: bool = False) -> int | None:
        if self.info is None or self.info.kind != "cppn":
            return None
        return CPPN_THUMB if thumb else (CPPN_FULL if final else CPPN_DRAG)

    def _render(self, kind: str, latents: np.ndarray, size: int | None) -> None:
        request = RenderRequest(self.state.model, np.ascontiguousarray(latents, np.float32), size,
                                self.paths.models, self.settings.device, self.state.caption)
        self.submit(kind, lambda token: run_render(request, token))

    def render(self, final: bool) -> None:
        """Render the current state (small while dragging a CPPN)."""
        latent = self.session.render_latent()
        if latent is not None:
            self._render(RENDER_KIND, latent[None], self._render_size(final))

    def preview_animation(self, frames: int, loop: bool) -> None:
        """Render the path through the favourites and play it in the main view."""
        if not self.session.can_animate:
            return
        self.player.expect()
        self.tabs.setCurrentWidget(self.animate_panel)
        self._render(FRAMES_KIND, self.session.animation_latents(frames, loop), self._render_size(True, thumb=True))

    def stop_animation(self) -> None:
        self.player.stop()
        if self.last_image is not None:
            self.view.set_image(self.last_image)

    # -- session events ------------------------------------------------------------------
    def _on_session_model_changed(self, info: ModelInfo, names: dict[int, str]) -> None:
        spec = self.specs.get(info.model)
        about = f"{spec.description or spec.kind} — {spec.licence}" if spec is not None else None
        self.latent_panel.show_model(info.model, about, len(info.vectors), names, info.latent_dim,
                                     is_gan=info.kind == "gan")

    def _on_session_state_changed(self, state: LatentState, dragging: bool) -> None:
        if dragging:
            self.render(final=False)
            if self.info.kind == "cppn":
                self._settle.start()
            return
        self._settle.stop()  # this render is the full-size one the timer would repeat
        self.latent_panel.show_state(state.seed, state.truncation, dict(state.edits), dict(state.names),
                                     state.latent)
        self._show_parent()
        self.render(final=True)

    def _show_parent(self) -> None:
        picked = self.session.picked_child()
        self.grid.mark(picked)
        self.breed_panel.show_parent(picked, self.session.children is not None)

    def _on_session_favourites_changed(self) -> None:
        entries = self.session.favourite_entries()
        self.favourite_list.show_thumbnails([(f"#{i + 1}", state.source, image)
                                             for i, (state, image) in enumerate(entries)])
        self.breed_panel.set_favourites([f"#{i + 1} ({s.source})" for i, (s, _) in enumerate(entries)])
        self.animate_panel.set_key_count(len(entries))

    def _on_session_children_changed(self, latents: np.ndarray | None) -> None:
        self.grid.set_children(None)
        self._show_parent()
        if latents is None:        # another model: its children must never be shown or picked (issue 15 B3)
            self.jobs.forget(BREED_KIND)
            self.grid.setVisible(False)
            return
        self._render(BREED_KIND, latents, self._render_size(True, thumb=True))
        if not self.grid.isVisible():
            self.grid.setVisible(True)
            total = sum(self.center.sizes())
            grid_width = min(total // 2, self.center.height() * 3 // 4)  # 3 x 4 square-ish cells
            self.center.setSizes([total - grid_width, grid_width])

    def _on_tabs_changed(self, index: int) -> None:
        if self.tabs.widget(index) is not self.animate_panel and self.player.active:
            self.stop_animation()

    # -- results of jobs -----------------------------------------------------------------
    def _on_info_done(self, info: ModelInfo) -> None:
        then, self._after_info, self._loading = self._after_info, None, None
        self.session.load_model(info, then)

    def _on_render_done(self, images: np.ndarray) -> None:
        images = self.describe.recolour(images)
        self.session.set_last_image(images[0])
        if not self.player.active:
            self.view.set_image(images[0])

    def _on_frames_done(self, frames: np.ndarray) -> None:
        if self.player.active:
            self.player.play(self.describe.recolour(frames), self.animate_panel.frames_per_second())

    def _on_project_done(self, latent: np.ndarray) -> None:
        self.session.adopt_latent(latent, origin="projection")
        self.show_message("Projection finished: the sliders now start from your picture (no seed makes it; "
                          "save the latent or export a PNG to keep it)")
