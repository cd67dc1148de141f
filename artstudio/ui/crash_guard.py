"""Keeps a crash journal of the open work and offers it back after a crash.

Every :data:`INTERVAL_MS` with changes, the guard takes a
:class:`~artstudio.core.recovery.Snapshot` on the GUI thread (a copy of the
mask, of the image only when it changed; undo steps are shared, they never
change) and hands it to its own writer thread, so painting never waits for
the disk. SIGTERM writes a last snapshot and quits. A clean close deletes the
journal; the next start after a crash finds it and asks.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from .. import __version__
from ..core.document import Document
from ..core.imageio import ImageError, load_image
from ..core.latent_state import LatentFileError, state_from_metadata, state_metadata
from ..core.recovery import (RecoveryJournal, Snapshot, discard, find_crashed, generate_payload,
                             read_journal)

log = logging.getLogger(__name__)

INTERVAL_MS = 10_000       # at most this much work is lost to a crash (the issue allows 30 s)


class CrashGuard(QObject):
    """The crash journal of one main window."""

    def __init__(self, window, parent=None):
        super().__init__(parent or window)
        self.window = window
        self.journal = RecoveryJournal.for_this_process(window.paths.autosave)
        self._doc: Document | None = None
        self._dirty = {"image": True, "mask": True, "generate": True}
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._writer = threading.Thread(target=self._write_loop, name="artstudio-recovery", daemon=True)
        self._writer.start()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self.timer = QTimer(self, interval=INTERVAL_MS)
        self.timer.timeout.connect(self.save_soon)
        self.timer.start()
        window.restore.document_changed.connect(self._on_document_changed)
        events = window.generate.session.events
        events.state_changed.connect(lambda *_: self._mark("generate"))
        events.favourites_changed.connect(lambda *_: self._mark("generate"))
        self._on_document_changed()

    # -- change tracking ---------------------------------------------------------------------
    def _mark(self, what: str) -> None:
        self._dirty[what] = True

    def _on_document_changed(self) -> None:
        doc = self.window.restore.document
        if doc is not self._doc:
            if self._doc is not None:
                self._doc.events.mask_changed.disconnect(self._on_mask)
                self._doc.events.image_changed.disconnect(self._on_image)
                self._doc.events.replaced.disconnect(self._on_replaced)
            self._doc = doc
            if doc is not None:
                doc.events.mask_changed.connect(self._on_mask)
                doc.events.image_changed.connect(self._on_image)
                doc.events.replaced.connect(self._on_replaced)
            self._on_replaced()
        else:
            self._mark("mask")      # history moved (undo/redo) or the document was saved

    def _on_mask(self, *_):
        self._mark("mask")

    def _on_image(self, *_):
        self._mark("image")

    def _on_replaced(self, *_):
        self._dirty.update(image=True, mask=True)

    # -- writing -----------------------------------------------------------------------------
    def snapshot(self) -> Snapshot | None:
        """What to write now, or None when nothing changed (GUI thread)."""
        if not any(self._dirty.values()):
            return None
        doc, dirty = self._doc, dict(self._dirty)
        self._dirty = dict.fromkeys(self._dirty, False)
        generate = self._generate_payload() if dirty["generate"] else None
        if doc is None:
            return Snapshot(None, None, None, generate=generate)
        undo, redo = doc.history.steps
        keep_image = doc.modified or doc.path is None
        return Snapshot(str(doc.path) if doc.path else None,
                        doc.image.copy() if dirty["image"] and keep_image else None,
                        doc.mask.copy() if dirty["mask"] else None, undo, redo, doc.modified, generate)

    def save_soon(self) -> None:
        """Hand a snapshot to the writer unless it is still busy with the last one."""
        if self._closed or not self._idle.is_set():
            return                   # changes stay marked; the next tick takes them
        snap = self.snapshot()
        if snap is not None:
            self._idle.clear()
            self._queue.put(snap)

    def flush(self, timeout: float = 30.0) -> bool:
        """Write everything now and wait for it (SIGTERM, tests); False on timeout."""
        if not self._idle.wait(timeout):
            return False
        self._dirty = dict.fromkeys(self._dirty, True)
        self.save_soon()
        return self._idle.wait(timeout)

    def _write_loop(self) -> None:
        while True:
            snap = self._queue.get()
            if snap is None:
                return
            try:
                self.journal.write(snap)
            except Exception:      # a full disk must not take the app down; painting goes on
                log.warning("could not write the crash journal", exc_info=True)
            finally:
                self._idle.set()

    def close_cleanly(self) -> None:
        """The user closed the window: stop, and leave nothing to recover (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        self._idle.wait(30.0)
        self._queue.put(None)
        self._writer.join(30.0)
        self.journal.discard()

    def _generate_payload(self) -> dict | None:
        session = self.window.generate.session
        if session.state is None:
            return None
        favourites = [(state_metadata(s, __version__), s.latent, thumb) for s, thumb in session.favourite_entries()]
        return generate_payload(state_metadata(session.state, __version__), session.state.latent, favourites)


# -- after a crash -----------------------------------------------------------------------------

def offer_recovery(window) -> bool:
    """Ask to bring back the work of a crashed session; True if it was recovered."""
    crashed = find_crashed(window.paths.autosave)
    if not crashed:
        return False
    newest, older = crashed[0], crashed[1:]
    for folder in older:                 # one offer, the most recent work
        discard(folder)
    try:
        recovered = read_journal(newest)
    except ValueError as error:
        window.status.showMessage(f"Could not recover the last session: {error}.", 10000)
        discard(newest)
        return False
    when = time.strftime("%H:%M on %d %b", time.localtime(recovered.saved_at))
    what = recovered.photo.name if recovered.photo else "your work"
    answer = QMessageBox.question(
        window, "Recover your work?",
        f"ArtStudio did not close properly. Recover {what} as it was at {when}, "
        f"with its {_steps(len(recovered.history.steps[0]))}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    if answer != QMessageBox.StandardButton.Yes:
        discard(newest)
        return False
    ok = _restore(window, recovered)
    discard(newest)
    return ok


def _steps(count: int) -> str:
    return "1 undo step" if count == 1 else f"{count} undo steps"


def _restore(window, recovered) -> bool:
    image = recovered.image
    if image is None and recovered.photo is not None:
        try:
            image = load_image(recovered.photo).pixels
        except ImageError as error:
            window.status.showMessage(f"Could not recover the photo: {error}", 10000)
            image = None
    if image is not None:
        mask = recovered.mask if recovered.mask is not None and recovered.mask.shape == image.shape[:2] else None
        doc = Document(image, mask, recovered.photo, recovered.history)
        doc.modified = recovered.modified
        window.restore.set_document(doc)
    _restore_generate(window, recovered.generate)
    window.status.showMessage("Recovered the work of the session that did not close properly.", 10000)
    return True


def _restore_generate(window, payload: dict | None) -> None:
    if not payload or not payload.get("state"):
        return
    try:
        state = state_from_metadata(payload["state"], np.asarray(payload["latent"]), "the crash journal")
        favourites = [(state_from_metadata(meta, np.asarray(payload[f"fav_latent_{i}"]), "the crash journal"),
                       np.asarray(payload[f"fav_thumb_{i}"]))
                      for i, meta in enumerate(payload.get("favourites", []))]
    except (LatentFileError, KeyError) as error:
        log.warning("could not recover the Generate state: %s", error)
        return
    window.generate.session.set_favourites(state.model, favourites)
    window.generate.open_state(state)
