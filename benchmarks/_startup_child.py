"""Child process for benchmarks/startup.py: opens the ArtStudio main window the
way ``artstudio.ui.app.main`` does (QApplication, icon, dark theme,
``create_window()``, ``show()``) and prints one JSON line with wall-clock
(``time.time()``) stamps as soon as the window's first paint has completed.

Options
-------
--no-device-probe   diagnostic: replace the device probe (the job that imports
                    torch on the worker thread; MainWindow.showEvent submits it
                    300 ms after show) with a no-op job.
--wait-device       after the first paint, keep running until the device probe
                    finishes and report when it was submitted and finished.

The child then closes the window normally (the job thread is shut down and
the process exits with status 0).

Run only by startup.py; QT_QPA_PLATFORM and ARTSTUDIO_HOME come from it.
"""

import time

T_START = time.time()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def torch_state() -> str:
    """'absent', 'importing' (in sys.modules but not finished) or 'imported'."""
    mod = sys.modules.get("torch")
    if mod is None:
        return "absent"
    spec = getattr(mod, "__spec__", None)
    return "importing" if getattr(spec, "_initializing", False) else "imported"


def main() -> None:
    no_probe = "--no-device-probe" in sys.argv
    wait_device = "--wait-device" in sys.argv
    stamps = {"start": T_START}

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    import artstudio.ui.app as app_module
    from artstudio.core.paths import resources_dir

    stamps["imports"] = time.time()
    if no_probe:
        import artstudio.ui.main_window as mw

        def _no_probe(preference, token):
            return "probe disabled"
            yield  # noqa: unreachable - makes this a generator

        mw.run_probe_device = _no_probe

    app = QApplication(sys.argv[:1])
    app.setApplicationName("ArtStudio")
    app.setOrganizationName("ArtStudio")
    icon = resources_dir() / "icons" / "artstudio.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    app_module.apply_dark_theme(app)
    stamps["qapplication"] = time.time()
    window = app_module.create_window()
    stamps["window_built"] = time.time()
    result = {"torch_at_window_built": torch_state()}

    def finish(extra=None):
        if "stamps" in result:         # already reported (e.g. the 60 s guard fired late)
            return
        result.update(extra or {})
        result["stamps"] = stamps
        print(json.dumps(result), flush=True)
        # A normal shutdown, as when the user closes the window: closeEvent
        # stops the job thread (waiting for a job in progress, such as a torch
        # import that has already started), then the last window closing
        # quits the event loop. The parent's figures end at the stamps above,
        # so the teardown is not part of any timing.
        window.close()

    def first_paint_done():
        stamps["first_paint"] = time.time()
        result["torch_at_first_paint"] = torch_state()
        result["torch_in_sys_modules"] = "torch" in sys.modules
        result["canvas_painted"] = "CanvasWidget" in painted
        if not wait_device:
            finish()

    painted = set()

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and obj is window and not painted:
                # The window's own paint event comes first in a paint pass; the
                # zero timer fires after the whole pass (children + flush).
                QTimer.singleShot(0, first_paint_done)
            if event.type() == QEvent.Type.Paint and "first_paint" not in stamps:
                painted.add(type(obj).__name__)
            return False

    # Filters on the window and the canvas only: an application-wide Python
    # filter would add a GIL round trip to every event and distort the result.
    watcher = FirstPaint()
    window.installEventFilter(watcher)
    window.restore.canvas.installEventFilter(watcher)

    if wait_device:
        submit_probe = window._probe_device

        def probe_submitted(*args):
            stamps["device_probe_submitted"] = time.time()
            return submit_probe(*args)

        window._probe_device = probe_submitted

        def on_finished(job_id, value):
            if job_id == window._device_job:
                stamps["device_probe_done"] = time.time()
                finish({"device": str(value), "torch_at_probe_done": torch_state()})
        window.runner.job_finished.connect(on_finished)
        window.runner.job_failed.connect(lambda job_id, msg: finish({"device_error": msg}))

    window.show()
    stamps["shown"] = time.time()
    QTimer.singleShot(60_000, lambda: finish({"error": "no paint within 60 s"}))
    app.exec()


if __name__ == "__main__":
    main()
