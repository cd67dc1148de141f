"""Checks made before Qt starts, so a missing system library is one line, not an abort.

Qt's xcb platform plugin (the X11 one) links against a dozen small system
libraries that a minimal Linux desktop may lack (libxcb-cursor0 above all).
Without them ``QApplication()`` prints a paragraph about plugins and aborts
the process (SIGABRT, a core dump on some systems). The launcher asks the
dynamic loader for each library first, with ctypes, and prints the one
``apt-get`` command that installs the missing ones.

No Qt here: this runs before PySide6 is imported (QtGui itself needs libEGL).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
from collections.abc import Callable, Mapping

# What the xcb plugin and QtGui load (readelf -d on PySide6 6.11's libqxcb.so,
# libQt6XcbQpa.so.6 and libQt6Gui.so.6), by soname, with the Debian/Ubuntu
# package that ships it. Left out: libc, libstdc++, libglib, zlib, freetype —
# Python and QtCore cannot start without them, so they are never the gap — and
# libxcb-xinerama0, which Qt 6 no longer links.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
}


def library_loads(soname: str) -> bool:
    """Whether the dynamic loader can open ``soname`` (and what it links), as Qt would."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def first_qt_platform(environ: Mapping[str, str]) -> str:
    """The platform plugin Qt will try first, as QGuiApplication chooses it (Linux, Qt 6)."""
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        # "offscreen:fontengine=freetype;xcb": the first entry, without its arguments
        return requested.split(";")[0].split(":")[0].strip().lower()
    if environ.get("XDG_SESSION_TYPE", "").strip().lower() == "wayland":
        return "wayland"                # Qt 6 prefers Wayland there and falls back to xcb
    return "xcb"


def will_use_xcb(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True when Qt is about to load the xcb plugin: Linux, an X display, no other platform asked for."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    return (platform.startswith("linux") and bool(env.get("DISPLAY"))
            and first_qt_platform(env) == "xcb")


def missing_xcb_packages(probe: Callable[[str], bool] | None = None) -> dict[str, str]:
    """``{soname: Debian package}`` for each library the xcb plugin needs that does not load."""
    probe = probe or library_loads
    return {soname: package for soname, package in XCB_LIBRARIES.items() if not probe(soname)}


def fix_command(packages: list[str]) -> str:
    """The one command that installs ``packages`` (Debian package names)."""
    return "sudo apt-get install -y " + " ".join(dict.fromkeys(packages))


def gui_start_problem(environ: Mapping[str, str] | None = None, platform: str | None = None,
                      probe: Callable[[str], bool] | None = None) -> str | None:
    """One line saying what stops Qt from starting here and how to fix it, or None when nothing does."""
    if not will_use_xcb(environ, platform):
        return None
    missing = missing_xcb_packages(probe or library_loads)
    if not missing:
        return None
    command = fix_command(list(missing.values()))
    how = (f"install them with: {command}" if shutil.which("apt-get")
           else f"install them with your package manager (on Debian/Ubuntu: {command})")
    return (f"Qt's X11 (xcb) platform needs system libraries that are missing: "
            f"{', '.join(missing)}; {how}")
