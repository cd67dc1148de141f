"""Start the GUI."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ..core.paths import AppPaths, resources_dir
from ..core.settings import Settings
from . import file_ops
from .crash_guard import offer_recovery
from .main_window import MainWindow
from .theme import apply_dark_theme


def create_window(paths: AppPaths | None = None) -> MainWindow:
    """Build the main window (the QApplication must exist)."""
    paths = (paths or AppPaths.from_environment()).ensure()
    return MainWindow(paths, Settings.load(paths.settings_file))


def _install_excepthook(window: MainWindow) -> None:
    """A bug in a slot becomes a status-bar message and a log entry, not a dead app."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        logging.getLogger("artstudio").error("unhandled error", exc_info=(kind, value, tb))
        try:
            window.status.showMessage(f"Internal error ({kind.__name__}: {value}); "
                                      "your work is untouched. Please report it.", 15000)
        except RuntimeError:  # the window is already gone
            previous(kind, value, tb)

    sys.excepthook = hook


def main(photo: str | None = None) -> int:
    """Open the window on ``photo``, or on the bundled demo when None."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ArtStudio")
    app.setOrganizationName("ArtStudio")
    icon = resources_dir() / "icons" / "artstudio.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    apply_dark_theme(app)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    window = create_window()
    _install_excepthook(window)
    window.show()
    _quit_on_sigterm(window)
    # Open after the first paint so the window appears at once, even for a huge photo.
    QTimer.singleShot(0, lambda: _first_open(window, photo))
    return app.exec()


def _first_open(window: MainWindow, photo: str | None) -> None:
    if offer_recovery(window) and photo is None:
        return                       # the recovered photo, not the demo
    if photo is None:
        file_ops.open_demo(window)
    else:
        window.open_path(Path(photo))


def _quit_on_sigterm(window: MainWindow) -> None:
    """SIGTERM (logout, ``kill``) writes the crash journal and quits, instead of losing the work."""
    def on_signal(signum, frame):
        QTimer.singleShot(0, window.quit_keeping_work)

    signal.signal(signal.SIGTERM, on_signal)
    # Python runs signal handlers only between bytecodes; Qt's event loop is C++.
    # A short idle timer hands the interpreter control a few times a second.
    window._signal_pump = QTimer(window, interval=250)
    window._signal_pump.timeout.connect(lambda: None)
    window._signal_pump.start()
