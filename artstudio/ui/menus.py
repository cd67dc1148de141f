"""The main window's menus, shortcuts and workspace switcher, built from one table of actions.

Every action is parented to the window (tests find them by shortcut) and
reaches the workspaces only through their public methods.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence
from PySide6.QtWidgets import QButtonGroup, QColorDialog, QHBoxLayout, QToolBar, QToolButton, QWidget

from ..core.settings import DEVICE_CHOICES, Settings
from . import file_ops, generate_files


def build_workspace_bar(window, workspaces: tuple[str, ...]) -> QButtonGroup:
    """The Restore / Generate / Train switcher at the top; returns its button group."""
    bar = QToolBar("Workspaces")
    bar.setMovable(False)
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(8, 0, 8, 0)
    buttons = QButtonGroup(window)
    for index, name in enumerate(workspaces):
        button = QToolButton()
        button.setObjectName("workspace")
        button.setText(name)
        button.setCheckable(True)
        button.setToolTip(f"{name} workspace (Alt+{index + 1})")
        buttons.addButton(button, index)
        row.addWidget(button)
    buttons.button(0).setChecked(True)
    buttons.idClicked.connect(window.show_workspace)
    bar.addWidget(holder)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return buttons


def build_menus(window, workspaces: tuple[str, ...]):
    """File, Edit, View, Tools, Generate, Settings and Help; returns (undo, redo, recent menu)."""
    mb = window.menuBar()
    recent_menu = _file_menu(window, mb.addMenu("&File"))
    undo_action, redo_action = _edit_menu(window, mb.addMenu("&Edit"))
    _view_menu(window, mb.addMenu("&View"), workspaces)
    _tools_menu(window, mb.addMenu("&Tools"))
    _generate_menu(window, mb.addMenu("&Generate"))
    _settings_menu(window, mb.addMenu("&Settings"))
    _help_menu(window, mb.addMenu("&Help"))
    return undo_action, redo_action, recent_menu


def _file_menu(window, m):
    action = partial(_action, window)
    action(m, "&Open…", lambda: file_ops.open_dialog(window), "Ctrl+O",
           tip="Open a photo to restore (or a latent file, or a PNG with an ArtStudio recipe)")
    recent_menu = m.addMenu("Open &Recent")
    recent_menu.setToolTip("The photos opened last")
    recent_menu.aboutToShow.connect(window.fill_recent_menu)
    action(m, "Open &Demo Photo", lambda: file_ops.open_demo(window),
           tip="A scratched photo with its mask painted, to try a fill straight away")
    m.addSeparator()
    action(m, "&Save", lambda: file_ops.save(window), "Ctrl+S", tip="Save the photo to its file")
    action(m, "Save &As…", lambda: file_ops.save_as(window), "Ctrl+Shift+S",
           tip="Save the photo to another file, which becomes its file")
    action(m, "&Export Copy…", lambda: file_ops.export_copy(window), "Ctrl+E",
           tip="Write a copy of the photo; its file stays the same")
    m.addSeparator()
    action(m, "&Load Mask…", lambda: file_ops.load_mask_dialog(window), "Ctrl+Shift+O",
           tip="Read a black-and-white mask (white is filled) of the photo's size")
    action(m, "Save &Mask…", lambda: file_ops.save_mask_dialog(window), "Ctrl+Shift+M",
           tip="Write the painted mask as a PNG (white is filled)")
    m.addSeparator()
    action(m, "&Quit", window.close, "Ctrl+Q", tip="Close ArtStudio (it asks first about unsaved or running work)")
    return recent_menu


def _edit_menu(window, m):
    ws, action = window.restore, partial(_action, window)
    undo_action = action(m, "&Undo", window.undo, "Ctrl+Z", tip="Undo the last step (View ▸ History lists them)")
    redo_action = action(m, "&Redo", window.redo, "Ctrl+Shift+Z", "Ctrl+Y", tip="Redo the step undone last")
    m.addSeparator()
    action(m, "&Clear Mask", lambda: ws.mask_operation("clear"), "Ctrl+Shift+A", tip="Unpaint the whole mask")
    action(m, "&Invert Mask", lambda: ws.mask_operation("invert"), "Ctrl+I",
           tip="Swap what is filled and what is kept")
    action(m, "&Grow Mask", lambda: ws.mask_operation("grow", ws.panel.grow_pixels.value()),
           tip="Widen the mask by the panel's Grow/shrink pixels")
    action(m, "S&hrink Mask", lambda: ws.mask_operation("shrink", ws.panel.grow_pixels.value()),
           tip="Narrow the mask by the panel's Grow/shrink pixels")
    m.addSeparator()
    action(m, "&Fill", lambda: ws.fill(), "Ctrl+Return", tip="Fill the masked area with the panel's method")
    action(m, "&Apply Fill", ws.apply, tip="Keep the result being compared (one undo step; Enter on the canvas)")
    action(m, "Re&vert Fill", ws.revert, tip="Drop the result being compared")
    # Not runner.cancel itself: triggered(checked=False) would arrive as job_id=False
    # and match no job (issue 15 B1).
    action(m, "Cancel &Job", lambda: ws.canvas.escape() or window.runner.cancel(), "Esc",
           tip="Drop the selection being drawn, or stop the running job")
    return undo_action, redo_action


def _view_menu(window, m, workspaces: tuple[str, ...]) -> None:
    canvas, action = window.restore.canvas, partial(_action, window)
    in_restore = partial(_shown_only, window, window.restore)
    action(m, "Zoom &In", in_restore(lambda: canvas.zoom_by(1.25)), "Ctrl+=", "Ctrl++",
           tip="Zoom in about the view's centre (Ctrl+wheel: about the pointer)")
    action(m, "Zoom &Out", in_restore(lambda: canvas.zoom_by(1 / 1.25)), "Ctrl+-", tip="Zoom out")
    action(m, "&Fit to Window", in_restore(canvas.fit), "Ctrl+0", tip="Show the whole photo")
    action(m, "&Actual Pixels (100%)", in_restore(canvas.actual_size), "Ctrl+1",
           tip="One photo pixel per screen pixel")
    window.panels.add_to_view_menu(m)
    m.addSeparator()
    _mask_view_actions(window, m, canvas)
    m.addSeparator()
    for index, name in enumerate(workspaces):
        action(m, f"{name} Workspace", lambda _=False, i=index: window.show_workspace(i), f"Alt+{index + 1}",
               tip=f"Switch to the {name} workspace")


def _tools_menu(window, m) -> None:
    ws, canvas, action = window.restore, window.restore.canvas, partial(_action, window)
    in_restore = partial(_shown_only, window, window.restore)
    for tool_action in ws.tools.actions_by_key.values():   # one action per tool, shared with the tool bar
        m.addAction(tool_action)
    m.addSeparator()
    action(m, "&Swap Brush/Eraser", in_restore(canvas.swap_tool), "X", tip="Paint or erase the mask")
    action(m, "Brush &Larger", in_restore(lambda: canvas.resize_brush(1.2)), "]", tip="A larger brush")
    action(m, "Brush S&maller", in_restore(lambda: canvas.resize_brush(1 / 1.2)), "[", tip="A smaller brush")


def _generate_menu(window, g) -> None:
    gen, action = window.generate, partial(_action, window)
    in_generate = partial(_shown_only, window, window.generate)
    action(g, "&Randomize Seed", in_generate(gen.randomize), "R", tip="A new random picture from the model")
    action(g, "Add to &Favourites", in_generate(gen.add_favourite), "F", tip="Keep this picture's latent")
    action(g, "&Describe…", in_generate(lambda: gen.describe.focus()), "Ctrl+D",
           tip="Type what you want: named sliders move, tagged favourites return, colour names make a palette")
    g.addSeparator()
    action(g, "&Save Latent…", in_generate(lambda: generate_files.save_latent_dialog(gen)),
           tip="Write the current latent to a file")
    action(g, "&Load Latent…", in_generate(lambda: generate_files.load_latent_dialog(gen)),
           tip="Read a latent file back")
    action(g, "&Export PNG with Recipe…", in_generate(lambda: generate_files.export_png_dialog(gen)),
           tip="A PNG that opens back into this exact picture")
    action(g, "&Project a Picture…", in_generate(lambda: generate_files.project_picture_dialog(gen)),
           tip="Find the latent whose picture looks most like a given one")
    action(g, "Project the &Restore Photo (painted area counts)",
           in_generate(lambda: generate_files.project_restore_photo(gen, window.restore.document)),
           tip="Project the photo open in Restore; only the painted area is matched")
    g.addSeparator()
    action(g, "S&tylize in Restore", in_generate(lambda: _stylize_generated(window)),
           tip="Open this picture in Restore as a new untitled photo, to stylise it after a painting or photo")


def _stylize_generated(window) -> None:
    from .stylize_controller import open_generated_in_restore

    open_generated_in_restore(window)


def _settings_menu(window, m) -> None:
    device_menu = m.addMenu("Compute &Device")
    device_menu.setToolTip("Where jobs run")
    group = QActionGroup(window)
    window.device_actions = {}
    for choice in DEVICE_CHOICES:
        item = QAction({"auto": "Automatic (CUDA, MPS, CPU)", "cuda": "CUDA GPU",
                        "mps": "Apple GPU (MPS)", "cpu": "CPU"}[choice], window, checkable=True)
        item.setChecked(choice == window.settings.device)
        item.setStatusTip(f"Run jobs on: {item.text()}")
        item.triggered.connect(lambda _=False, c=choice: window.choose_device(c))
        group.addAction(item)
        device_menu.addAction(item)
        window.device_actions[choice] = item


def _help_menu(window, m) -> None:
    action = partial(_action, window)
    action(m, "&Keyboard Shortcuts…", lambda: _show_shortcuts(window), "F1",
           tip="Every shortcut, searchable")
    action(m, "&Getting Started…", lambda: _show_getting_started(window),
           tip="Restore a first photo in a few steps")
    m.addSeparator()
    action(m, "&About ArtStudio", window.about, tip="Version and what ArtStudio is")


def _show_shortcuts(window) -> None:
    from .help_sheet import show_shortcuts     # built on first use, not at start-up

    show_shortcuts(window)


def _show_getting_started(window) -> None:
    from .help_sheet import show_getting_started

    show_getting_started(window)


MASK_VIEW_TIPS = {"visible": "Show or hide the mask's tint over the photo",
                  "mask_only": "Show the mask alone, white where it fills",
                  "ants": "Outline the mask with marching ants",
                  "auto": "Tint the mask in a colour picked to stand out on this photo"}


def _mask_view_actions(window, menu, canvas) -> None:
    """View menu: show/hide the mask (H), the mask alone (Shift+H), marching ants (Ctrl+H), its colour."""
    shown = canvas.mask_display
    # Settings keep only a colour: the default one means the user never chose, so the tint is automatic.
    canvas.mask_display.set(auto=tuple(window.settings.mask_color) == Settings().mask_color)
    toggles = (("Show &Mask", "visible", "H", "Mask shown", "Mask hidden (H shows it)"),
               ("Mask &Only", "mask_only", "Shift+H", "Mask only: white is filled (Shift+H: the photo)",
                "Photo and mask"),
               ("Marching &Ants", "ants", "Ctrl+H", "Marching ants on", "Marching ants off"),
               ("A&utomatic Mask Colour", "auto", "", "Mask colour picked to stand out on this photo",
                "Mask colour: your choice"))
    actions = {}
    for text, name, key, on, off in toggles:
        item = QAction(text, window, checkable=True)
        item.setChecked(getattr(shown, name))
        if key:
            item.setShortcut(QKeySequence(key))
        tip = f"{MASK_VIEW_TIPS[name]} ({key})" if key else MASK_VIEW_TIPS[name]
        item.setToolTip(tip)
        item.setStatusTip(tip)
        item.toggled.connect(_mask_view_slot(window, name, on, off))
        menu.addAction(item)
        actions[name] = item
    window.mask_view_actions = actions
    sampling = QAction("Show &Sampling Areas", window, checkable=True)
    sampling.setChecked(canvas.sampling_display.visible)
    sampling.setShortcut(QKeySequence("Ctrl+Shift+H"))
    sampling.setStatusTip("The content-aware fill's 'sample from' (green) and 'never sample' (magenta) areas; "
                          "paint them with G and Shift+G (Ctrl+Shift+H)")
    sampling.setToolTip(sampling.statusTip())
    sampling.toggled.connect(lambda on: (window.restore.canvas.sampling_display.set_visible(on),
                                         window.statusBar().showMessage(
                                             "Sampling areas shown" if on else "Sampling areas hidden", 4000)))
    menu.addAction(sampling)
    actions["sampling"] = sampling
    action = _action(window, menu, "Mask &Colour…", lambda: _choose_mask_colour(window, canvas))
    action.setStatusTip("Choose the colour the mask is shown in (the automatic colour goes off).")
    action.setToolTip(action.statusTip())


def _mask_view_slot(window, name: str, on: str, off: str):
    def slot(checked: bool) -> None:
        window.restore.canvas.mask_display.set(**{name: checked})
        window.statusBar().showMessage(on if checked else off, 4000)
    return slot


def _choose_mask_colour(window, canvas) -> None:
    colour = QColorDialog.getColor(QColor(*canvas.mask_display.colour), window, "Mask colour")
    if not colour.isValid():
        return
    window.settings.mask_color = (colour.red(), colour.green(), colour.blue())
    canvas.set_overlay(window.settings.mask_color, window.settings.mask_opacity)
    window.mask_view_actions["auto"].setChecked(False)       # toggles the tint to the chosen colour
    window.statusBar().showMessage(f"Mask colour: {colour.name()}", 4000)


def _action(window, menu, text: str, slot, *shortcuts: str, tip: str = "") -> QAction:
    """A menu action parented to the window; ``tip`` (with the first shortcut) is its tooltip and status tip."""
    action = QAction(text, window)
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
    tip = tip or text.replace("&", "").rstrip("…")
    tip = f"{tip} ({shortcuts[0]})" if shortcuts else tip
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def _shown_only(window, workspace, slot):
    """Run ``slot`` only while ``workspace`` is shown (its keys are free elsewhere)."""
    return lambda: slot() if window.stack.currentWidget() is workspace else None
