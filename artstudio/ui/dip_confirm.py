"""Deep Image Prior's estimate-then-ask step: before a run that may take minutes,
the Restore workspace measures this machine (a short job) and asks."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ..jobs.estimate import DipEstimate, run_estimate_dip


class DipConfirm:
    """Holds the run waiting for its estimate; asks when the estimate arrives."""

    def __init__(self, parent: QWidget):
        self.parent = parent
        self._pending = None

    def estimate(self, dip, factory, label: str):
        """The estimate job for ``dip`` (a DipRequest); ``factory`` and ``label`` wait for the answer."""
        self._pending = (factory, label)
        return lambda token: run_estimate_dip(dip, token)

    def answer(self, estimate: DipEstimate):
        """``(factory, label)`` of the waiting run when the user agrees to start it, else None."""
        pending, self._pending = self._pending, None
        return pending if pending is not None and ask_to_start_dip(self.parent, estimate) else None


def ask_to_start_dip(parent: QWidget, estimate: DipEstimate) -> bool:
    """Ask before a Deep Image Prior run, with its expected time."""
    w, h = estimate.work_size
    answer = QMessageBox.question(
        parent, "Deep Image Prior",
        f"Deep Image Prior optimises a network for this photo alone: about {estimate.seconds:.0f} s "
        f"here ({estimate.iterations} iterations on {w}×{h} px; it may stop earlier). Start?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Yes)
    return answer == QMessageBox.StandardButton.Yes
