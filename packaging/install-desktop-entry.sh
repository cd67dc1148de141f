#!/bin/sh
# Put ArtStudio in the desktop's application menu, from the bundle folder:
#   ./install-desktop-entry.sh
# writes $XDG_DATA_HOME/applications/artstudio.desktop (default ~/.local/share)
# with Exec pointing at this folder's executable, and installs the icon into
# the hicolor theme. Run it again after moving the folder. Nothing needs root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
exe="$here/artstudio"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
if [ ! -x "$exe" ] || [ ! -f "$here/artstudio.desktop" ]; then
  echo "install-desktop-entry: error: run this script from the ArtStudio bundle folder (no artstudio executable beside it)." >&2
  exit 1
fi

# Desktop Entry rules: inside "...", \ " ` $ take a backslash; then, as in any
# string value, every backslash is doubled; a literal % is written %%.
quoted=$(printf '%s' "$exe" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g' -e 's/%/%%/g')

mkdir -p "$data/applications" "$data/icons/hicolor/256x256/apps"
cp "$here/artstudio.png" "$data/icons/hicolor/256x256/apps/artstudio.png"
entry="$data/applications/artstudio.desktop"
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    Exec=*) printf 'Exec="%s" %%f\n' "$quoted" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$here/artstudio.desktop" > "$entry"
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$data/applications" || true
fi
printf 'ArtStudio is in the application menu: %s (runs %s)\n' "$entry" "$exe"
