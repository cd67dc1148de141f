"""The one loader (checksum first, safetensors only, strict) and the one loaded-model cache.

torch is imported only inside the functions, so the window can import this
module at start-up.

Loading a spec
--------------
1. The weights file is read once into memory and its sha256 compared with
   the spec's *before* a byte of it is parsed, so what is parsed is exactly
   what was checked (no second read that another process could change).
2. It is parsed as safetensors (never unpickled), and every tensor must be
   floating point, finite and bounded (:func:`.weights.check_tensors`).
3. The architecture registry builds the network (its card's numbers were
   bounded when the card was read), and the state dict must fit it exactly.

Every failure is a one-line :class:`~.specs.ModelError` naming the file.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from .architectures import Architecture, architecture, architecture_of, build
from .specs import ModelError, ModelSpec
from .weights import check_fits, check_tensors, load_strict

MAX_WEIGHTS_BYTES = 4 << 30     # far above any model ArtStudio runs; bounds the read


def verified_state(spec: ModelSpec) -> dict:
    """The tensors of ``spec.weights`` (on the CPU) once their checksum and values are checked."""
    path = None if spec.weights is None else Path(spec.weights)
    if path is None or not path.is_file():
        raise ModelError(f"Model file '{path}' for '{spec.name}' is missing.")
    data = _read_bytes(path)
    if not spec.sha256 or hashlib.sha256(data).hexdigest() != spec.sha256.lower():
        raise ModelError(f"Model file '{path.name}' is damaged or not the one expected (checksum mismatch).")
    state = _parse(data, path)
    check_tensors(state, path)
    return state


def build_loaded(spec: ModelSpec, state: dict | None, entry: Architecture | None = None,
                 prefix: str | None = None):
    """The network of ``entry`` (default: the spec's architecture) holding the tensors of ``state``.

    Only the keys that start with ``prefix`` are used, without it (default:
    the card's ``config.prefix``, e.g. ``decoder.`` for a VAE saved whole).
    """
    entry = entry or architecture_of(spec)
    prefix = str(spec.options.get("prefix", "")) if prefix is None else prefix
    if state is None:
        return build(spec, entry).requires_grad_(False).eval()
    part = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)} if prefix else state
    expected = f"the '{entry.name}' architecture"
    # Shapes first, on the meta device: the card's numbers are not covered by the
    # checksum, so the network they describe is allocated only once it fits the file.
    check_fits(build(spec, entry, meta=True), part, Path(spec.weights), expected)
    net = build(spec, entry)
    load_strict(net, part, Path(spec.weights), expected)
    return net.requires_grad_(False).eval()


def load_net(spec: ModelSpec, device="cpu"):
    """The network ``spec`` describes, weights verified and loaded, in eval mode on ``device``.

    Returns
    -------
    torch.nn.Module
        With ``requires_grad`` off and a ``spec`` attribute (the spec).

    Raises
    ------
    ModelError
        Missing file, checksum mismatch, not safetensors, damaged values,
        an architecture this version cannot build, or keys/shapes that do
        not fit it.
    """
    net, _ = network_and_state(spec)
    net.spec = spec
    return net.to(device)


def network_and_state(spec: ModelSpec) -> tuple[object, dict | None]:
    """The loaded network on the CPU, and the verified state it came from (None: drawn from config)."""
    entry = architecture_of(spec)
    state = verified_state(spec) if entry.contract.needs_weights else None
    return build_loaded(spec, state, entry), state


def load_encoder(spec: ModelSpec, state: dict, device="cpu"):
    """A VAE's encoder (the ``encoder.*`` tensors of ``state``) when its card names one, else None."""
    name = spec.options.get("encoder")
    if spec.kind != "vae" or name is None:
        return None
    entry = architecture(str(name), "encode", spec.name)
    return build_loaded(spec, state, entry, "encoder.").to(device)


def load_model(spec: ModelSpec, device="cpu"):
    """What a job uses: a :class:`~.generators.LatentGenerator` for a generator, else the network."""
    if spec.is_generator:
        from .generators import load_generator

        return load_generator(spec, device)
    return load_net(spec, device)


# -- the per-process cache -------------------------------------------------------------------

_models: dict[tuple, object] = {}
_models_lock = threading.Lock()      # guards the dict
_loading_lock = threading.Lock()     # one load at a time: two jobs never load the same file twice


def cache_key(spec: ModelSpec, device) -> tuple:
    """What identifies a loaded model: its weights file and checksum, its build config, the device."""
    return (None if spec.weights is None else str(spec.weights), spec.sha256, str(device),
            spec.kind, spec.task, spec.latent_dim, spec.resolution, spec.config)


def get_model(spec: ModelSpec, device="auto"):
    """:func:`load_model` once per process for each (weights, sha256, config, device); thread-safe.

    ``device`` is a preference (``auto``, ``cuda``, ``mps``, ``cpu``) or a
    ``torch.device``. Loading a new checksum of the same file (a model
    retrained under its name) drops the old one from the cache.
    """
    target = _device(device)
    key = cache_key(spec, target)
    with _models_lock:
        if key in _models:
            return _models[key]
    with _loading_lock:
        with _models_lock:
            if key in _models:
                return _models[key]
        model = load_model(spec, target)
        with _models_lock:
            for old in [k for k in _models if k[0] is not None and k[0] == key[0] and k[2] == key[2]]:
                del _models[old]
            _models[key] = model
    return model


def clear_models() -> None:
    """Forget every loaded model (tests; freeing memory)."""
    with _models_lock:
        _models.clear()


def _device(device):
    from .device import choose_device

    return device if not isinstance(device, str) else choose_device(device)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_WEIGHTS_BYTES:
            raise ModelError(f"Model file '{path.name}' is too large ({size >> 20} MB).")
        with open(path, "rb") as handle:
            return handle.read(MAX_WEIGHTS_BYTES + 1)
    except OSError as error:
        raise ModelError(f"Model file '{path.name}' cannot be read ({error.strerror or error}).") from None


def _parse(data: bytes, path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        return load(data)
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        first = str(error).splitlines()[0] if str(error) else "unknown error"
        raise ModelError(f"Model file '{path.name}' is not a readable safetensors file ({first}).") from None
