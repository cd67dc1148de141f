"""What the Restore workspace does when the canvas's keys and strokes reach its results:
Enter keeps a result being compared; a clone or heal stroke first settles a compared
result or a running job."""

from __future__ import annotations

from ..core.tools import ToolError

__all__ = ["hook_canvas_input"]


def hook_canvas_input(ws) -> None:
    """Give ``ws``'s (a RestoreWorkspace) canvas its two hooks: before a stroke that writes the
    photo, and Enter."""
    ws.canvas.input.before_image_edit = lambda: _settle_for_image_edit(ws)
    ws.canvas.input.on_enter = lambda: _apply_on_enter(ws)


def _apply_on_enter(ws) -> bool:
    """Enter on the canvas keeps a result being compared, as OK does in Photoshop's fill."""
    if ws._fill_job is not None or ws.document is None or ws.document.proposal is None:
        return False
    ws.apply()
    return True


def _settle_for_image_edit(ws) -> None:
    """A clone or heal stroke is about to change the photo's pixels. A job computing from
    them would come back stale, so the stroke waits; a result being compared is applied
    first, so the stroke paints on what the user sees and Apply cannot undo it later."""
    if ws._fill_job is not None:
        raise ToolError(f"{ws._job_label} is still running: wait for it, or press Esc to cancel it, "
                        "before painting on the photo.")
    doc = ws.document
    if doc is not None and doc.proposal is not None:
        label = ws._job_label
        ws.apply()
        ws.message.emit(f"{label} applied first, so the stroke paints on it "
                        f"(Ctrl+Z undoes the stroke, then {label}).")
