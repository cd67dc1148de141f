"""Jobs of the Describe field: answer a description, and learn a captions map from a folder.

Both load the sentence model (:func:`artstudio.models.sentence.sentence_model`,
seconds the first time) on the job thread, never on the GUI thread; neither
imports it before it runs, so the window can import the request types at
start-up. Without the optional text extra an answer still carries the
palette (colour names need only matplotlib) and one line saying how to
enable the rest; learning refuses with that line.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.caption_map import MIN_CAPTIONS, CaptionMap, CaptionMapError, fit_caption_map, load_caption_map
from ..core.colour_names import ColourNamesError, find_colours
from ..core.describe import THRESHOLD, Reading, read_description
from ..models.registry import ModelError
from ..models.sentence import sentence_model
from .base import CancelToken, Event, JobError, Progress

__all__ = ["DescribeAnswer", "DescribeRequest", "LearnRequest", "LearnResult", "captioned_images",
           "run_describe", "run_learn_captions"]

LEARN_STEPS = 150            # projection steps per picture for models without an encoder
MAX_IMAGES = 500             # pictures read from one folder
MAX_PIXELS = 50_000_000      # a larger picture is refused (it is reduced to the model's size anyway)
_maps: dict[tuple, CaptionMap] = {}
# Words that may stand beside colour names without describing a picture ("teal and gold tones").
_COLOUR_COMPANIONS = frozenset({"and", "or", "with", "a", "an", "the", "in", "of", "but", "not", "no", "colour",
                                "colours", "color", "colors", "palette", "tones", "light", "dark", "pale", "deep"})


@dataclass(frozen=True)
class DescribeRequest:
    """A description and what it may name: ``sliders`` ``((index, name), ...)``, ``tags``
    ``((favourite index, (tag, ...)), ...)``; ``map_path`` the model's captions map, if any."""

    text: str
    sliders: tuple[tuple[int, str], ...] = ()
    tags: tuple[tuple[int, tuple[str, ...]], ...] = ()
    model_hash: str = ""
    map_path: Path | None = None
    threshold: float = THRESHOLD


@dataclass(frozen=True)
class DescribeAnswer:
    """What a description means here.

    Attributes
    ----------
    text : str
        The description answered (stale answers are recognised by it).
    palette : tuple of (str, (int, int, int))
        The colours it names, in order.
    reading : Reading
        Slider and favourite matches with their scores.
    latent : numpy.ndarray or None
        ``float32 (D,)``: the captions map's latent for the whole text, when a map exists.
    notes : tuple of str
        One line per thing that could not be done (no text extra, a damaged map).
    """

    text: str
    palette: tuple = ()
    reading: Reading = field(default_factory=Reading)
    latent: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """``"smile 0.71 (+1σ), age 0.64 (-1σ) · colours: navy blue, dusty rose"``."""
        parts = [self.reading.summary()]
        if self.palette:
            parts.append("colours: " + ", ".join(name for name, _ in self.palette))
        if self.latent is not None and not self.reading.matches:
            parts.append("a picture from your captions")
        return " · ".join(p for p in parts if p)


def _caption_map(path: Path, model_hash: str) -> CaptionMap | None:
    """The map at ``path`` (read again only when the file changed); None when there is none."""
    try:
        info = path.stat()
    except OSError:
        return None
    key = (str(path), info.st_mtime_ns, info.st_size, model_hash)
    if key not in _maps:
        if len(_maps) > 8:
            _maps.clear()
        _maps[key] = load_caption_map(path, model_hash)
    return _maps[key]


def _describes_a_picture(text: str, palette) -> bool:
    """Whether ``text`` says more than colour names: only then is the captions map asked (colours
    alone should recolour, not swap the face)."""
    rest = " " + " ".join(re.findall(r"[\w']+", text.lower())) + " "
    for name, _ in palette:
        rest = rest.replace(f" {name} ", " ")
    return any(word not in _COLOUR_COMPANIONS for word in rest.split())


def run_describe(request: DescribeRequest, cancel: CancelToken) -> Generator[Event, None, DescribeAnswer]:
    """The :class:`DescribeAnswer` to ``request.text``; ~10-20 ms once the sentence model is loaded."""
    cancel.check()
    text, notes, palette = str(request.text or "").strip(), [], ()
    try:
        palette = tuple(find_colours(text))
    except ColourNamesError as error:
        notes.append(str(error))
    if not text:
        return DescribeAnswer(text, palette, notes=tuple(notes))
    yield Progress(0.0, "Reading the description…")
    try:
        model = sentence_model()
    except ModelError as error:          # TextExtraMissing, or a broken install: one line each
        return DescribeAnswer(text, palette, notes=(*notes, str(error)))
    cancel.check()
    with_map = request.map_path is not None and _describes_a_picture(text, palette)

    def embed(texts: list[str]) -> np.ndarray:     # the whole text rides along: one forward pass, cached
        return model.encode([*texts, text])[:len(texts)] if with_map else model.encode(texts)

    reading = read_description(text, dict(request.sliders), dict(request.tags), embed, request.threshold)
    latent = None
    if with_map:
        try:
            cmap = _caption_map(Path(request.map_path), request.model_hash)
            latent = None if cmap is None else cmap.predict(model.encode([text])[0])
        except CaptionMapError as error:
            notes.append(str(error))
    return DescribeAnswer(text, palette, reading, latent, tuple(notes))


# -- learning from captions ---------------------------------------------------------------------

@dataclass(frozen=True)
class LearnRequest:
    """Fit a captions map for ``model`` from the captioned pictures of ``folder``; save it at ``map_path``."""

    folder: Path
    model: str
    model_hash: str
    map_path: Path
    user_dir: Path | None = None
    device: str = "auto"
    steps: int = LEARN_STEPS
    max_images: int = MAX_IMAGES


@dataclass(frozen=True)
class LearnResult:
    """The map fitted and saved, and one line per picture skipped (with why)."""

    map_path: Path
    caption_map: CaptionMap
    skipped: tuple[str, ...] = ()

    def message(self) -> str:
        skipped = f" Skipped {len(self.skipped)}: {self.skipped[0]}" + ("…" if len(self.skipped) > 1 else "") \
            if self.skipped else ""
        return f"Learned from your captions: {self.caption_map.report()}.{skipped}"


def captioned_images(folder: Path, limit: int = MAX_IMAGES) -> tuple[list[tuple[Path, list[str]]], list[str]]:
    """``([(picture, its caption lines)], [why each other picture was skipped])`` for ``folder``.

    Captions are ``NAME.txt`` beside ``NAME.png`` (any language; bounded,
    read by :func:`artstudio.core.captions.read_sidecar`). At most ``limit``
    pictures are taken.

    Raises
    ------
    JobError
        When ``folder`` is not a folder.
    """
    from ..core.captions import read_sidecar
    from ..core.dataset import DatasetError, scan_images

    try:
        images = scan_images(Path(folder))
    except (DatasetError, OSError) as error:
        raise JobError(f"Cannot read the folder '{folder}': {error}") from None
    found, skipped = [], []
    for image in images:
        try:
            lines = read_sidecar(image)
        except ValueError as why:
            skipped.append(f"{image.name}: {why}")
            continue
        if len(found) < limit:
            found.append((image, lines))
    return found, skipped


def _refusal(count: int, folder: Path, skipped: list[str]) -> JobError:
    why = f" (skipped {len(skipped)}, e.g. {skipped[0]})" if skipped else ""
    return JobError(f"Learning from captions needs at least {MIN_CAPTIONS} pictures with a caption "
                    f"(NAME.txt beside NAME.png); '{Path(folder).name}' has {count}{why}.")


def _embed(model, captions: list[list[str]]) -> np.ndarray:
    """One unit row per picture: the mean of its caption lines' embeddings."""
    flat = [line for lines in captions for line in lines]
    vectors = model.encode(flat)
    rows, start = [], 0
    for lines in captions:
        mean = vectors[start:start + len(lines)].mean(axis=0)
        rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        start += len(lines)
    return np.asarray(rows, np.float32)


def _quiet(job, start: float, span: float, label: str) -> Generator[Event, None, np.ndarray]:
    """Run ``job``, passing on its progress rescaled into [start, start + span] (its previews dropped:
    the Generate view keeps showing the current picture)."""
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value
        if isinstance(event, Progress):
            yield Progress(start + span * event.fraction, f"{label}: {event.message}")


def run_learn_captions(request: LearnRequest, cancel: CancelToken) -> Generator[Event, None, LearnResult]:
    """Embed each picture's caption, find its latent (the encoder, else a projection), fit and save the map.

    Raises
    ------
    JobError
        Fewer than :data:`MIN_CAPTIONS` usable pictures (the line says how
        many are needed), no text extra, or the map cannot be saved.
    """
    from ..core.caption_map import save_caption_map
    from ..core.imageio import ImageError, load_image
    from .generate import ProjectRequest, run_project

    pairs, skipped = captioned_images(request.folder, request.max_images)
    if len(pairs) < MIN_CAPTIONS:
        raise _refusal(len(pairs), request.folder, skipped)
    yield Progress(0.0, "Loading the text model…")
    try:
        model = sentence_model()
    except ModelError as error:
        raise JobError(str(error)) from None
    cancel.check()
    kept, latents = [], []
    for index, (path, lines) in enumerate(pairs):
        cancel.check()
        try:
            pixels = load_image(path, max_pixels=MAX_PIXELS).pixels
        except ImageError as error:
            skipped.append(str(error))
            continue
        label = f"Picture {index + 1} of {len(pairs)}"
        project = ProjectRequest(request.model, pixels, steps=request.steps, user_dir=request.user_dir,
                                 device=request.device)
        latents.append((yield from _quiet(run_project(project, cancel), index / len(pairs), 0.95 / len(pairs),
                                          label)))
        kept.append(lines)
    if len(kept) < MIN_CAPTIONS:
        raise _refusal(len(kept), request.folder, skipped)
    yield Progress(0.96, "Fitting the map from captions to latents…")
    try:
        cmap = fit_caption_map(_embed(model, kept), np.stack(latents), request.model, request.model_hash)
        save_caption_map(request.map_path, cmap)
    except CaptionMapError as error:
        raise JobError(str(error)) from None
    _maps.clear()
    return LearnResult(Path(request.map_path), cmap, tuple(skipped))
