"""Which of ArtStudio's source files run between a click on Fill and the filled pixels on screen.

Run from the repository root::

    python benchmarks/fill_path_files.py [--method net]

Builds the restore workspace offscreen on the bundled demo photo and its
mask, fills once to warm up (network loaded and cached, as for a user's
second fill), then records, with a profiler on the GUI thread and on the
job thread, every ``artstudio/`` file whose Python code runs from the
mouse click on the Fill button until the proposal has been painted on the
canvas. Prints two counts, grouped by layer: the files on the call chains
that reach the fill's steps (:data:`MILESTONES`; issue 10's figure, at most
12 for the neural fill), and every file whose code ran at all.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The fill's steps, as (file, function): the request leaves the GUI thread, the job looks
# the network up, plans its crops, solves the first guesses, runs the network, writes the
# pixels; the result comes back, becomes the proposal and is painted. The files on the call
# chains that reach these are "the path"; helpers they call are not.
MILESTONES = {
    ("job_runner.py", "submit"), ("nets.py", "get_restore_net"), ("tiling.py", "plan_crops"),
    ("inpaint.py", "solve_all"), ("inpaint_net.py", "forward"), ("inpaint.py", "blend_into"),
    ("document.py", "set_proposal"), ("canvas.py", "paintEvent"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="net", help="restore method id (default: the neural fill)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["ARTSTUDIO_HOME"] = tempfile.mkdtemp(prefix="artstudio-trace-")

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from artstudio.core.document import Document
    from artstudio.core.imageio import load_image
    from artstudio.core.paths import AppPaths
    from artstudio.core.settings import Settings
    from artstudio.ui import job_runner
    from artstudio.ui.restore_workspace import RestoreWorkspace

    seen: set[str] = set()
    tracing = threading.Event()
    package = str(ROOT / "artstudio")

    on_path: set[str] = set()
    on_job_thread: set[str] = set()

    def profile(frame, event, arg):
        if tracing.is_set() and event == "call":
            name = frame.f_code.co_filename
            if name.startswith(package):
                seen.add(name)
                if threading.current_thread() is not threading.main_thread():
                    on_job_thread.add(name)
                if (Path(name).name, frame.f_code.co_name) in MILESTONES:
                    while frame is not None:          # the call chain that leads here
                        if frame.f_code.co_filename.startswith(package):
                            on_path.add(frame.f_code.co_filename)
                        frame = frame.f_back

    run = job_runner._JobThread.run

    def traced_run(self):                     # the job thread is a QThread: no threading.setprofile
        sys.setprofile(profile)
        run(self)

    job_runner._JobThread.run = traced_run
    app = QApplication.instance() or QApplication([])
    runner = job_runner.JobRunner()
    runner.start()
    workspace = RestoreWorkspace(runner, AppPaths.from_environment().ensure(), Settings(device="cpu"))
    demo = ROOT / "resources" / "demo"
    image = load_image(demo / "astronaut_scratched.png").pixels
    mask = load_image(demo / "astronaut_scratched_mask.png").pixels[..., 0]
    workspace.resize(1200, 800)
    workspace.show()

    def fill_once(trace: bool) -> None:
        workspace.set_document(Document(image.copy(), (mask > 127).astype("uint8") * 255))
        workspace.panel.set_method(args.method)
        app.processEvents()
        loop = QEventLoop()
        runner.job_finished.connect(loop.quit)
        QTimer.singleShot(120_000, loop.quit)
        if trace:
            sys.setprofile(profile)
            tracing.set()
        QTest.mouseClick(workspace.panel.fill_button, Qt.MouseButton.LeftButton)
        loop.exec()
        runner.job_finished.disconnect(loop.quit)
        workspace.canvas.repaint()            # the proposal, painted
        app.processEvents()
        tracing.clear()
        sys.setprofile(None)
        if workspace.document.proposal is None:
            raise SystemExit("The fill did not finish with a proposal.")

    fill_once(trace=False)
    fill_once(trace=True)
    runner.shutdown()
    print(f"ArtStudio: a click on Fill ({args.method}) to the painted proposal, network cached\n")
    path = _report("Files on the call chains of the fill's steps", on_path)
    job = _report("Every file whose code ran on the job thread (request to filled pixels)", on_job_thread)
    everything = _report("Every file whose code ran (signal handlers, painting, caches included)", seen)
    print(f"on the path: {path} files; on the job thread: {job}; ran at all: {everything}")
    return 0


def _report(title: str, found: set[str]) -> int:
    files = sorted(str(Path(f).relative_to(ROOT)) for f in found)
    layers: dict[str, list[str]] = {}
    for name in files:
        layers.setdefault(Path(name).parts[1], []).append(name)
    print(f"{title}: {len(files)}")
    for layer, names in layers.items():
        print(f"  {layer} ({len(names)}): " + ", ".join(Path(n).name for n in names))
    print()
    return len(files)


if __name__ == "__main__":
    sys.exit(main())
