#!/usr/bin/env bash
# Build the one-folder bundle dist/ArtStudio/ (Linux) with PyInstaller:
#   bash packaging/build_bundle.sh            # then: bash packaging/test_bundle.sh
# Run it in the environment where ArtStudio is installed (README, "Set up"):
# the bundle freezes that Python, its torch and its Qt. PyInstaller itself is
# pinned and installed into build/pyinstaller-tools (not into the environment),
# with --no-deps, so it can neither pull torchvision nor change torch; the
# script checks both. Takes minutes and about 2 GB of disk in build/.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python}
TOOLS=build/pyinstaller-tools
PYINSTALLER=6.22.3            # with pyinstaller-hooks-contrib 2026.9 (its torch hook) and altgraph 0.17.5

fail() { echo "build_bundle: error: $*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || fail "this script builds the Linux bundle; on $(uname -s) run PyInstaller on packaging/artstudio.spec yourself."
torch_before=$("$PYTHON" -c "import torch; print(torch.__version__)" 2>/dev/null) \
  || fail "torch is not importable with $PYTHON; install ArtStudio first (README, \"Set up\")."
"$PYTHON" -c "import artstudio, PySide6, packaging, setuptools" 2>/dev/null \
  || fail "$PYTHON lacks artstudio, PySide6, packaging or setuptools; install ArtStudio first (README, \"Set up\")."

if ! PYTHONPATH=$TOOLS "$PYTHON" -c "import sys, PyInstaller; sys.exit(PyInstaller.__version__ != '$PYINSTALLER')" 2>/dev/null; then
  echo "Installing PyInstaller $PYINSTALLER into $TOOLS ..."
  rm -rf "$TOOLS"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --target "$TOOLS" \
    "pyinstaller==$PYINSTALLER" "pyinstaller-hooks-contrib==2026.9" "altgraph==0.17.5" \
    || fail "could not install PyInstaller $PYINSTALLER from PyPI."
fi
torch_after=$("$PYTHON" -c "import torch; print(torch.__version__)")
[ "$torch_after" = "$torch_before" ] || fail "torch changed from $torch_before to $torch_after while installing PyInstaller."
if "$PYTHON" -c "import torchvision" 2>/dev/null; then
  echo "build_bundle: note: torchvision is installed; the spec excludes it from the bundle." >&2
fi

echo "Freezing ArtStudio with torch $torch_before (PyInstaller $PYINSTALLER; build/pyinstaller, dist/ArtStudio) ..."
started=$(date +%s)
PYTHONPATH=$TOOLS "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/artstudio.spec
elapsed=$(( $(date +%s) - started ))

bundle=dist/ArtStudio
for f in artstudio artstudio.desktop artstudio.png install-desktop-entry.sh \
         _internal/artstudio/resources/demo/astronaut_scratched.png \
         _internal/artstudio/resources/models/restore-inpaint.safetensors; do
  [ -e "$bundle/$f" ] || fail "the build finished but $bundle/$f is missing."
done
size_mb=$(du -sm "$bundle" | cut -f1)
echo "Built $bundle in ${elapsed} s: ${size_mb} MB ($(find "$bundle" -type f | wc -l) files)."
echo "Start it: $bundle/artstudio   Check it: bash packaging/test_bundle.sh   Menu entry: $bundle/install-desktop-entry.sh"
