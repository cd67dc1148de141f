"""Where ArtStudio keeps its files.

Everything the app writes (settings, user models, caches, autosaves) lives in
platformdirs' per-user directories, or all under ``$ARTSTUDIO_HOME`` when that
variable is set (tests and portable installs). Paths are resolved once at
start-up by :func:`AppPaths.from_environment`, never at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "ArtStudio"
HOME_ENV = "ARTSTUDIO_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The app's writable directories."""

    config: Path
    models: Path
    cache: Path
    autosave: Path

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> "AppPaths":
        """Resolve the directories from ``$ARTSTUDIO_HOME`` or platformdirs."""
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV)
        if home:
            root = Path(home).expanduser()
            return cls(root / "config", root / "models", root / "cache", root / "autosave")
        import platformdirs

        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        data = Path(dirs.user_data_dir)
        return cls(
            Path(dirs.user_config_dir), data / "models", Path(dirs.user_cache_dir), data / "autosave"
        )

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def favourites(self) -> Path:
        """Generate favourites, one file per model: ``favourites/`` beside ``models/``."""
        return self.models.parent / "favourites"

    def ensure(self) -> "AppPaths":
        """Create the directories (idempotent) and return self."""
        for path in (self.config, self.models, self.cache, self.autosave):
            path.mkdir(parents=True, exist_ok=True)
        return self


def resources_dir() -> Path:
    """The bundled resources: inside the package when installed from a wheel,
    at the top of the checkout when running from source or an editable install."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "resources", package.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("ArtStudio's resources folder is missing; reinstall the package.")
