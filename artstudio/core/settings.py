"""User settings: a dataclass stored as JSON at a path that is passed in."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


@dataclass
class Settings:
    """Preferences that survive a restart.

    Unknown keys in the file are ignored and bad values fall back to the
    defaults, so an old or hand-edited file never stops the app from starting.
    """

    device: str = "auto"
    brush_size: float = 24.0
    brush_hardness: float = 0.8
    mask_opacity: float = 0.5
    mask_color: tuple[int, int, int] = (255, 40, 80)
    fill_method: str = "auto"
    last_dir: str = ""
    recent_files: list[str] = field(default_factory=list)
    # Names the user gave to latent directions: {model hash: {index: name}}.
    direction_names: dict = field(default_factory=dict)
    # The last Export PNG size (0: the model's default), so a series of exports keeps its shape.
    export_width: int = 0
    export_height: int = 0

    @classmethod
    def load(cls, path: Path) -> "Settings":
        """Read settings from ``path``; defaults when missing or unreadable."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        defaults = cls()
        kwargs = {}
        for f in fields(cls):
            if f.name not in raw:
                continue
            value, default = raw[f.name], getattr(defaults, f.name)
            if isinstance(default, tuple) and isinstance(value, list):
                value = tuple(value)
            if type(value) is type(default) or (isinstance(default, float) and isinstance(value, int)):
                kwargs[f.name] = value
        settings = cls(**kwargs)
        if settings.device not in DEVICE_CHOICES:
            settings.device = "auto"
        return settings

    def save(self, path: Path) -> None:
        """Write atomically so a crash mid-write keeps the previous file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json.tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(asdict(self), fh, indent=2)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add_recent(self, file: str, limit: int = 10) -> None:
        self.recent_files = [file] + [f for f in self.recent_files if f != file]
        del self.recent_files[limit:]
