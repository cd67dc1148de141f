"""The window's file lane: photos are decoded on a thread of their own, the
newest request wins, and the result comes back to the GUI thread as a signal.

Not the GPU job thread: that one runs fills and training steps one at a time,
and opening a photo must not wait behind a minute of Deep Image Prior.
"""

from __future__ import annotations

import itertools
import threading

from PySide6.QtCore import QEventLoop, QObject, Signal

from ..jobs.base import CancelToken, JobError
from ..jobs.open_photo import OpenPhotoRequest, run_open_photo
from .job_runner import describe_error


class PhotoLoader(QObject):
    """Decodes one photo at a time; a newer request makes the older one's result stale.

    Signals
    -------
    opened(int, OpenedPhoto) : the request id and what was read.
    failed(int, str) : the request id and a one-line reason.
    """

    opened = Signal(int, object)
    failed = Signal(int, str)
    _ended = Signal(int, str, object)      # from the decode thread; re-emitted on the GUI thread

    def __init__(self, parent=None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._latest = 0
        self._token: CancelToken | None = None
        self._threads: list[threading.Thread] = []
        self.notes: dict[int, str] = {}      # request id -> what the window says once it is shown
        # A bound slot of this (GUI-thread) object: Qt queues the call to the GUI
        # thread. A plain lambda would run on the decode thread.
        self._ended.connect(self._on_ended)

    def load(self, request: OpenPhotoRequest) -> int:
        """Start decoding; returns the request id (only the latest one's signal is emitted)."""
        if self._token is not None:
            self._token.cancel()
        self._latest = request_id = next(self._ids)
        self._token = token = CancelToken()
        thread = threading.Thread(target=self._work, args=(request_id, request, token),
                                  name="ArtStudio photo decode", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return request_id

    @property
    def latest(self) -> int:
        """The id whose result is wanted; results of older ids are stale."""
        return self._latest

    @property
    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def wait(self, request_id: int) -> tuple[str, object]:
        """Process events until ``request_id`` has ended: ``("opened", OpenedPhoto)`` or ``("failed", text)``."""
        loop, ended = QEventLoop(), []

        def done(kind, rid, value):
            if rid == request_id:
                ended.append((kind, value))
                loop.quit()
        on_open = lambda rid, value: done("opened", rid, value)          # noqa: E731
        on_fail = lambda rid, text: done("failed", rid, text)            # noqa: E731
        self.opened.connect(on_open)
        self.failed.connect(on_fail)
        try:
            if request_id == self._latest:     # the latest request always ends with one signal
                loop.exec()
        finally:
            self.opened.disconnect(on_open)
            self.failed.disconnect(on_fail)
        return ended[0] if ended else ("failed", "The photo was not opened.")

    def shutdown(self) -> None:
        """Drop any pending result and wait briefly for the decode thread (it holds no state)."""
        if self._token is not None:
            self._token.cancel()
        self._latest = -1
        for thread in self._threads:
            thread.join(timeout=5)

    def _work(self, request_id: int, request: OpenPhotoRequest, token: CancelToken) -> None:
        try:
            generator = run_open_photo(request, token)
            while True:
                next(generator)
        except StopIteration as stop:
            outcome = ("opened", stop.value)
        except JobError as error:
            outcome = ("failed", str(error))
        except Exception as error:  # anything else is still one line, never a crash
            outcome = ("failed", describe_error(error))
        self._ended.emit(request_id, *outcome)

    def _on_ended(self, request_id: int, kind: str, value) -> None:
        if request_id != self._latest:
            self.notes.pop(request_id, None)
            return                            # a newer photo was asked for meanwhile
        (self.opened if kind == "opened" else self.failed).emit(request_id, value)
