"""How the Generate workspace is laid out: the view and the breed grid, the
buttons and favourites under them, and the Explore / Breed / Animate tabs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget

from . import generate_files
from .animate_panel import AnimatePanel
from .breed_grid import BreedGrid
from .breed_panel import BreedPanel
from .caption_field import CaptionField
from .describe_field import DescribeField
from .favourites_strip import FavouritesStrip
from .image_view import ImageView
from .latent_panel import LatentPanel

# The buttons under the view: key, text, tooltip, what a click does (None: add a favourite).
ACTIONS = (
    ("favourite", "♥ Favourite (F)", "Keep the current image in the favourites below, across restarts (F)", None),
    ("save", "Save latent…", "Write the current latent and its settings as .npz + .json",
     generate_files.save_latent_dialog),
    ("load", "Load latent…", "Continue from a saved .npz latent", generate_files.load_latent_dialog),
    ("export", "Export PNG…", "Write the image at a chosen size and shape, with its recipe embedded",
     generate_files.export_png_dialog),
    ("project", "Project a picture…", "Find the latent whose image looks most like a picture of yours "
     "(Esc stops); no seed makes the result", generate_files.project_picture_dialog))


def _action_row(ws) -> tuple[QHBoxLayout, dict[str, QPushButton]]:
    """The buttons under the view, wired to ``ws``."""
    row, buttons = QHBoxLayout(), {}
    for key, text, tip, dialog in ACTIONS:
        buttons[key] = QPushButton(text)
        buttons[key].setToolTip(tip)
        buttons[key].clicked.connect(ws.add_favourite if dialog is None else lambda _=False, d=dialog: d(ws))
        row.addWidget(buttons[key])
    row.addStretch(1)
    return row, buttons


def _splitter(first: QWidget, second: QWidget, stretch: tuple[int, int]) -> QSplitter:
    splitter = QSplitter(Qt.Orientation.Horizontal)
    for index, widget in enumerate((first, second)):
        splitter.addWidget(widget)
        splitter.setStretchFactor(index, stretch[index])
    return splitter


def build(ws, children: int) -> None:
    """Make ``ws``'s widgets (``view``, ``grid``, ``center``, ``caption_field``, ``describe_field``,
    ``favourite_list``, ``buttons``, the three panels, ``tabs``) and lay them out; ``children``: the
    breed grid's size."""
    ws.view = ImageView(placeholder="Loading the generator…")
    ws.grid = BreedGrid(children)
    ws.grid.setVisible(False)           # until the first children are bred
    ws.center = _splitter(ws.view, ws.grid, (3, 2))
    ws.favourite_list = FavouritesStrip()
    actions, ws.buttons = _action_row(ws)
    left = QWidget()
    column = QVBoxLayout(left)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(ws.center, 1)
    ws.caption_field = CaptionField()       # shown for caption-conditioned models only
    column.addWidget(ws.caption_field)
    ws.describe_field = DescribeField()
    column.addWidget(ws.describe_field)
    column.addLayout(actions)
    column.addWidget(ws.favourite_list)
    ws.latent_panel, ws.breed_panel, ws.animate_panel = LatentPanel(), BreedPanel(), AnimatePanel()
    ws.tabs = QTabWidget()
    for panel, title, tip in ((ws.latent_panel, "Explore", "Model, seed and direction sliders"),
                              (ws.breed_panel, "Breed", "Children of the current image; crossover"),
                              (ws.animate_panel, "Animate", "An animation through the favourites")):
        ws.tabs.setTabToolTip(ws.tabs.addTab(panel, title), tip)
    ws.tabs.setMinimumWidth(330)
    ws.tabs.setMaximumWidth(440)
    layout = QHBoxLayout(ws)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(_splitter(left, ws.tabs, (1, 0)))
