"""Files and long jobs of the Generate workspace: latents, PNG export with the
recipe, animation export, and projecting a picture into the latent space."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from .. import __version__
from ..core.imageio import READ_EXTENSIONS, ImageError, load_image
from ..core.latent_state import LatentFileError, load_latent, save_latent
from ..jobs.explore import AnimationRequest, PngExportRequest, run_animation, run_export_png
from ..jobs.generate import ProjectRequest, run_project
from .export_dialog import ExportSizeDialog

EXPORT_KIND, ANIMATION_KIND, PROJECT_KIND = "generate.export", "generate.animation", "generate.project"


def _warn(ws, text: str) -> None:
    ws.show_message(text)
    QMessageBox.warning(ws, "ArtStudio", text)


def _start_dir(ws) -> str:
    return ws.settings.last_dir or str(Path.home())


def _stem(state) -> str:
    """A file name for ``state``: its model and seed, or "projected" (no seed makes that latent)."""
    return f"{state.model}-{state.seed if state.seed is not None else 'projected'}"


def save_latent_dialog(ws) -> None:
    if ws.state is None:
        return
    path, _ = QFileDialog.getSaveFileName(ws, "Save latent", str(Path(_start_dir(ws)) / f"{_stem(ws.state)}.npz"),
                                          "ArtStudio latent (*.npz)")
    if path:
        try:
            written = save_latent(Path(path), ws.state)
        except (OSError, LatentFileError) as exc:
            _warn(ws, f"Could not save the latent: {exc}")
            return
        ws.show_message(f"Saved {written.name}")


def load_latent_dialog(ws) -> None:
    path, _ = QFileDialog.getOpenFileName(ws, "Load latent", _start_dir(ws), "ArtStudio latent (*.npz)")
    if path:
        load_latent_file(ws, Path(path))


def load_latent_file(ws, path: Path) -> bool:
    try:
        state = load_latent(path)
    except LatentFileError as exc:
        _warn(ws, str(exc))
        return False
    if not ws.has_model(state.model):
        _warn(ws, f"'{path.name}' needs the model '{state.model}', which is not installed.")
        return False
    ws.open_state(state)
    return True


def export_png_dialog(ws) -> None:
    """Ask for the size and shape (aspect presets), then the file; remembers the size in the settings."""
    if ws.state is None or ws.info is None:
        return
    default = 2048 if ws.info.kind == "cppn" else max(ws.info.native_size, 512)
    start = (ws.settings.export_width or default, ws.settings.export_height or default)
    dialog = ExportSizeDialog(ws.info.kind, ws.info.model, ws.info.native_size, start, ws)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    size = dialog.chosen_size()
    ws.settings.export_width, ws.settings.export_height = size
    path, _ = QFileDialog.getSaveFileName(ws, "Export PNG", str(Path(_start_dir(ws)) / f"{_stem(ws.state)}.png"),
                                          "PNG with recipe (*.png)")
    if path:
        export_png(ws, Path(path), size)


def export_png(ws, path: Path, size: int | tuple[int, int]) -> int:
    """Render the current state at ``size`` (a square side, or (width, height)) and write it with its recipe."""
    request = PngExportRequest(ws.state, ws.state.effective(ws.info.vectors), size, path, __version__,
                               ws.paths.models, ws.settings.device)
    return ws.submit(EXPORT_KIND, lambda token: run_export_png(request, token), latest_wins=False)


def export_animation_dialog(ws, frames: int, fps: float, loop: bool, size: int) -> None:
    if not ws.session.can_animate:
        return
    path, _ = QFileDialog.getSaveFileName(ws, "Export animation", str(Path(_start_dir(ws)) / "interpolation.gif"),
                                          "GIF (*.gif);;Animated PNG (*.png);;WebP (*.webp)")
    if path:
        export_animation(ws, Path(path), frames, fps, loop, size)


def export_animation(ws, path: Path, frames: int, fps: float, loop: bool, size: int) -> int:
    request = AnimationRequest(ws.state.model, ws.session.animation_latents(frames, loop), size, fps, loop, path,
                               ws.paths.models, ws.settings.device, caption=ws.state.caption)
    return ws.submit(ANIMATION_KIND, lambda token: run_animation(request, token), latest_wins=False)


def project_picture_dialog(ws) -> None:
    if ws.info is None:
        return
    filters = "Images ({})".format(" ".join(f"*{e}" for e in READ_EXTENSIONS))
    path, _ = QFileDialog.getOpenFileName(ws, "Project a picture", _start_dir(ws), filters)
    if not path:
        return
    try:
        picture = load_image(Path(path)).pixels[..., :3]
    except ImageError as exc:
        _warn(ws, str(exc))
        return
    project(ws, picture, None)


def project_restore_photo(ws, document) -> int | None:
    """Project the photo open in Restore; where a mask is painted, only those pixels count."""
    if ws.info is None or document is None:
        return None
    mask = np.where(document.mask > 0, np.uint8(255), np.uint8(0)) if document.mask.any() else None
    return project(ws, document.image[..., :3], mask)


def square_fit(picture: np.ndarray, mask: np.ndarray | None, size: int):
    """Centre-crop to a square and resize to the model's size (mask: nearest)."""
    from PIL import Image

    h, w = picture.shape[:2]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    crop = np.ascontiguousarray(picture[y:y + side, x:x + side])
    target = np.asarray(Image.fromarray(crop).resize((size, size), Image.LANCZOS))
    if mask is not None:
        m = np.ascontiguousarray(mask[y:y + side, x:x + side])
        mask = np.asarray(Image.fromarray(m).resize((size, size), Image.NEAREST))
    return target, mask


def project(ws, picture: np.ndarray, mask: np.ndarray | None, steps: int = 300) -> int:
    """Find the latent that best reproduces ``picture`` (where ``mask`` is 255, if given)."""
    size = ws.info.native_size if ws.info.kind != "cppn" else 128
    target, mask = square_fit(picture[..., :3], mask, size)
    request = ProjectRequest(ws.state.model, target, mask, steps, 0, ws.paths.models, ws.settings.device)
    ws.show_message("Projecting: watch the image converge; Esc stops.")
    return ws.submit(PROJECT_KIND, lambda token: run_project(request, token), latest_wins=True)
