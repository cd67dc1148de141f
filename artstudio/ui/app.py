"""Start the GUI."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
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


def _application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ArtStudio")
    app.setOrganizationName("ArtStudio")
    icon = resources_dir() / "icons" / "artstudio.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    apply_dark_theme(app)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return app


def main(photo: str | None = None) -> int:
    """Open the window on ``photo``, or on the bundled demo when None."""
    app = _application()
    window = create_window()
    _install_excepthook(window)
    window.show()
    _quit_on_sigterm(window)
    # Open after the first paint so the window appears at once, even for a huge photo.
    QTimer.singleShot(0, lambda: _first_open(window, photo))
    return app.exec()


def _first_open(window: MainWindow, photo: str | None) -> None:
    recovered = offer_recovery(window)
    if photo is None:
        if not recovered:
            file_ops.open_demo(window)   # else the recovered photo, not the demo
        return
    doc = window.restore.document if recovered else None
    if doc is None:
        window.open_path(Path(photo))
        return
    # Opening the photo asked for would now ask to save or discard the work just
    # recovered: keep that work on screen (it is often the same photo) and say so.
    wanted = Path(photo)
    if doc.path is None or not _same_file(doc.path, wanted):
        window.status.showMessage(
            f"Recovered {doc.path.name if doc.path else 'your work'}; {wanted.name} was not opened over "
            f"it: save the recovered work, then open {wanted.name} (Ctrl+O).", 20000)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


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


SMOKE_TIMEOUT_S = 180      # a cold torch import from a slow disk takes tens of seconds


def smoke_test() -> int:
    """``artstudio --smoke-test``: the real window on the bundled demo, then a clean exit.

    Proves that an install or a bundle works: Qt starts, the window is built,
    the demo photo and its mask load from the resources folder, and torch loads
    on the job thread (the device probe). Prints one line of what it opened and
    returns 0. A failure is one line on stderr and status 1: any message box
    the window raises (nobody is there to answer it), or no answer within
    :data:`SMOKE_TIMEOUT_S`. Crash recovery is not offered, so no journal of
    another session is touched.
    """
    started = time.perf_counter()
    app = _application()
    deadline = started + SMOKE_TIMEOUT_S
    watchdog = QTimer(interval=100)       # timers fire inside a modal dialog's loop too
    watchdog.timeout.connect(lambda: _smoke_watch(app, deadline))
    watchdog.start()
    window = create_window()
    window.show()
    try:
        opened = file_ops.open_demo(window, wait=True) and window.restore.document is not None
        doc, opened_s = window.restore.document, _since_launch(started)
        device = _wait_for_device(window) if opened else ""
        ready_s = _since_launch(started)
    finally:
        window._close_confirmed = True
        window.close()               # ends the job thread, on every path
        watchdog.stop()
    if not opened:
        print("artstudio --smoke-test: error: the demo photo did not open.", file=sys.stderr)
        return 1
    if device == "Device: unavailable":
        print("artstudio --smoke-test: error: torch did not load (the device probe failed).", file=sys.stderr)
        return 1
    height, width = doc.image.shape[:2]
    name = doc.path.name if doc.path is not None else Path(file_ops.DEMO_IMAGE).name
    print(f"ArtStudio smoke test: opened the demo {name}: {width} x {height} px, "
          f"{int((doc.mask > 0).sum())} mask px, on the {app.platformName()} platform "
          f"{opened_s:.1f} s after launch; torch ready at {ready_s:.1f} s, device {device}; "
          f"resources {resources_dir()}")
    return 0


def _since_launch(fallback_start: float) -> float:
    """Seconds since this process started (Linux: /proc), else since ``fallback_start`` (perf_counter)."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")     # field 22: start time in ticks
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - fallback_start


def _wait_for_device(window: MainWindow) -> str:
    """The device label once the probe (the first torch import, on the job thread) has answered."""
    starting = window.status.device_label.text()
    loop = QEventLoop()
    poll = QTimer(interval=50)
    poll.timeout.connect(lambda: loop.quit() if window.status.device_label.text() != starting else None)
    poll.start()
    loop.exec()
    poll.stop()
    return window.status.device_label.text()


def _smoke_watch(app: QApplication, deadline: float) -> None:
    dialog = app.activeModalWidget()
    if dialog is not None:
        text = dialog.text() if hasattr(dialog, "text") else dialog.windowTitle()
        reason = f"the window asked something nobody can answer: {text}"
    elif time.perf_counter() > deadline:
        reason = f"no answer after {SMOKE_TIMEOUT_S} s"
    else:
        return
    print(f"artstudio --smoke-test: error: {reason}".replace("\n", " "), file=sys.stderr)
    os._exit(1)           # possibly inside a dialog's event loop: no orderly way back from here
