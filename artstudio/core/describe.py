"""Words to controls: which named sliders and tagged favourites a description means, and by how much.

A description is cut into phrases at commas, full stops and the words
"and", "but", "with", "plus", "then" ("more smile, slightly less age and
glasses +2"). In each phrase the amount words are read and removed; what is
left (the *subject*) is compared, by cosine similarity of sentence
embeddings, with the user's slider names and favourite tags. Each phrase
goes to its single best target, and only when that similarity is at least
the threshold (:data:`THRESHOLD`: on all-MiniLM-L6-v2 a related word such as
"smiling" -> "smile" scores ~0.8, "older" -> "age" ~0.8, an unrelated one
such as "banana" -> "smile" ~0.25). Below it nothing moves and the closest
candidate is reported, so the user sees why.

Amounts (one step is :data:`STEP` sigma):

* "more" or nothing: +1 step; "less", "fewer", "not", "no", "without": -1;
* "very", "much", "lots", "a lot": x2; "extremely": x3; "slightly",
  "somewhat", "a bit", "a little": x0.5 (they multiply: "not very" is -2);
* a signed number moves by that many sigma ("smile +2", "age -0.5"); an
  unsigned one sets the slider to it ("smile 0" resets it);
* a one-word subject that is the low end of a simple scale ("younger",
  "smaller", "sadder", "darker"...) is read as less of its opposite
  ("younger" = -1 "older"), unless a slider or tag has exactly that name.

Embeddings come from a callable (``embed(list[str]) -> float32 (N, E)`` unit
rows), so this module needs no torch; the job passes the sentence model's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["STEP", "THRESHOLD", "Match", "Phrase", "Reading", "parse_phrases", "read_description"]

THRESHOLD = 0.5
STEP = 1.0                     # sigma per "more"
SIGMA_LIMIT = 3.0              # the sliders' range
MAX_PHRASES = 16
MAX_TEXT = 2000
SIGNS = {"more": 1.0, "less": -1.0, "fewer": -1.0, "not": -1.0, "no": -1.0, "without": -1.0}
SCALES = {"very": 2.0, "much": 2.0, "lots": 2.0, "lot": 2.0, "extremely": 3.0, "slightly": 0.5,
          "somewhat": 0.5, "bit": 0.5, "little": 0.5}
FILLERS = frozenset({"a", "an", "the", "some", "of", "bit", "please", "make", "it", "them", "her", "him"})
OPPOSITES = {"younger": "older", "young": "old", "smaller": "bigger", "small": "big", "sadder": "happier",
             "sad": "happy", "thinner": "thicker", "thin": "thick", "shorter": "longer", "short": "long",
             "narrower": "wider", "narrow": "wide", "darker": "brighter", "dark": "bright",
             "lower": "higher", "low": "high", "weaker": "stronger", "weak": "strong"}
_SPLIT = re.compile(r"[,;!?\n，；。、]+|(?<!\d)\.|\.(?!\d)|\b(?:and|but|with|plus|then)\b", re.IGNORECASE)
_TOKEN = re.compile(r"[+-]?\d+(?:\.\d+)?|[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Phrase:
    """One phrase of a description: its subject and what to do with it.

    Exactly one of ``delta`` (move by, in sigma) and ``value`` (set to) is set.
    """

    text: str
    subject: str
    delta: float | None = 1.0
    value: float | None = None


@dataclass(frozen=True)
class Match:
    """A phrase that reached a target: ``kind`` ``"slider"`` (``key`` the direction index) or
    ``"favourite"`` (``key`` its index from 0); ``label`` the slider's name or the tag; ``score`` the
    cosine similarity in [-1, 1]."""

    phrase: Phrase
    kind: str
    key: int
    label: str
    score: float

    def describe(self) -> str:
        """``"smile 0.71 (+1σ)"``, ``"age 0.64 (to 0σ)"``, ``"#2 beach 0.80"``."""
        if self.kind == "favourite":
            return f"#{self.key + 1} {self.label} {self.score:.2f}"
        p = self.phrase
        amount = f"to {p.value:g}σ" if p.value is not None else f"{p.delta:+g}σ"
        return f"{self.label} {self.score:.2f} ({amount})"


@dataclass(frozen=True)
class Reading:
    """What a description asks of the sliders and favourites.

    ``matches`` reached a target; ``misses`` are ``(phrase text, closest label, score)`` of the
    phrases that did not (closest label "" when there was nothing to compare with).
    """

    matches: tuple[Match, ...] = ()
    misses: tuple[tuple[str, str, float], ...] = ()
    threshold: float = THRESHOLD

    @property
    def favourite(self) -> Match | None:
        """The best-matching favourite to recall (a negated one is never recalled), or None."""
        found = [m for m in self.matches if m.kind == "favourite" and (m.phrase.delta or 1.0) > 0]
        return max(found, key=lambda m: m.score, default=None)

    @property
    def sliders(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.kind == "slider")

    def edits(self, current: dict[int, float], limit: float = SIGMA_LIMIT) -> dict[int, float]:
        """The new sigma of each matched slider, from ``current`` (``{index: sigma}``), within ±limit.

        Moves of several phrases on one slider add up; a set value replaces what came before it.
        """
        moved: dict[int, float] = {}
        for match in self.sliders:
            start = moved.get(match.key, float(current.get(match.key, 0.0)))
            p = match.phrase
            moved[match.key] = p.value if p.value is not None else start + p.delta
        return {k: round(float(np.clip(v, -limit, limit)), 4) for k, v in moved.items()}

    def summary(self) -> str:
        """One line: ``"smile 0.71 (+1σ), age 0.64 (-1σ)"``, or why nothing matched."""
        if self.matches:
            return ", ".join(m.describe() for m in self.matches)
        closest = max(self.misses, key=lambda m: m[2], default=None)
        if closest is None or not closest[1]:
            return ""
        return (f"Nothing matched {self.threshold:.2f} or more "
                f"(closest: '{closest[0]}' ~ {closest[1]} {closest[2]:.2f})")


def _phrase(text: str) -> Phrase | None:
    sign, scale, number, words = 1.0, 1.0, None, []
    for token in _TOKEN.findall(text):
        low = token.lower()
        if _NUMBER.match(token):
            number = token
        elif low in SIGNS:
            sign *= SIGNS[low]
        elif low in SCALES:
            scale *= SCALES[low]
        elif low not in FILLERS:
            words.append(token)
    if not words:
        return None
    subject = " ".join(words)
    if number is not None:
        if number[0] in "+-":
            return Phrase(text, subject, delta=sign * float(number))
        return Phrase(text, subject, delta=None, value=float(number))
    return Phrase(text, subject, delta=sign * scale * STEP)


def parse_phrases(description: str) -> list[Phrase]:
    """The phrases of ``description`` that have a subject, in order (at most :data:`MAX_PHRASES`)."""
    parts = _SPLIT.split(str(description or "")[:MAX_TEXT])
    phrases = [_phrase(" ".join(part.split())) for part in parts if part and part.strip()]
    return [p for p in phrases if p is not None][:MAX_PHRASES]


def _flipped(phrase: Phrase) -> Phrase | None:
    """The phrase read as less of the opposite ("younger" -> -1 "older"), if its subject is such a word."""
    opposite = OPPOSITES.get(phrase.subject.lower())
    if opposite is None or phrase.value is not None:
        return None
    return Phrase(phrase.text, opposite, delta=-phrase.delta)


def read_description(description: str, sliders: dict[int, str], tags: dict[int, tuple[str, ...]],
                     embed: Callable[[list[str]], np.ndarray], threshold: float = THRESHOLD) -> Reading:
    """Which sliders and favourites ``description`` names, with scores (see the module docstring).

    Parameters
    ----------
    description : str
        Any text, any language (only its phrases' subjects are embedded).
    sliders : dict
        ``{direction index: the user's name}``; unnamed directions cannot be matched.
    tags : dict
        ``{favourite index: its tags}``.
    embed : callable
        ``embed(texts) -> float32 (len(texts), E)``, unit rows (cosine = dot product).
    threshold : float
        The least similarity that moves anything.

    Returns
    -------
    Reading
    """
    targets = [("slider", int(i), str(n)) for i, n in sorted(sliders.items()) if str(n).strip()]
    targets += [("favourite", int(i), str(t)) for i, ts in sorted(tags.items()) for t in ts if str(t).strip()]
    phrases = parse_phrases(description)
    if not phrases:
        return Reading(threshold=threshold)
    if not targets:
        return Reading(misses=tuple((p.text, "", 0.0) for p in phrases), threshold=threshold)
    exact = {label.casefold() for _, _, label in targets}
    readings = [p if p.subject.casefold() in exact else (_flipped(p) or p) for p in phrases]
    vectors = np.asarray(embed([label for _, _, label in targets] + [p.subject for p in readings]), np.float32)
    scores = vectors[len(targets):] @ vectors[:len(targets)].T          # (phrases, targets)
    matches, misses = [], []
    for phrase, row in zip(readings, scores):
        best = int(np.argmax(row))
        kind, key, label = targets[best]
        score = float(row[best])
        if score >= threshold:
            matches.append(Match(phrase, kind, key, label, round(score, 4)))
        else:
            misses.append((phrase.text, label, round(score, 4)))
    return Reading(tuple(matches), tuple(misses), threshold)
