"""The caption field of the Generate workspace: what a caption-conditioned model (kind cgan) draws.

Shown only for such models. Typing pauses for :data:`TYPING_PAUSE_MS`, then
the caption becomes part of the current state (one undo step, recorded in
every recipe, favourite and export) and the picture is rendered again. For a
model with its own GRU text encoder the hint names the words its training
captions never used (they are read as "unknown"); a sentence-model cgan reads
any words, in any language, and needs the text extra.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget
from superqt.utils import qdebounced

from ..core.captions import Vocabulary
from ..core.latent_state import MAX_CAPTION

TYPING_PAUSE_MS = 250
PLACEHOLDER = "What to draw, e.g. two red circles on a black background"


class CaptionField(QWidget):
    """A line edit (``edit``) and a hint (``hint``)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setMaxLength(MAX_CAPTION)
        self.edit.setPlaceholderText(PLACEHOLDER)
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip("Caption: what this caption-conditioned model draws; the picture follows as you "
                             "type, and the caption is saved in favourites, latents and exported recipes")
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Caption"))
        row.addWidget(self.edit, 1)
        row.addWidget(self.hint)
        self.setVisible(False)


class CaptionController:
    """Keeps ``ws.caption_field`` and the session's caption in step (``ws``: the Generate workspace)."""

    def __init__(self, ws) -> None:
        self.ws, self.field = ws, ws.caption_field
        self.vocabulary: Vocabulary | None = None
        self._apply = qdebounced(self._commit, timeout=TYPING_PAUSE_MS, parent=self.field)
        self._typing = False          # edits not yet committed: a state change must not overwrite them
        self.field.edit.textEdited.connect(self._on_edit_text_edited)
        self.field.edit.returnPressed.connect(self._commit)
        ws.session.events.model_changed.connect(self._on_session_model_changed)
        ws.session.events.state_changed.connect(self._on_session_state_changed)

    def _on_session_model_changed(self, info, names) -> None:
        spec = self.ws.specs.get(info.model)
        conditioned = info.kind == "cgan"
        self.field.setVisible(conditioned)
        self.vocabulary = None
        self.examples = _examples(spec)
        self.field.edit.setPlaceholderText(f"What to draw, e.g. {self.examples[0]}" if self.examples else PLACEHOLDER)
        self._starting = conditioned
        if conditioned and spec is not None and spec.options.get("text", "gru") == "gru":
            try:
                self.vocabulary = Vocabulary(list(spec.options.get("vocabulary") or ()))
            except ValueError:
                self.vocabulary = None       # loading the model says what is wrong with its card
        self._show_hint()

    def _on_session_state_changed(self, state, dragging: bool) -> None:
        if self._starting:        # a caption-conditioned model just opened: draw its first example
            self._starting = False
            if self.examples and not state.caption:
                self.field.edit.setText(self.examples[0])
                self._commit()
                return
        if state.caption != " ".join(self.field.edit.text().split()) and not self._typing:
            self.field.edit.setText(state.caption)     # undo, a favourite or an opened recipe
            self._show_hint()

    def _on_edit_text_edited(self, _text: str) -> None:
        self._typing = True
        self._apply()

    def _commit(self) -> None:
        self._apply.cancel()
        self._typing = False
        session = self.ws.session
        caption = " ".join(self.field.edit.text().split())
        if session.state is not None and session.info is not None and session.info.kind == "cgan" \
                and caption != session.state.caption:
            session.commit(replace(session.state, caption=caption))
        self._show_hint()

    examples: list[str] = []
    _starting = False

    def _show_hint(self) -> None:
        text = self.field.edit.text()
        if self.vocabulary is None:
            self.field.hint.setText("any words (sentence model)" if self.field.isVisible() else "")
            return
        unknown = self.vocabulary.known(text)[1]
        self.field.hint.setText(f"unknown to this model: {', '.join(unknown[:4])}" if unknown else "")
        words = ", ".join(self.vocabulary.tokens[:60])
        self.field.hint.setToolTip(f"Words this model learnt from its captions: {words}")


def _examples(spec) -> list[str]:
    """The card's example captions (read as hostile: strings of one printable line, at most 8)."""
    found = spec.options.get("examples") if spec is not None else None
    if not isinstance(found, (list, tuple)):
        return []
    return [t for t in found if isinstance(t, str) and 0 < len(t) <= MAX_CAPTION and t.isprintable()][:8]
