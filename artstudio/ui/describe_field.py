"""The Generate workspace's "Describe…" field: words in, what they matched shown under it.

Only widgets and signals; what a description does lives in
:mod:`artstudio.ui.describe_controller`.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget
from superqt.utils import qdebounced

TYPING_PAUSE_MS = 250       # an answer once typing pauses, not one per key
SHORTCUT = "Ctrl+D"
TIP = (f"Describe what you want, in words ({SHORTCUT}); Enter applies it as one step (Edit ▸ Undo takes it back).\n"
       "• Sliders you have named move: 'more smile, slightly less age', 'smile +2', 'smile 0'\n"
       "  (click a slider's name to name it).\n"
       "• Favourites you have tagged come back: 'beach' (right-click a favourite ▸ Tag…).\n"
       "• Colour names make a palette: 'navy blue and dusty rose' recolours a CPPN pattern;\n"
       "  for other models, 'Colour in Stylize' matches the picture's colours to it.\n"
       "• After 'Learn from my captions', other descriptions give a latent from your captions.")


class DescribeField(QWidget):
    """Signals: ``text_paused(str)`` typing paused; ``apply_requested(str)`` Enter;
    ``learn_requested()``; ``stylize_requested()``; ``clear_colours_requested()``."""

    text_paused = Signal(str)
    apply_requested = Signal(str)
    learn_requested = Signal()
    stylize_requested = Signal()
    clear_colours_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(f"Describe… e.g. more smile, less age · navy blue and dusty rose ({SHORTCUT})")
        self.edit.setToolTip(TIP)
        self.edit.setClearButtonEnabled(True)
        self.edit.setMaxLength(500)
        self._paused = qdebounced(lambda: self.text_paused.emit(self.text()), timeout=TYPING_PAUSE_MS, parent=self)
        self.edit.textEdited.connect(lambda _text: self._paused())
        self.edit.returnPressed.connect(self._on_edit_return_pressed)
        self.learn_button = self._button("Learn from my captions…", self.learn_requested,
                                         "Choose a folder of pictures with a NAME.txt caption beside each: "
                                         "ArtStudio finds each picture's latent and learns which words lead "
                                         "where (and reports how well, by leave-one-out)")
        self.stylize_button = self._button("Colour in Stylize", self.stylize_requested,
                                           "Open this picture in Restore with the palette as the style of "
                                           "Stylize ▸ Match colours")
        self.clear_button = self._button("Clear colours", self.clear_colours_requested,
                                         "Show the model's own colours again")
        self.result = QLabel("")
        self.result.setObjectName("hint")
        self.result.setTextFormat(Qt.TextFormat.RichText)       # the colour chips; the text is escaped
        self.result.setWordWrap(True)
        self.result.setToolTip("What the description matched, and how closely (1.00: the same meaning)")
        top, bottom = QHBoxLayout(), QHBoxLayout()
        top.addWidget(self.edit, 1)
        top.addWidget(self.learn_button)
        bottom.addWidget(self.result, 1)
        bottom.addWidget(self.stylize_button)
        bottom.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(bottom)
        self.show_palette_actions(False, False)

    def _button(self, text: str, signal, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda _=False: signal.emit())
        return button

    def text(self) -> str:
        return " ".join(self.edit.text().split())

    def _on_edit_return_pressed(self) -> None:
        self._paused.cancel()
        self.apply_requested.emit(self.text())

    def show_result(self, text: str, palette=()) -> None:
        """``text`` (plain) under the field, with a chip of each ``(name, (r, g, b))`` colour."""
        chips = "".join(f'<span style="background-color:#{r:02x}{g:02x}{b:02x}">&nbsp;&nbsp;&nbsp;&nbsp;</span> '
                        for _, (r, g, b) in palette)
        self.result.setText(f"{chips}{escape(text, quote=False)}" if text or chips else "")

    def set_learning(self, busy: bool) -> None:
        self.learn_button.setEnabled(not busy)

    def show_palette_actions(self, stylize: bool, clear: bool) -> None:
        """Offer 'Colour in Stylize' (a palette for a non-CPPN model) and 'Clear colours' (a palette shown)."""
        self.stylize_button.setVisible(stylize)
        self.clear_button.setVisible(clear)

    def focus(self) -> None:
        self.edit.setFocus()
        self.edit.selectAll()
