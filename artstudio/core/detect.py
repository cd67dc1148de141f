"""The classical dust-and-scratch detector: impulses and thin lines that stand out from their surroundings.

Qt-free and torch-free. :func:`find_damage` proposes a mask of dust specks
(white or dark, a few pixels across) and thin scratches or hairs on a photo;
the damage finder job (:mod:`artstudio.jobs.detect`) combines it with the
network's vote. The steps:

1. **Impulse and line response.** A morphological top-hat (bright marks)
   and black-hat (dark marks) of the luma with a disc of
   :data:`MAX_SPECK` px radius: what is narrower than the disc stands out,
   so dust and thin lines both show, while edges and broad shapes do not.
2. **Local-contrast normalisation.** Each response is divided by the mean
   response around it (a 48 px neighbourhood): in foliage, gravel or fur
   everything responds and a mark must stand out far more than on a smooth
   sky.
3. **Hysteresis.** Pixels far above their surroundings seed a mark; it
   grows, by at most :data:`REACH` px, over the pixels that stand out less.
4. **Shape tests** on each connected mark: a *speck* fits in a
   (2 x :data:`MAX_SPECK` + 3) px box, a *scratch* (hair, fibre, lint) is
   thin (nowhere wider than :data:`MAX_LINE_WIDTH`); anything else (a
   highlight, a window, a blob of leaves) is not damage.
5. **Density.** Damage is sparse. Where many marks crowd together (a star
   field, freckles, text, sparkling water) they are the picture's own
   texture and are dropped.
6. **Vote.** With a network's probability map, a mark is kept only if the
   network gives it at least ``vote_min`` somewhere on it.

``sensitivity`` (0..1, default 0.5) moves every threshold together: higher
finds fainter marks and more false alarms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SMOOTH = 0.8           # px: gaussian sigma applied before the top-hat
MAX_SPECK = 6           # px: the largest speck radius the top-hat keeps whole
MIN_SCRATCH = 20        # px: shortest mark counted as a scratch
MAX_LINE_WIDTH = 10.0   # px: the widest a scratch (or crease) may be anywhere
REACH = 2               # px: how far a mark grows from the pixels that seed it
CONTEXT = 48            # px: the neighbourhood a mark must stand out from
DENSITY_CELL = 96       # px: the window in which marks are counted for the density test
MAX_DENSITY = 6         # marks per DENSITY_CELL x DENSITY_CELL window before they are texture


@dataclass(frozen=True)
class Damage:
    """What a damage detector found.

    Attributes
    ----------
    mask : numpy.ndarray
        ``uint8 (H, W)``: 255 on the damage, 0 elsewhere.
    specks, scratches : int
        Connected marks of each kind.
    """

    mask: np.ndarray
    specks: int
    scratches: int

    def summary(self) -> str:
        """``"312 specks, 14 scratches"`` (singular for one, ``"no dust or scratches found"`` for none)."""
        if not self.specks and not self.scratches:
            return "no dust or scratches found"
        return f"{_plural(self.specks, 'speck')}, {_plural(self.scratches, 'scratch')}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('ch') else 's'}"


def luma(image: np.ndarray) -> np.ndarray:
    """``uint8 (H, W)`` luma of a grey ``(H, W)``, ``(H, W, 1)``, RGB or RGBA image (8 or 16 bit).

    Raises
    ------
    ValueError
        One line, for anything else (an empty array, 5 channels, floats).
    """
    import cv2

    if image.ndim not in (2, 3) or image.size == 0 or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(f"Cannot look for damage in an image of shape {image.shape}: "
                         "expected grey, RGB or RGBA pixels.")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ValueError(f"Cannot look for damage in {image.dtype} pixels: expected 8 or 16 bits.")
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    if image.shape[2] == 1:
        return np.ascontiguousarray(image[..., 0])
    return cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)


@dataclass(frozen=True)
class Thresholds:
    """The detector's thresholds at one sensitivity (see :func:`thresholds`)."""

    seed: float         # normalised response that starts a mark
    grow: float         # normalised response a mark grows over
    contrast: int       # levels (0-255) a seed must differ by at least
    vote_min: float     # least network probability on a kept mark


def thresholds(sensitivity: float) -> Thresholds:
    """Thresholds for ``sensitivity`` in [0, 1] (clipped); 0.5 is the default."""
    s = float(np.clip(sensitivity, 0.0, 1.0))
    scale = 2.0 ** (1.0 - 2.0 * s)          # 2x stricter at 0, 2x looser at 1
    return Thresholds(seed=6.0 * scale, grow=3.0 * scale, contrast=int(round(20 * scale)),
                      vote_min=float(np.clip(0.35 * scale, 0.05, 0.9)))


def find_damage(image: np.ndarray, sensitivity: float = 0.5, vote: np.ndarray | None = None) -> Damage:
    """Dust specks and thin scratches on ``image``; see the module docstring.

    Parameters
    ----------
    image : numpy.ndarray
        Grey, RGB or RGBA, ``uint8`` or ``uint16``, ``(H, W[, C])``.
    sensitivity : float
        0 (only obvious marks) .. 1 (faint ones too, more false alarms).
    vote : numpy.ndarray, optional
        ``(H, W)`` probability of damage from a network: ``float32`` in
        [0, 1] or ``uint8`` in 0..255.

    Returns
    -------
    Damage
    """
    limits = thresholds(sensitivity)
    return classify(candidates(image, sensitivity), vote, limits.vote_min)


def candidates(image: np.ndarray, sensitivity: float = 0.5, responses: list | None = None) -> np.ndarray:
    """Steps 1-3 of the module docstring: ``uint8 (H, W)``, 255 on every mark before the shape tests.

    ``responses`` (:func:`responses` of ``image``) saves recomputing the
    filters when one photo is thresholded at several sensitivities.
    """
    grey = luma(image)
    limits = thresholds(sensitivity)
    marks = np.zeros(grey.shape, np.uint8)
    if min(grey.shape) < 3:
        return marks
    for response in responses if responses is not None else _responses(grey):
        marks |= _hysteresis(response, limits)
    return marks


def responses(image: np.ndarray) -> list:
    """The filtered responses :func:`candidates` thresholds (they do not depend on the sensitivity)."""
    grey = luma(image)
    return [] if min(grey.shape) < 3 else list(_responses(grey))


def counted(mask: np.ndarray) -> Damage:
    """``mask`` (``uint8``, 255 = damage) as a :class:`Damage`, each connected mark counted as a
    scratch from :data:`MIN_SCRATCH` px long, else as a speck (no mark is dropped)."""
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8), connectivity=8)
    length = np.hypot(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    scratches = int((length >= MIN_SCRATCH).sum())
    return Damage(np.where(mask > 0, np.uint8(255), np.uint8(0)), count - 1 - scratches, scratches)


def _responses(grey: np.ndarray):
    """The bright and dark marks' responses, each normalised by its surroundings (float32)."""
    import cv2

    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * MAX_SPECK + 1,) * 2)
    # Film grain and JPEG noise would otherwise join nearby marks into shapeless blobs.
    smooth = cv2.GaussianBlur(grey, (0, 0), SMOOTH) if SMOOTH > 0 else grey
    for op in (cv2.MORPH_TOPHAT, cv2.MORPH_BLACKHAT):
        response = cv2.morphologyEx(smooth, op, disc)
        yield response, response / (_surroundings(response) + np.float32(2.0))


def _surroundings(response: np.ndarray) -> np.ndarray:
    """The mean response over a CONTEXT neighbourhood, computed at 1/4 size (float32, full size)."""
    import cv2

    h, w = response.shape
    small = cv2.resize(response, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    side = max(3, CONTEXT // 4) | 1
    mean = cv2.blur(small.astype(np.float32), (side, side), borderType=cv2.BORDER_REFLECT)
    return cv2.resize(mean, (w, h), interpolation=cv2.INTER_LINEAR)


def _hysteresis(pair, limits: Thresholds) -> np.ndarray:
    """``uint8`` 255 on the grow-pixels within :data:`REACH` px of a seed pixel.

    Bounded growth, not a flood: in film grain a flood from a speck runs
    along the grain's own peaks into a shapeless blob.
    """
    import cv2

    response, z = pair
    seed = ((z >= limits.seed) & (response >= limits.contrast)).astype(np.uint8)
    if not seed.any():
        return np.zeros_like(seed)
    grow = (z >= limits.grow) & (response >= limits.contrast // 2)
    reach = cv2.dilate(seed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * REACH + 1,) * 2)) > 0
    return np.where(grow & reach, np.uint8(255), np.uint8(0))


def classify(marks: np.ndarray, vote: np.ndarray | None = None, vote_min: float = 0.0,
             crowd: bool = True) -> Damage:
    """Keep the marks of ``marks`` (``uint8``, >0 = candidate) that pass the shape, density and vote tests.

    Also what the job calls on the network's own mask (``crowd=False``: the
    network has seen the context and needs no density test), to count it
    and to drop its blobs that are neither specks nor thin marks.
    """
    import cv2

    count, labels, stats, centres = cv2.connectedComponentsWithStats((marks > 0).astype(np.uint8), connectivity=8)
    if count <= 1:
        return Damage(np.zeros(marks.shape, np.uint8), 0, 0)
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    length = np.hypot(w, h)
    small = np.maximum(w, h) <= 2 * MAX_SPECK + 3
    thin = _half_widths(marks, labels, count)[1:] <= MAX_LINE_WIDTH / 2 + 0.5
    speck = small & ((length < MIN_SCRATCH) | ~thin)
    line = ~speck & thin        # hairs, fibres, lint and scratches; counted as scratches from MIN_SCRATCH px
    keep = speck | line
    if crowd:
        keep &= ~_crowded(centres[1:], marks.shape, np.ones_like(speck))
    if vote is not None:
        keep &= _best_vote(labels, count, vote)[1:] >= vote_min
    table = np.concatenate([[0], np.where(keep, 255, 0)]).astype(np.uint8)
    return Damage(table[labels], int((keep & speck).sum()), int((keep & line).sum()))


def _half_widths(marks: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Each mark's largest distance from its inside to its outside, in px (half its greatest width):
    a curled hair is thin however compact its bounding box."""
    import cv2

    inside = labels > 0
    distance = cv2.distanceTransform((marks > 0).astype(np.uint8), cv2.DIST_L2, 3)
    widest = np.zeros(count, np.float32)
    np.maximum.at(widest, labels[inside], distance[inside])
    return widest


def _best_vote(labels: np.ndarray, count: int, vote: np.ndarray) -> np.ndarray:
    """The highest vote (0..1) on each labelled mark, index 0 the background."""
    scale = np.float32(1 / 255.0) if vote.dtype == np.uint8 else np.float32(1.0)
    best = np.zeros(count, np.float32)
    inside = labels > 0
    # Only the marks' pixels: a maximum.at over 12 MP would take seconds.
    np.maximum.at(best, labels[inside], vote[inside].astype(np.float32) * scale)
    return best


def _crowded(centres: np.ndarray, shape: tuple[int, int], candidate: np.ndarray) -> np.ndarray:
    """True for the marks that have more than MAX_DENSITY candidates within a DENSITY_CELL window."""
    import cv2

    cell = DENSITY_CELL // 4
    gh, gw = -(-shape[0] // cell), -(-shape[1] // cell)
    grid = np.zeros((gh, gw), np.float32)
    cx = np.clip((centres[:, 0] // cell).astype(int), 0, gw - 1)
    cy = np.clip((centres[:, 1] // cell).astype(int), 0, gh - 1)
    np.add.at(grid, (cy[candidate], cx[candidate]), 1.0)
    around = cv2.boxFilter(grid, -1, (5, 5), normalize=False, borderType=cv2.BORDER_REFLECT)
    # A 5 x 5 block of quarter cells is 1.25 windows: scale the limit with it.
    return around[cy, cx] > MAX_DENSITY * 25 / 16
