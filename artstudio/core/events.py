"""Change events for Qt-free models (napari's evented models, kept minimal).

A model owns an :class:`EventGroup`; views subscribe with
``model.events.state_changed.connect(callback)`` and the model calls
``emit(...)`` after each change. Callbacks run synchronously, in the order
they were connected, on the thread that made the change, so a view sees the
model already updated when it is told.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Event", "EventGroup"]


class Event:
    """One kind of change; ``emit(*args)`` calls every connected callback with ``args``.

    Parameters
    ----------
    name : str
        For messages and ``repr`` only.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> Callable:
        """Call ``callback`` on every emit (once, however often it is connected); returns it."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable) -> None:
        """Stop calling ``callback``; one that is not connected is ignored."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        """Tell every subscriber; the list is copied so a callback may (dis)connect."""
        for callback in list(self._callbacks):
            callback(*args)

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        return f"<Event {self.name}: {len(self)} subscribers>"


class EventGroup:
    """The events of one model, as attributes named by ``names``.

    Examples
    --------
    >>> events = EventGroup("changed")
    >>> seen = []
    >>> _ = events.changed.connect(seen.append)
    >>> events.changed.emit(3)
    >>> seen
    [3]
    """

    def __init__(self, *names: str) -> None:
        for name in names:
            setattr(self, name, Event(name))
        self.names = tuple(names)
