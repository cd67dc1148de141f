"""The latent explorer's state, without Qt: what the Generate workspace shows.

A :class:`GenerateSession` holds the loaded model's facts, the current
:class:`~artstudio.core.latent_state.LatentState`, its undo history, the
favourites of each model (saved through a
:class:`~artstudio.core.favourites.FavouriteStore` when one is given), the
bred children and the animation keys (those methods live in
:mod:`artstudio.core.session_breeding`). Every
change is a plain method call and is announced through ``session.events``
(see :mod:`artstudio.core.events`), so the workspace only mirrors the session
in widgets and a test drives it without a window.

Renders are not the session's business: a view listens to ``state_changed``
and ``children_changed`` and renders what they carry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import numpy as np

from .events import EventGroup
from .favourites import Favourites, FavouriteStore
from .latent import sample_latent
from .latent_state import LatentHistory, LatentState
from .session_breeding import BreedingMixin

__all__ = ["CHILDREN", "SEED_LIMIT", "GenerateSession", "ModelInfo", "fit_state"]

CHILDREN = 12                  # a 3 x 4 grid
SEED_LIMIT = 2**31 - 1         # random seeds stay below it, so the seed spin box can show them
# What a session tells its subscribers (``session.events.<name>.connect(callback)``):
#   model_changed(info, names)      a model was loaded; ``names`` is ``{index: name}``
#   state_changed(state, dragging)  the current state changed (``dragging`` ones skip the history)
#   history_changed()               undo or redo availability may have changed
#   favourites_changed()            the loaded model's favourites changed, or another model's are shown
#   children_changed(latents)       new children, ``float32 (N, D)`` latents ready to render; None:
#                                   the children are gone (another model was loaded)
#   message(text)                   a one-line note for the user
EVENTS = ("model_changed", "state_changed", "history_changed", "favourites_changed",
          "children_changed", "message")


@dataclass(frozen=True)
class ModelInfo:
    """What the explorer needs to know about a loaded generator.

    Attributes
    ----------
    model, model_hash : str
        Registry name and ``LatentGenerator.model_hash``.
    latent_dim : int
        D, the latent size every state of this model must have.
    native_size : int
        The side the network renders, in pixels.
    kind : str
        ``"gan"``, ``"vae"`` or ``"cppn"``.
    values : numpy.ndarray
        ``float32 (K,)`` strength of each direction.
    vectors : numpy.ndarray
        The SeFa directions, ``float32 (K, D)`` orthonormal rows, strongest first.
    """

    model: str
    model_hash: str
    latent_dim: int
    native_size: int
    kind: str
    values: np.ndarray
    vectors: np.ndarray


def fit_state(state: LatentState, info: ModelInfo) -> tuple[LatentState | None, list[str]]:
    """``state`` checked against a model, and one-line notes on what does not fit.

    Returns
    -------
    (LatentState or None, list of str)
        None when the latent has another size than ``info.latent_dim``;
        otherwise the state without edits along directions ``info`` lacks.
    """
    if state.latent.size != info.latent_dim:
        return None, [f"That latent has {state.latent.size} values but {info.model} takes "
                      f"{info.latent_dim}; starting from a random seed instead."]
    notes = []
    kept = tuple((i, v) for i, v in state.edits if i < len(info.vectors))
    if len(kept) != len(state.edits):
        notes.append(f"Ignored edits along directions this window does not show (it shows {len(info.vectors)}).")
    if state.model_hash and state.model_hash != info.model_hash:
        notes.append(f"Note: saved with a different version of {info.model}; the picture may differ.")
    return replace(state, edits=kept), notes


class GenerateSession(BreedingMixin):
    """Where the explorer stands in one model's latent space, and what it keeps.

    Parameters
    ----------
    direction_names : dict, optional
        ``{model_hash: {"index": name}}``, updated in place when a direction
        is renamed (pass ``Settings.direction_names`` to keep names across runs).
    rng : random.Random, optional
        Draws new seeds; defaults to the :mod:`random` module.
    children : int, optional
        How many children :meth:`breed` makes.
    store : FavouriteStore, optional
        Where favourites are kept across runs (None: in memory only).

    ``events`` holds the :data:`EVENTS` (listed with their arguments there).
    """

    def __init__(self, direction_names: dict | None = None, rng=None, children: int = CHILDREN,
                 store: FavouriteStore | None = None) -> None:
        self.events = EventGroup(*EVENTS)
        self.info: ModelInfo | None = None
        self.state: LatentState | None = None
        self.history = LatentHistory()
        self.last_image: np.ndarray | None = None
        self.children: np.ndarray | None = None
        self._favourites = Favourites(store)
        self._names = direction_names if direction_names is not None else {}
        self._rng = rng if rng is not None else random
        self._child_count = int(children)

    # -- model -------------------------------------------------------------------------
    def load_model(self, info: ModelInfo, then: LatentState | None = None) -> None:
        """Make ``info`` the model; start from ``then`` when it fits, else from a random seed."""
        switched = self.state is None or (self.state.model, self.state.dim) != (info.model, info.latent_dim)
        self.info = info
        state = self.fit(then) if then is not None else None
        names = {**self.saved_names(info.model_hash), **(dict(state.names) if state else {})}
        if state is None:
            seed = self.new_seed()
            state = LatentState(info.model, info.model_hash, seed, sample_latent(info.latent_dim, seed))
        if switched:
            self.history.clear()
            self._drop_children()          # another model's latents cannot be adopted
        self.events.model_changed.emit(info, names)
        self._tell(self._favourites.load(info.model))
        self.events.favourites_changed.emit()
        self.commit(replace(state, model_hash=info.model_hash, names=tuple(sorted(names.items()))))

    def fits(self, state: LatentState) -> bool:
        """Whether ``state`` belongs to the loaded model (name and latent size)."""
        info = self.info
        return info is not None and state.model == info.model and state.dim == info.latent_dim

    def fit(self, state: LatentState) -> LatentState | None:
        """:func:`fit_state` against the loaded model, its notes sent as messages."""
        fitted, notes = fit_state(state, self.info)
        for note in notes:
            self.events.message.emit(note)
        return fitted

    def saved_names(self, model_hash: str) -> dict[int, str]:
        """The user's direction names for the model with ``model_hash``."""
        names = self._names.get(model_hash, {})
        return {int(i): str(n) for i, n in names.items() if str(i).isdigit()}

    def open_state(self, state: LatentState) -> bool:
        """Go to a saved state of the loaded model.

        Returns False, changing nothing, when ``state`` needs another model:
        load that one with ``load_model(info, then=state)``.
        """
        if self.info is None or self.info.model != state.model:
            return False
        fitted = self.fit(state)
        if fitted is not None:
            self.commit(fitted)
        return True

    # -- the current state ----------------------------------------------------------------
    def commit(self, state: LatentState, record: bool = True) -> None:
        """Make ``state`` current and (with ``record``) an undo step.

        Raises
        ------
        ValueError
            If ``state`` belongs to another model than the loaded one.
        """
        if not self.fits(state):
            loaded = f"{self.info.model} ({self.info.latent_dim} values)" if self.info else "no model"
            raise ValueError(f"a state of {state.model} ({state.dim} values) does not fit {loaded}")
        self.state = state
        if record and self.history.current != state:
            self.history.push(state)
            self.events.history_changed.emit()
        self.events.state_changed.emit(state, False)

    def _change(self, dragging: bool = False, **fields) -> None:
        if self.state is None:
            return
        state = replace(self.state, **fields)
        if dragging:                       # a drag is one undo step, recorded when it ends
            self.state = state
            self.events.state_changed.emit(state, True)
        else:
            self.commit(state)

    def new_seed(self) -> int:
        """A random seed in [0, SEED_LIMIT)."""
        return self._rng.randrange(0, SEED_LIMIT)

    def set_seed(self, seed: int) -> None:
        """Start again from the latent of ``seed``, without edits."""
        if self.info is not None:
            self._change(seed=int(seed), latent=sample_latent(self.info.latent_dim, int(seed)), edits=(),
                         origin="seed")

    def randomize(self) -> None:
        """Start again from a random seed."""
        self.set_seed(self.new_seed())

    def set_truncation(self, psi: float, dragging: bool = False) -> None:
        """Pull the latent towards the mean by ``psi`` in (0, 1]."""
        self._change(dragging=dragging, truncation=float(psi))

    def set_edit(self, index: int, sigma: float, dragging: bool = False) -> None:
        """Move along direction ``index`` to ``sigma`` (rounded to 1e-4)."""
        if self.state is None:
            return
        edits = {**dict(self.state.edits), int(index): round(float(sigma), 4)}
        edits = tuple(sorted((i, v) for i, v in edits.items() if v != 0.0))
        if edits != self.state.edits or not dragging:
            self._change(dragging=dragging, edits=edits)

    def reset_edits(self) -> None:
        """Back to the base latent: every direction at 0."""
        self._change(edits=())

    def set_raw(self, index: int, value: float, dragging: bool = False) -> None:
        """Set one component of the base latent."""
        if self.state is not None:
            latent = self.state.latent.copy()
            latent[index] = value
            self._change(dragging=dragging, latent=latent)

    def rename_direction(self, index: int, name: str) -> None:
        """Name a direction; the name is kept for this model's weights."""
        if self.state is not None and self.info is not None:
            names = {**dict(self.state.names), int(index): name}
            self._names.setdefault(self.info.model_hash, {})[str(index)] = name
            self._change(names=tuple(sorted(names.items())))

    def adopt_latent(self, latent, origin: str | None = None) -> None:
        """Continue from ``latent`` (a child, a crossover, a projection), without edits.

        ``origin="projection"`` records that no seed makes ``latent`` (the
        state's seed becomes None); None keeps the current state's origin.
        """
        if self.state is not None:
            fields = {} if origin is None else {"origin": origin}
            self.commit(replace(self.state, latent=np.asarray(latent, np.float32), edits=(), **fields))

    def undo(self) -> None:
        """Go back one committed state (nothing at the start)."""
        self._step(self.history.undo())

    def redo(self) -> None:
        """Go forward again after an undo (nothing at the end)."""
        self._step(self.history.redo())

    def _step(self, state: LatentState | None) -> None:
        if state is not None:
            self.commit(state, record=False)
            self.events.history_changed.emit()

    def render_latent(self) -> np.ndarray | None:
        """The current state's latent to render, ``float32 (D,)``, or None before a model."""
        if self.state is None or self.info is None:
            return None
        return self.state.effective(self.info.vectors)

    def set_last_image(self, image: np.ndarray) -> None:
        """Record the newest render; a favourite keeps it as its thumbnail."""
        self.last_image = image

    # -- favourites (breeding, crossover and animation: BreedingMixin) ----------------------------
    @property
    def favourites(self) -> list[LatentState]:
        """The loaded model's favourites (each model keeps its own)."""
        return [state for state, _ in self.favourite_entries()]

    def favourite_entries(self) -> list[tuple[LatentState, np.ndarray]]:
        """``(state, thumbnail)`` of each favourite of the loaded model, oldest first."""
        return self._favourites.entries(self.info.model if self.info else "")

    def add_favourite(self) -> bool:
        """Keep the current state with its picture (and save it); False (nothing kept) before a render."""
        if self.state is None or self.last_image is None or not self.fits(self.state):
            return False
        notes = self._favourites.add(self.state, self.last_image)
        self.events.favourites_changed.emit()
        self._tell([f"Added favourite #{len(self.favourites)}", *notes])
        return True

    def remove_favourite(self, index: int) -> bool:
        """Forget the loaded model's favourite ``index`` (from 0); False if there is none."""
        notes = self._favourites.remove(self.info.model if self.info else "", int(index))
        if notes is None:
            return False
        self.events.favourites_changed.emit()
        self._tell([f"Removed favourite #{index + 1}", *notes])
        return True

    def favourite_tags(self) -> list[tuple[str, ...]]:
        """The tags of each of the loaded model's favourites, in the order of :attr:`favourites`."""
        return self._favourites.tags(self.info.model if self.info else "")

    def tag_favourite(self, index: int, tags) -> bool:
        """Tag favourite ``index`` (a comma-separated string or a list; empty clears); False if there is none."""
        notes = self._favourites.set_tags(self.info.model if self.info else "", int(index), tags)
        if notes is None:
            return False
        self.events.favourites_changed.emit()
        shown = ", ".join(self.favourite_tags()[index]) or "no tags"
        self._tell([f"Favourite #{index + 1}: {shown}", *notes])
        return True

    def set_favourites(self, model: str, entries: list[tuple[LatentState, np.ndarray]]) -> None:
        """Replace ``model``'s favourites with ``(state, thumbnail)`` pairs (crash recovery)."""
        notes = self._favourites.replace(model, entries)
        self.events.favourites_changed.emit()
        self._tell(notes)

    def _tell(self, notes: list[str]) -> None:
        for note in notes:
            self.events.message.emit(note)

    def go_to_favourite(self, index: int) -> None:
        """Return to the loaded model's favourite number ``index`` (from 0)."""
        self.commit(self.favourites[index])
