"""What the Describe field does in the Generate workspace (issue 14, "words -> controls").

Typing asks the job thread what the words mean (latest wins; the sentence
model loads there on first use, never at start-up or on the GUI thread) and
shows the answer ("smile 0.71 (+1σ), age 0.64 (-1σ)"); Enter applies it as
ONE committed state of the session, so one Ctrl+Z undoes it all:

* a tagged favourite that matched is the starting point (the best one);
* the named sliders that matched move by the amounts read;
* when neither matched and the model has a captions map, the map's latent
  for the whole description is the new starting point;
* colour names: on a CPPN they become a palette *look*, a gradient map over
  every render shown here (and kept in favourites' thumbnails) until
  cleared; exports render the model's own colours. On other models the
  palette is offered to Stylize ▸ Match colours instead (a recolour that
  keeps a face looking like a face).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog

from ..core.caption_map import map_path
from ..core.colour_names import gradient_map, palette_swatch
from ..jobs.describe import DescribeAnswer, DescribeRequest, LearnRequest, run_describe, run_learn_captions
from ..models.sentence import INSTALL_HINT, text_extra_available
from .job_routes import JobRoutes

ANSWER_KIND, LEARN_KIND = "generate.describe", "generate.learn_captions"
NO_EXTRA = f"Sliders, favourites and captions need the optional text extra: {INSTALL_HINT}"


class DescribeController(QObject):
    """The Describe field's logic over ``workspace`` (its ``session``, ``describe_field``,
    ``favourite_list``, ``runner``, ``paths``, ``settings``, ``render`` and ``show_message``).

    Signals: ``palette_for_stylize(swatch, name)``: ``uint8 (H, W, 3)`` stripes of the palette,
    for the window to open the picture in Restore with it as the style.
    """

    palette_for_stylize = Signal(object, str)

    def __init__(self, workspace):
        super().__init__(workspace)
        self.ws, self.field = workspace, workspace.describe_field
        self.palette: tuple = ()             # the look over CPPN renders (empty: none)
        self.answer: DescribeAnswer | None = None
        self._asked: DescribeRequest | None = None      # the request of the job whose answer counts
        self._answered: DescribeRequest | None = None   # the request ``answer`` answers
        self._apply_text: str | None = None  # Enter was pressed before its answer came
        self._learn_job: int | None = None
        self._answered_once = False
        self.jobs = JobRoutes(workspace.runner, {ANSWER_KIND: self._on_answer, LEARN_KIND: self._on_learned},
                              parent=self)
        f = self.field
        f.text_paused.connect(self.ask)
        f.apply_requested.connect(self.apply)
        f.learn_requested.connect(self.learn_dialog)
        f.stylize_requested.connect(self.stylize)
        f.clear_colours_requested.connect(self.clear_colours)
        workspace.favourite_list.tag_requested.connect(self.tag_dialog)
        workspace.session.events.favourites_changed.connect(self._show_tags)
        workspace.session.events.model_changed.connect(lambda *_: self._show_palette_actions())
        workspace.runner.job_failed.connect(self._on_runner_failed)
        if not text_extra_available():
            f.show_result(NO_EXTRA)
            f.learn_button.setEnabled(False)
            f.learn_button.setToolTip(NO_EXTRA)

    # -- asking ------------------------------------------------------------------------------
    def _request(self, text: str) -> DescribeRequest:
        session, info = self.ws.session, self.ws.session.info
        state = session.state
        shown = len(info.vectors) if info is not None else 0
        sliders = tuple((i, n) for i, n in (state.names if state else ()) if i < shown)
        tags = tuple((i, t) for i, t in enumerate(session.favourite_tags()) if t)
        path = map_path(self.ws.paths.models, info.model) if info is not None else None
        return DescribeRequest(text, sliders, tags, info.model_hash if info else "",
                               path if path is not None and path.is_file() else None)

    def ask(self, text: str) -> int | None:
        """Find out (on the job thread) what ``text`` means; the answer is shown, not applied."""
        text = " ".join(str(text).split())
        if not text:
            self.answer = None
            self.field.show_result("" if text_extra_available() else NO_EXTRA)
            return None
        if not self._answered_once:
            self.field.show_result("Loading the text model (the first time takes a few seconds)…")
        request = self._asked = self._request(text)
        return self.jobs.submit(ANSWER_KIND, lambda token: run_describe(request, token))

    def apply(self, text: str) -> None:
        """Apply what ``text`` means (asking first when its answer is not here yet)."""
        text = " ".join(str(text).split())
        if self.answer is not None and self._answered == self._request(text):
            self._apply(self.answer)        # still true of these sliders, favourites and map
        elif text:
            self._apply_text = text
            self.ask(text)

    def _on_answer(self, answer: DescribeAnswer) -> None:
        self._answered_once = True
        self.answer, self._answered = answer, self._asked
        self.field.show_result(" · ".join(p for p in (answer.summary(), *answer.notes) if p), answer.palette)
        self._show_palette_actions()
        if self._apply_text == answer.text:
            self._apply_text = None
            self._apply(answer)

    # -- applying ------------------------------------------------------------------------------
    def _apply(self, answer: DescribeAnswer) -> None:
        session, info = self.ws.session, self.ws.session.info
        if session.state is None or info is None:
            return
        reading, base = answer.reading, session.state
        favourite = reading.favourite
        if favourite is not None and favourite.key < len(session.favourites):
            base = session.favourites[favourite.key]
        elif not reading.sliders and answer.latent is not None and answer.latent.size == info.latent_dim:
            base = replace(base, latent=answer.latent, edits=(), origin="projection")
        moved = {i: v for i, v in reading.edits(dict(base.edits)).items() if i < len(info.vectors)}
        state = replace(base, edits={**dict(base.edits), **moved})
        changed = state != session.state
        if changed:
            session.commit(state)             # one undo step for the whole description
        if answer.palette and info.kind == "cppn" and answer.palette != self.palette:
            self.palette = answer.palette
            if not changed:
                self.ws.render(final=True)
        self._show_palette_actions()
        done = answer.summary() or "nothing to apply"
        self.ws.show_message(f"Described: {done}" + ("" if changed or answer.palette else " (nothing moved)"))

    def recolour(self, images: np.ndarray) -> np.ndarray:
        """``images`` (``uint8 (N, H, W, 3)``) through the palette look, on a CPPN; else as they are."""
        info = self.ws.session.info
        if not self.palette or info is None or info.kind != "cppn":
            return images
        return np.stack([gradient_map(image, list(self.palette)) for image in images])

    def clear_colours(self) -> None:
        """Back to the model's own colours."""
        self.palette = ()
        self._show_palette_actions()
        self.ws.render(final=True)

    def _show_palette_actions(self) -> None:
        info = self.ws.session.info
        offered = self.answer.palette if self.answer is not None else ()
        self.field.show_palette_actions(bool(offered) and info is not None and info.kind != "cppn",
                                        bool(self.palette) and info is not None and info.kind == "cppn")

    def stylize(self) -> None:
        """Offer the answer's palette to Stylize (the window opens the picture in Restore with it)."""
        palette = self.answer.palette if self.answer is not None else ()
        if palette:
            names = ", ".join(name for name, _ in palette)
            self.palette_for_stylize.emit(palette_swatch(list(palette)), f"palette: {names}")

    def focus(self) -> None:
        """Put the cursor in the field (Generate ▸ Describe…, Ctrl+D)."""
        self.field.focus()

    # -- learning and tagging ---------------------------------------------------------------------
    def learn_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.ws, "A folder of pictures with .txt captions",
                                                  self.ws.settings.last_dir or "")
        if folder:
            self.learn(Path(folder))

    def learn(self, folder: Path) -> int | None:
        """Learn the loaded model's captions map from ``folder``; returns the job id (None: no model)."""
        info = self.ws.session.info
        if info is None:
            return None
        models = self.ws.paths.models
        request = LearnRequest(Path(folder), info.model, info.model_hash, map_path(models, info.model), models,
                               self.ws.settings.device)
        self._learn_job = self.jobs.submit(LEARN_KIND, lambda token: run_learn_captions(request, token),
                                           latest_wins=False)
        self.field.set_learning(True)
        self.field.show_result(f"Learning from the captions in '{Path(folder).name}' (Esc stops)…")
        return self._learn_job

    def _on_learned(self, result) -> None:
        self._learn_job = None
        self.field.set_learning(False)
        self.field.show_result(result.message())
        self.ws.show_message(result.message())

    def _on_runner_failed(self, job_id: int, message: str) -> None:
        if job_id == self._learn_job:           # the window shows the line too
            self._learn_job = None
            self.field.set_learning(False)
            self.field.show_result(message)

    def tag_dialog(self, index: int) -> None:
        tags = self.ws.session.favourite_tags()
        if not 0 <= index < len(tags):
            return
        prompt = f"Tags of favourite #{index + 1}, separated by commas (the Describe field recalls it by them):"
        text, ok = QInputDialog.getText(self.ws, "Tag favourite", prompt, text=", ".join(tags[index]))
        if ok:
            self.ws.session.tag_favourite(index, text)

    def _show_tags(self) -> None:
        strip = self.ws.favourite_list
        for index, tags in enumerate(self.ws.session.favourite_tags()):
            item = strip.item(index)
            if item is not None and tags:
                item.setText(f"#{index + 1} {tags[0]}")
                item.setToolTip(f"{item.toolTip()}\nTags: {', '.join(tags)}")
