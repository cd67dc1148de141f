"""OpenRaster interop with a real Krita, headless (issue 15 "Interop").

Run from the repository root (needs ``krita`` and ``xvfb-run``, e.g.
``apt-get install krita xvfb``):

    python benchmarks/ora_interop.py

What it does, in a scratch folder:

1. ArtStudio writes ``artstudio.ora`` the way the window's Save As does: the
   bundled demo photo, two applied fills taken from a real undo history
   (``Document.apply_proposal``), and the demo's scratch mask as the hidden
   "mask" layer.
2. Krita opens it and exports it again as OpenRaster (``krita IN --export
   --export-filename krita.ora``) and as PNG (``krita.png``), under Xvfb.
3. The checks: Krita's ``stack.xml`` still names the photo, both fills and
   the mask (hidden); Krita's render (its ``mergedimage.png`` and its PNG)
   equals ArtStudio's image pixel for pixel; ArtStudio opens Krita's file
   with the same composite and, from Krita's cropped "mask" layer, the same mask.

GIMP is not used: Debian 12's GIMP 2.10 has no OpenRaster plug-in (upstream's is
Python 2, which Debian no longer ships). tests/test_ora.py runs steps 1-3
(without the PNG export) and skips only when Krita is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO  # noqa: E402,F401  (puts the checkout on sys.path)

import numpy as np  # noqa: E402

from artstudio.core.document import Document  # noqa: E402
from artstudio.core.imageio import load_image, load_mask  # noqa: E402
from artstudio.core.ora_layers import save_document_ora  # noqa: E402
from artstudio.core.paths import resources_dir  # noqa: E402

FILLS = ("Fill (telea)", "Clone")


def krita() -> str | None:
    """The krita executable, or None."""
    return shutil.which("krita")


def krita_version(exe: str) -> str:
    """E.g. ``"krita 5.1.5"`` (Krita needs a display even for --version)."""
    command = [exe, "--version"]
    if shutil.which("xvfb-run"):
        command = ["xvfb-run", "-a", *command]
    try:
        with tempfile.TemporaryDirectory() as home:
            out = subprocess.run(command, capture_output=True, text=True, timeout=120, env=_env(Path(home)))
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.lower().startswith("krita")]
    return lines[-1].strip() if lines else "unknown"


def _env(home: Path) -> dict:
    # A scratch HOME: Krita writes its settings and resource database there on first start.
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"))
    env.pop("QT_QPA_PLATFORM", None)   # Krita needs xcb: the tests' "offscreen" would abort it
    return env


def krita_export(exe: str, source: Path, target: Path, home: Path, timeout: float = 240) -> float:
    """Have Krita open ``source`` and export ``target`` (its extension picks the format); seconds taken."""
    command = [exe, str(source), "--export", "--export-filename", str(target)]
    if shutil.which("xvfb-run"):
        command = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", *command]
    elif not os.environ.get("DISPLAY"):
        raise RuntimeError("Krita needs an X display: install xvfb (xvfb-run) to run it headless.")
    home.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=_env(home))
    if done.returncode != 0 or not target.is_file():
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"krita exited {done.returncode} without writing {target.name}: {' | '.join(tail)}")
    return time.perf_counter() - start


def artstudio_document() -> Document:
    """The demo photo with two applied changes on its undo stack and the scratch mask."""
    res = resources_dir() / "demo"
    photo = load_image(res / "astronaut_scratched.png").pixels
    doc = Document(photo, load_mask(res / "astronaut_scratched_mask.png"))
    first = doc.image.copy()
    first[doc.mask > 0, :3] = (200, 120, 40)                       # a flat "fill" of the scratches
    doc.set_proposal(first)
    doc.apply_proposal(FILLS[0])
    second = doc.image.copy()
    second[300:340, 100:180] = second[200:240, 100:180]            # a "clone" stroke
    doc.set_proposal(second)
    doc.apply_proposal(FILLS[1])
    return doc


def layer_names(path: Path) -> list[tuple[str, str]]:
    """``(name, visibility)`` of every layer in an .ora, top first."""
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("stack.xml"))
    return [(n.get("name", ""), n.get("visibility", "visible")) for n in root.iter("layer")]


def run_checks(folder: Path, exe: str, png: bool = False) -> dict:
    """Steps 1-3 in ``folder``; returns what was seen (the test asserts on it)."""
    doc = artstudio_document()
    ours = folder / "artstudio.ora"
    save_document_ora(ours, doc.image, doc.mask, doc.history.steps)
    theirs = folder / "krita.ora"
    seen = {"ours_layers": layer_names(ours), "ours_bytes": ours.stat().st_size,
            "seconds": krita_export(exe, ours, theirs, folder / "home")}
    seen["krita_layers"] = layer_names(theirs)
    seen["krita_bytes"] = theirs.stat().st_size
    with zipfile.ZipFile(theirs) as zf:
        (folder / "krita_merged.png").write_bytes(zf.read("mergedimage.png"))
    merged = load_image(folder / "krita_merged.png").pixels
    seen["krita_render_equal"] = np.array_equal(merged[..., :3], doc.image[..., :3])
    back = load_image(theirs)
    seen["reopened_format"] = back.format
    seen["reopened_image_equal"] = np.array_equal(back.pixels, doc.image)
    seen["reopened_mask_equal"] = back.mask is not None and np.array_equal(back.mask, doc.mask)
    if png:
        flat = folder / "krita.png"
        seen["png_seconds"] = krita_export(exe, ours, flat, folder / "home")
        seen["krita_png_equal"] = np.array_equal(load_image(flat).pixels[..., :3], doc.image[..., :3])
    return seen


def main() -> int:
    exe = krita()
    if exe is None:
        print("Krita is not installed (apt-get install krita); nothing to measure.")
        return 1
    print(f"# OpenRaster interop: {krita_version(exe)} ({exe}), headless under xvfb-run")
    with tempfile.TemporaryDirectory(prefix="artstudio-ora-interop-") as tmp:
        seen = run_checks(Path(tmp), exe, png=True)
    for key, value in seen.items():
        print(f"{key:22} {value}")
    good = all(seen[k] for k in ("krita_render_equal", "reopened_image_equal", "reopened_mask_equal",
                                  "krita_png_equal"))
    print("OK" if good else "MISMATCH")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
