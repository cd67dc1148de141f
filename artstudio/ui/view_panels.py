"""The Restore view's companions: the Navigator and History docks and the zoom field.

They belong to the Restore workspace: shown only while it is, each dock as
the user last left it (View ▸ Navigator, F7; View ▸ History, F8; a dock's
close button unticks its menu entry).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QToolBar

from .history_panel import HistoryPanel
from .navigator import NavigatorView
from .zoom_field import SHORTCUT as ZOOM_SHORTCUT
from .zoom_field import ZoomField

DOCKS = (  # key, title, shortcut, what the menu entry says
    ("navigator", "Navigator", "F7", "Show or hide the Navigator: the whole photo with the part in view framed"),
    ("history", "History", "F8", "Show or hide the History: every step of this photo; click one to go back to it"),
)


class _Dock(QDockWidget):
    closed = Signal()       # the user closed it (its close button), not a workspace switch

    def closeEvent(self, event) -> None:
        super().closeEvent(event)
        self.closed.emit()


class ViewPanels:
    """Builds the docks, the zoom tool bar and their View menu actions on ``window`` (a MainWindow)."""

    def __init__(self, window):
        ws = window.restore
        self.navigator = NavigatorView(ws.canvas)
        self.history = HistoryPanel(ws)
        self.zoom = ZoomField(ws.canvas)
        self.zoom.message.connect(lambda text: window.statusBar().showMessage(text, 6000))
        ws.document_changed.connect(self.navigator.pixels_changed)
        self._in_restore = True
        self.docks: dict[str, _Dock] = {}
        self.toggles: dict[str, QAction] = {}
        for key, title, key_sequence, tip in DOCKS:
            self._add_dock(window, key, title, key_sequence, tip)
        window.splitDockWidget(self.docks["navigator"], self.docks["history"], Qt.Orientation.Vertical)
        self._window = window
        self.zoom_bar = self._zoom_bar(window)
        self.zoom_action = QAction("&Zoom To…", window)
        self.zoom_action.setShortcut(QKeySequence(ZOOM_SHORTCUT))
        self.zoom_action.setStatusTip(f"Type a zoom in the Zoom field, e.g. 150 or 150%, then Enter ({ZOOM_SHORTCUT})")
        self.zoom_action.setToolTip(self.zoom_action.statusTip())
        self.zoom_action.triggered.connect(self._on_zoom_action_triggered)

    def _add_dock(self, window, key: str, title: str, key_sequence: str, tip: str) -> None:
        dock = _Dock(title, window)
        dock.setObjectName(key)
        dock.setWidget({"navigator": self.navigator, "history": self.history}[key])
        dock.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        dock.hide()
        toggle = QAction(f"&{title}", window, checkable=True)
        toggle.setShortcut(QKeySequence(key_sequence))
        toggle.setToolTip(f"{tip} ({key_sequence})")
        toggle.setStatusTip(f"{tip} ({key_sequence})")
        toggle.toggled.connect(lambda _on, k=key: self._show(k))
        dock.closed.connect(lambda t=toggle: t.setChecked(False))
        self.docks[key], self.toggles[key] = dock, toggle

    def _zoom_bar(self, window) -> QToolBar:
        bar = QToolBar("Zoom")
        bar.setObjectName("zoom bar")
        bar.setMovable(False)
        label = QLabel("Zoom ")
        label.setToolTip(self.zoom.toolTip())
        bar.addWidget(label)
        bar.addWidget(self.zoom)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        return bar

    def add_to_view_menu(self, menu) -> None:
        """The dock toggles and Zoom To… (after the zoom entries the caller put there)."""
        menu.addAction(self.zoom_action)
        menu.addSeparator()
        for toggle in self.toggles.values():
            menu.addAction(toggle)

    def _on_zoom_action_triggered(self) -> None:
        if self._in_restore:
            self.zoom.begin_typing()

    def follow_workspace(self, in_restore: bool) -> None:
        """Show the docks the user wants (and the zoom field) only in the Restore workspace."""
        self._in_restore = in_restore
        for key in self.docks:
            self._show(key)
        self.zoom_bar.setVisible(in_restore)

    def _show(self, key: str) -> None:
        dock = self.docks[key]
        dock.setVisible(self.toggles[key].isChecked() and self._in_restore)
        if key == "navigator" and dock.isVisible():
            # A thumbnail needs little height; the History's list can use the rest.
            self._window.resizeDocks([dock], [dock.widget().sizeHint().height() + 24], Qt.Orientation.Vertical)
