"""What goes into the one-folder bundle, in one place.

``packaging/artstudio.spec`` builds from these names; ``tests/test_bundle.py``
checks them against the checkout (fast, no PyInstaller needed) and
``packaging/test_bundle.sh`` against a real build. Plain stdlib: importable
by the spec, the tests and the scripts alike.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_FOLDER = "ArtStudio"          # dist/ArtStudio/
EXECUTABLE = "artstudio"          # dist/ArtStudio/artstudio: the GUI, and the CLI with a command
ENTRY_SCRIPT = "packaging/bundle_entry.py"

# resources/ travels as artstudio/resources, as in the wheel, so that
# artstudio.core.paths.resources_dir() finds it beside the frozen package.
RESOURCES = ("resources", "artstudio/resources")

# Files put beside the executable, for the desktop: {name in the bundle: source in the checkout}.
BESIDE = {
    "artstudio.desktop": "packaging/artstudio.desktop",
    "artstudio.png": "resources/icons/artstudio.png",
    "install-desktop-entry.sh": "packaging/install-desktop-entry.sh",
}

# Modules the app never imports that PyInstaller would follow from optional
# imports (torch, scipy and skimage try IPython, matplotlib, pytest, ...).
EXCLUDED_MODULES = [
    "tkinter", "_tkinter", "IPython", "matplotlib", "pytest", "_pytest", "pytestqt",
    "pytest_benchmark", "PyQt5", "PyQt6", "PySide2", "torchvision", "tensorboard",
]

# Parts of the installed torch that only its own C++ test-suite and C++
# extension builds use: test executables and test-op libraries, headers, CMake
# files. Patterns match the path inside the bundle. torch/bin/torch_shm_manager
# stays: torch.multiprocessing's file_system sharing runs it.
UNNEEDED = [
    "torch/test/*",
    "torch/include/*",
    "torch/share/cmake/*",
    "torch/bin/*test*", "torch/bin/*Test", "torch/bin/protoc*", "torch/bin/*.pt", "torch/bin/*.ptl",
    "torch/bin/upgrader_models/*",
    "torch/lib/*_test.so", "torch/lib/libbackend_with_compiler.so", "torch/lib/libaoti_custom_ops.so",
    "*.a",
]


def is_unneeded(dest: str) -> bool:
    """Whether a file that would land at ``dest`` (a path inside the bundle) can be left out."""
    dest = dest.replace("\\", "/")
    return any(fnmatch(dest, pattern) for pattern in UNNEEDED)


def resource_files(root: Path = ROOT) -> list[Path]:
    """Every file of resources/ (the demo photo and mask, the models and their cards, the icon)."""
    return sorted(p for p in (root / RESOURCES[0]).rglob("*") if p.is_file())
