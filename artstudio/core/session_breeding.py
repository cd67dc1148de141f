"""The breeding, crossover and animation half of :class:`~artstudio.core.generate_session.GenerateSession`.

Kept in its own module so that each half stays readable. The mixin works on
the session's ``state``, ``info``, ``children``, ``favourites`` and
``events`` and continues through its ``adopt_latent``; it has no state of
its own beyond the children.
"""

from __future__ import annotations

import numpy as np

from .latent import apply_edits, breed, crossover, interpolation_path, truncate
from .latent_state import LatentState

__all__ = ["BreedingMixin"]


class BreedingMixin:
    """Children around the current state, crossover of favourites, keyframe paths.

    A picked child becomes the current state, so it is the parent of the
    next :meth:`breed`; :meth:`picked_child` says which child that is while
    it has not been edited.
    """

    children: np.ndarray | None = None
    _picked: int | None = None          # the child adopted last, while it is the current state

    def _edited(self, state: LatentState) -> np.ndarray:
        return apply_edits(state.latent, self.info.vectors, state.edits)

    def breed(self, strength: float, seed: int | None = None) -> np.ndarray | None:
        """Mutate the current state into children (:func:`~artstudio.core.latent.breed`).

        Returns the children truncated as the current state, ``float32 (N, D)``,
        ready to render; None before a model is loaded.
        """
        if self.state is None or self.info is None:
            return None
        seed = self.new_seed() if seed is None else int(seed)
        self.children, self._picked = breed(self._edited(self.state), self._child_count, strength, seed), None
        latents = truncate(self.children, self.state.truncation)
        self.events.children_changed.emit(latents)
        return latents

    def adopt_child(self, index: int) -> bool:
        """Continue from child ``index`` of the last :meth:`breed`: it becomes the parent of the next.

        False (nothing changes) when there is no such child or it does not fit the loaded model.
        """
        children = self.children
        if children is None or not 0 <= index < len(children) or self.info is None \
                or children.shape[1] != self.info.latent_dim:
            return False
        self._picked = int(index)
        self.adopt_latent(children[index])
        return True

    def picked_child(self) -> int | None:
        """The child picked last while it is the current state (not edited, undone or left), or None."""
        index = self._picked
        if index is None or self.children is None or self.state is None or self.state.edits:
            return None
        return index if np.array_equal(self.children[index], self.state.latent) else None

    def _drop_children(self) -> None:
        if self.children is not None:
            self.children, self._picked = None, None
            self.events.children_changed.emit(None)

    def cross(self, a: int, b: int, blend: float, mode: str, seed: int | None = None) -> bool:
        """Continue from a child of favourites ``a`` and ``b``; False if either is missing."""
        favourites = self.favourites
        if self.info is None or min(a, b) < 0 or max(a, b) >= len(favourites):
            return False
        seed = self.new_seed() if seed is None else int(seed)
        child = crossover(self._edited(favourites[a]), self._edited(favourites[b]), blend, mode, seed=seed)
        # a child of a projection descends from no seed either
        projected = "projection" in (favourites[a].origin, favourites[b].origin)
        self.adopt_latent(child, origin="projection" if projected else None)
        return True

    @property
    def can_animate(self) -> bool:
        """Two favourites make the shortest animation."""
        return self.info is not None and len(self.favourites) >= 2

    def animation_keys(self) -> np.ndarray:
        """The favourites with their edits, ``float32 (K, D)``: the keyframes."""
        return np.stack([self._edited(state) for state in self.favourites])

    def animation_latents(self, frames: int, loop: bool) -> np.ndarray:
        """``float32 (frames, D)`` latents slerping through the keys, truncated as the current state."""
        return truncate(interpolation_path(self.animation_keys(), frames, loop), self.state.truncation)
