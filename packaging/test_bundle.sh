#!/usr/bin/env bash
# Start the built bundle the way a user would, from a clean folder, and check it works:
#   bash packaging/test_bundle.sh [dist/ArtStudio]
# The bundle is copied to a fresh temporary folder (so nothing of the checkout
# can be found by accident) and run there with another working directory, an
# empty HOME and no ARTSTUDIO_HOME, offscreen:
#   1. artstudio --smoke-test  opens the window on the bundled demo photo and
#      loads torch on the job thread (the device probe);
#   2. artstudio restore --method net  runs the shipped neural fill on the demo;
#   3. artstudio train gan --steps 3   runs the training path (torch.optim,
#      torch._dynamo, sympy: the parts of torch a frozen app most often lacks);
#   4. install-desktop-entry.sh writes a menu entry that points at the copy.
# Prints the figures docs/BENCHMARKS.md records. Exit status 0 when all pass.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bundle=$(cd "${1:-$repo/dist/ArtStudio}" 2>/dev/null && pwd) \
  || { echo "test_bundle: error: no bundle at ${1:-dist/ArtStudio}; build it with packaging/build_bundle.sh." >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "test_bundle: FAIL: $*" >&2; exit 1; }

cp -a "$bundle" "$work/ArtStudio"
app="$work/ArtStudio/artstudio"
mkdir -p "$work/home" "$work/cwd" "$work/data"
run() {   # a clean user: empty HOME, no ArtStudio or XDG overrides, another cwd, offscreen Qt
  (cd "$work/cwd" && env -i PATH=/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
     timeout 600 "$app" "$@")
}

echo "1. smoke test (first start of the fresh copy)"
t0=$(date +%s%N)
out=$(run --smoke-test) || fail "artstudio --smoke-test exited $?: $out"
t1=$(date +%s%N)
echo "   $out"
case "$out" in
  *"opened the demo astronaut_scratched.png: 512 x 512 px"*"offscreen platform"*) ;;
  *) fail "the smoke test did not report the demo photo: $out" ;;
esac
case "$out" in *"$work/ArtStudio/_internal/artstudio/resources"*) ;; *) fail "resources not read from the bundle: $out" ;; esac
[ -f "$work/home/.config/ArtStudio/settings.json" ] || fail "no settings written under the clean HOME (~/.config/ArtStudio)"
t2=$(date +%s%N)
warm=$(run --smoke-test) || fail "second smoke test failed: $warm"
t3=$(date +%s%N)

echo "2. neural fill of the demo from the CLI"
demo="$work/ArtStudio/_internal/artstudio/resources/demo"
run restore "$demo/astronaut_scratched.png" --mask "$demo/astronaut_scratched_mask.png" \
    --method net -o "$work/cwd/restored.png" || fail "artstudio restore --method net failed"
[ -s "$work/cwd/restored.png" ] || fail "restore wrote no file"

echo "3. three training steps (on 4 CPPN patterns the bundle renders itself)"
for seed in 1 2 3 4; do
  run generate --model cppn --seed "$seed" --size 64 -o "$work/data/$seed.png" >/dev/null || fail "artstudio generate failed"
done
run train gan --data "$work/data" --out bundle-check --steps 3 --size 64 >/dev/null \
  || fail "artstudio train gan --steps 3 failed"
ls "$work/home/.local/share/ArtStudio/models/bundle-check.safetensors" >/dev/null \
  || fail "the trained model was not saved under the clean HOME"

echo "4. desktop entry"
HOME="$work/home" XDG_DATA_HOME="" sh "$work/ArtStudio/install-desktop-entry.sh" >/dev/null
entry="$work/home/.local/share/applications/artstudio.desktop"
grep -q "^Exec=\"$work/ArtStudio/artstudio\" %f$" "$entry" || fail "the menu entry does not run the bundle: $(grep ^Exec "$entry")"
[ -f "$work/home/.local/share/icons/hicolor/256x256/apps/artstudio.png" ] || fail "icon not installed"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$entry" || fail "desktop-file-validate rejects the entry"
fi

size_mb=$(du -sm "$bundle" | cut -f1)
ms() { echo "$(( ($2 - $1) / 1000000 )) ms"; }
echo "PASS  bundle ${size_mb} MB, $(find "$bundle" -type f | wc -l) files; launch to exit of --smoke-test:" \
     "$(ms "$t0" "$t1") first start, $(ms "$t2" "$t3") second"
echo "      first start: ${out#*platform }"
echo "      second start: ${warm#*platform }"
