"""Clone stamp and healing brush: cost of one dab at 24 MP against 1 MP.

Run from the repository root:

    python benchmarks/clone_heal.py [--strokes 3] [--no-canvas]

A seeded, photo-like image (smooth multi-octave noise plus grain) of
6000 x 4000 (24 MP) and one of 1224 x 816 (1 MP) are each put in a
Document. Per tool (clone, heal) and brush size (20, 60, 150, 300 px, hardness
0.8), the tool is driven with fake PointerEvents as the canvas would: one
Ctrl+click for the source, then strokes of 40 drag segments (an arc of a
circle of radius 250 px, the same pixels relative to the stroke in both
photos) spaced a quarter of the brush apart (the usual dab spacing of a
brush engine), all with their source inside the photo. One segment is one
dab; its time is ``Tool.drag`` (undo tiles, the stroke's copy-on-write
tiles, coverage, the blend, and for heal the Poisson solve). One unmeasured
warm-up stroke per case, then ``--strokes`` measured ones; each stroke is
undone after it, so every stroke starts from the same photo.

Also timed: the press (the first dab, plus starting the undo step) and the
mouse-up (``Document.end_edit`` building the tile patch).

Unless ``--no-canvas``: the same strokes through the real CanvasWidget at
100% zoom, offscreen (``QTest.mouseMove`` + ``processEvents``: event ->
tool -> display pyramid -> paint of the dirty rect), at 24 MP only.

Target (issue 11): a clone/heal dab at most 8 ms at 24 MP.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_line, median, ms, percentile, photo_like, print_header, table  # noqa: E402

import numpy as np  # noqa: E402

from artstudio.core.brush import Brush, PointerEvent  # noqa: E402
from artstudio.core.clone import CloneTool, HealTool  # noqa: E402
from artstudio.core.document import Document  # noqa: E402

SIZES = {"24 MP": (6000, 4000), "1 MP": (1224, 816)}
BRUSHES = (20, 60, 150, 300)
SEGMENTS = 40
TARGET_MS = 8.0
CHECKED = (20, 60, 150)       # the exit status: these sizes must meet the target; 300 px is reported


# The same stroke geometry in both images (a circle, its source 400 px to the
# left), placed mid-photo in the 24 MP one, so only the photo's size differs.
CENTRE, RADIUS, OFFSET = (812.0, 408.0), 250.0, (-400, 0)
ORIGIN = {(6000, 4000): (2500, 1600), (1224, 816): (0, 0)}


def stroke_points(size: float, phase: int, width: int, height: int) -> list[tuple[float, float]]:
    """An arc of the circle, dabs a quarter brush apart, starting at an angle set by ``phase``."""
    ox, oy = ORIGIN[(width, height)]
    step = size / 4.0 / RADIUS
    start = phase * 0.9
    return [(ox + CENTRE[0] + RADIUS * np.cos(start + i * step), oy + CENTRE[1] + RADIUS * np.sin(start + i * step))
            for i in range(SEGMENTS + 1)]


def source_point(width: int, height: int, size: float) -> tuple[float, float]:
    """Where the Ctrl+click goes: OFFSET from the first stroke's start."""
    x, y = stroke_points(size, 0, width, height)[0]
    return x + OFFSET[0], y + OFFSET[1]


def time_core(doc: Document, kind, size: float, strokes: int) -> dict[str, list[float]]:
    tool = kind(Brush(size=size, hardness=0.8))
    w, h = doc.size
    sx, sy = source_point(w, h, size)
    tool.press(doc, PointerEvent(sx, sy, ctrl=True))
    tool.release(doc, PointerEvent(sx, sy))
    out = {"dab": [], "press": [], "release": []}
    for s in range(strokes + 1):
        points = [PointerEvent(x, y) for x, y in stroke_points(size, s, w, h)]
        t = time.perf_counter()
        tool.press(doc, points[0])
        press = time.perf_counter() - t
        dabs = []
        for p in points[1:]:
            t = time.perf_counter()
            painted = tool.drag(doc, p)
            dabs.append(time.perf_counter() - t)
            assert painted is not None, "a dab painted nothing: the stroke left the photo"
        t = time.perf_counter()
        patch = tool.release(doc, points[-1])
        release = time.perf_counter() - t
        assert patch is not None
        doc.undo()
        if s:                                        # the first stroke warms up
            out["dab"] += dabs
            out["press"].append(press)
            out["release"].append(release)
    return out


def time_canvas(image: np.ndarray, strokes: int) -> dict[tuple[str, int], list[float]]:
    """Per segment through the real canvas at 100% zoom (24 MP): QTest.mouseMove + processEvents."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from artstudio.ui.canvas import CanvasWidget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    canvas = CanvasWidget()
    canvas.resize(1400, 900)
    canvas.show()
    doc = Document(image)
    canvas.set_document(doc)
    h, w = image.shape[:2]
    results = {}
    for kind in (CloneTool, HealTool):
        for size in BRUSHES:
            canvas.set_brush(Brush(size=size, hardness=0.8))
            tool = kind(canvas.brush)
            canvas.set_active_tool(tool)
            cx, cy = stroke_points(size, 0, w, h)[SEGMENTS // 2]
            canvas.actual_size()
            here = canvas.widget_pos(QPointF(cx, cy))
            canvas.pan_by(canvas.width() / 2 - here.x(), canvas.height() / 2 - here.y())
            app.processEvents()
            sx, sy = source_point(w, h, size)
            tool.press(doc, PointerEvent(sx, sy, ctrl=True))    # the source may be off screen
            times = []
            for s in range(strokes + 1):
                pts = [canvas.widget_pos(QPointF(x, y)).toPoint() for x, y in stroke_points(size, s, w, h)]
                QTest.mouseMove(canvas, pts[0])
                QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
                app.processEvents()
                seg = []
                for p in pts[1:]:
                    t = time.perf_counter()
                    QTest.mouseMove(canvas, QPoint(p))
                    app.processEvents()
                    seg.append(time.perf_counter() - t)
                QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])
                app.processEvents()
                doc.undo()
                app.processEvents()
                if s:
                    times += seg
            results[(kind.label, size)] = times
    canvas.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strokes", type=int, default=3)
    parser.add_argument("--no-canvas", action="store_true")
    args = parser.parse_args()
    print_header("ArtStudio clone stamp and healing brush: one dab at 24 MP vs 1 MP")
    print(load_line())
    images = {label: photo_like(*wh) for label, wh in SIZES.items()}
    print(f"{args.strokes} strokes x {SEGMENTS} dabs per case after 1 warm-up stroke; dabs 1/4 brush apart, "
          f"hardness 0.8\n")

    core = {}
    for label, image in images.items():
        doc = Document(image.copy())
        for kind in (CloneTool, HealTool):
            for size in BRUSHES:
                core[(label, kind.label, size)] = time_core(doc, kind, size, args.strokes)

    rows = []
    for kind in (CloneTool, HealTool):
        for size in BRUSHES:
            big, small = core[("24 MP", kind.label, size)], core[("1 MP", kind.label, size)]
            ratio = median(big["dab"]) / median(small["dab"])
            rows.append([kind.label, f"{size}", ms(big["dab"]), f"{percentile(big['dab'], 95) * 1000:.2f}",
                         ms(small["dab"]), f"{ratio:.2f}", ms(big["press"]), ms(big["release"]),
                         "yes" if percentile(big["dab"], 95) * 1000 <= TARGET_MS else "NO"])
    print("One dab (Tool.drag), core only")
    print(table(["tool", "brush px", "24 MP median ms", "24 MP p95 ms", "1 MP median ms", "24/1 MP",
                 "24 MP press ms", "24 MP mouse-up ms", f"p95 <= {TARGET_MS:.0f} ms"], rows, "lrrrrrrrr"))
    print()

    if not args.no_canvas:
        canvas = time_canvas(images["24 MP"], args.strokes)
        rows = [[tool, f"{size}", ms(v), f"{percentile(v, 95) * 1000:.2f}",
                 "yes" if percentile(v, 95) * 1000 <= TARGET_MS else "NO"] for (tool, size), v in canvas.items()]
        print("Through the canvas at 100% zoom, 24 MP (mouseMove + processEvents: tool + display + paint)")
        print(table(["tool", "brush px", "median ms", "p95 ms", f"p95 <= {TARGET_MS:.0f} ms"], rows, "lrrrr"))
        print()
    print(load_line("after"))
    met = [size for size in BRUSHES
           if all(percentile(core[("24 MP", k.label, size)]["dab"], 95) * 1000 <= TARGET_MS for k in (CloneTool, HealTool))]
    missed = [size for size in BRUSHES if size not in met]
    print(f"target <= {TARGET_MS:.0f} ms per dab at 24 MP (core, p95, clone and heal): "
          f"met for brush sizes {met or 'none'} px, missed for {missed or 'none'}")
    return 0 if all(size in met for size in CHECKED) else 1

if __name__ == "__main__":
    sys.exit(main())
