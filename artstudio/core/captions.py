"""Captions: ``.txt`` sidecars read as hostile input, words, a vocabulary, and a captioned dataset.

A captioned image is ``NAME.png`` (any readable format) with ``NAME.txt``
beside it: UTF-8 text, one caption per non-empty line (several lines are
several captions of the same picture, as in Reed et al.'s ten per image).
Any language is fine; a sidecar that is missing, empty, not UTF-8, not a
regular file or larger than :data:`MAX_SIDECAR_BYTES` skips its image with a
one-line reason in the data report, never an exception.

Words (:func:`words`) are lower-cased Unicode word runs, so Chinese or
Cyrillic captions tokenise too; a :class:`Vocabulary` maps them to ids
(0 padding, 1 unknown) for the GRU text encoder.
"""

from __future__ import annotations

import os
import re
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import DataReport, DatasetError, prepare_dataset, scan_images

MAX_SIDECAR_BYTES = 16 << 10
MAX_CAPTION_CHARS = 500
MAX_CAPTIONS_PER_IMAGE = 20
MAX_WORDS = 32               # tokens per caption the GRU reads
MAX_VOCABULARY = 20000
MAX_WORD_CHARS = 64
PAD, UNKNOWN = 0, 1
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word runs of ``text`` (letters and digits of any script), at most :data:`MAX_WORDS`."""
    return [w[:MAX_WORD_CHARS] for w in _WORD.findall(str(text).lower())][:MAX_WORDS]


def read_sidecar(image: Path) -> list[str]:
    """The captions of ``image`` (``NAME.txt`` beside it); ``ValueError`` with a short reason if none."""
    path = Path(image).with_suffix(".txt")
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ValueError(f"no caption ({path.name} is missing)") from None
    except OSError as error:
        raise ValueError(f"caption {path.name} cannot be read ({error.strerror})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"caption {path.name} is not a regular file")
        if info.st_size > MAX_SIDECAR_BYTES:
            raise ValueError(f"caption {path.name} is larger than {MAX_SIDECAR_BYTES >> 10} kB")
        raw = os.read(descriptor, MAX_SIDECAR_BYTES + 1)
    finally:
        os.close(descriptor)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"caption {path.name} is not UTF-8 text") from None
    lines = [" ".join(line.split())[:MAX_CAPTION_CHARS] for line in text.splitlines()]
    lines = [line for line in lines if line and line.isprintable()][:MAX_CAPTIONS_PER_IMAGE]
    if not lines:
        raise ValueError(f"caption {path.name} is empty")
    return lines


class Vocabulary:
    """Word -> id: 0 is padding, 1 an unknown word, then the words by falling frequency."""

    def __init__(self, tokens: list[str]) -> None:
        if len(tokens) > MAX_VOCABULARY:
            raise ValueError(f"the vocabulary has more than {MAX_VOCABULARY} words")
        if any(not isinstance(t, str) or not 0 < len(t) <= MAX_WORD_CHARS for t in tokens):
            raise ValueError("the vocabulary holds something that is not a word")
        self.tokens = list(tokens)
        self._ids = {t: i + 2 for i, t in enumerate(self.tokens)}

    @classmethod
    def build(cls, captions: list[str]) -> "Vocabulary":
        counts = Counter(w for c in captions for w in words(c))
        ordered = sorted(counts, key=lambda w: (-counts[w], w))[:MAX_VOCABULARY]
        return cls(ordered)

    def __len__(self) -> int:
        return len(self.tokens) + 2

    def encode(self, captions: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(ids int64 (N, L), lengths int64 (N,))``; an empty caption is one unknown word."""
        rows = [[self._ids.get(w, UNKNOWN) for w in words(c)] or [UNKNOWN] for c in captions]
        width = max((len(r) for r in rows), default=1)
        ids = np.full((len(rows), width), PAD, np.int64)
        for index, row in enumerate(rows):
            ids[index, :len(row)] = row
        return ids, np.array([len(r) for r in rows], np.int64)

    def known(self, caption: str) -> tuple[list[str], list[str]]:
        """``(known, unknown)`` words of ``caption``, for telling the user what the model ignores."""
        found = words(caption)
        return [w for w in found if w in self._ids], [w for w in found if w not in self._ids]


@dataclass(frozen=True)
class CaptionedData:
    """Tiles and their captions: ``captions[i]`` are the lines of ``tiles[i]``."""

    tiles: np.ndarray
    captions: tuple[tuple[str, ...], ...]

    def all_captions(self) -> list[str]:
        return [c for lines in self.captions for c in lines]


def prepare_captioned(folder: Path, size: int, crop: str = "center", cache_dir: Path | None = None,
                      should_stop=None) -> tuple[CaptionedData, DataReport]:
    """The images of ``folder`` that have captions, as :func:`~.dataset.prepare_dataset` tiles.

    Images without a usable sidecar are skipped (listed in the report); a
    folder where none has one is a :class:`~.dataset.DatasetError`.
    """
    folder = Path(folder)
    found = scan_images(folder)
    captioned, skipped = [], []
    for path in found:
        try:
            captioned.append((path, read_sidecar(path)))
        except ValueError as error:
            skipped.append(f"{path.relative_to(folder)}: {error}")
    if not captioned:
        raise DatasetError(f"No captioned images in '{folder}': each image needs a NAME.txt caption "
                           f"beside it ({len(found)} images, none with a usable caption).")
    tiles, report = prepare_dataset(folder, size, crop, cache_dir, should_stop=should_stop,
                                    files=[p for p, _ in captioned])
    lost = {line.split(": ", 1)[0] for line in report.skipped}
    kept = tuple(tuple(lines) for p, lines in captioned if str(p.relative_to(folder)) not in lost)
    if len(kept) != len(tiles):       # a relative path with ": " in it: match by full line instead
        kept = tuple(tuple(lines) for p, lines in captioned
                     if not any(line.startswith(f"{p.relative_to(folder)}: ") for line in report.skipped))
    report = DataReport(folder, len(found), len(tiles), tuple(skipped) + report.skipped, report.cached)
    return CaptionedData(tiles, kept), report
