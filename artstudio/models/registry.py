"""The one model registry: every model the app can use, and the one name -> spec resolver.

Without importing torch, it lists the built-ins (``dcgan-faces``, the CPPN
presets; see :mod:`.builtins`), the shipped restoration networks and the
user's folder of ``NAME.safetensors`` + ``NAME.json`` cards (see
:mod:`.cards`): training writes them and they appear here at once. A card
that cannot be used is skipped with a one-line reason (:func:`skipped_cards`),
never an exception: one broken file must not hide the rest. Checksums are
verified when a model is loaded (:mod:`.loading`).

Everyone that turns a name into a model (the CLI, the panels, the jobs)
calls :func:`resolve`.
"""

from __future__ import annotations

from pathlib import Path

from .builtins import (CPPN_DESCRIPTIONS, CPPN_PRESETS, CPPN_RESOLUTION, DCGAN_FACES_FILE,
                       DCGAN_FACES_SHA256, all_builtins, builtin_generators, shipped_restore_models)
from .cards import CardError, CardScan, card_spec, scan_cards
from .specs import (GENERATOR_KINDS, KINDS, RESTORE_TASKS, TASK_NAMES, ModelError,
                    ModelSpec, config_hash, sha256_file)

__all__ = [  # the names other layers import from here, re-exported ones included
    "APP_MODELS", "CPPN_DESCRIPTIONS", "CPPN_PRESETS", "CPPN_RESOLUTION", "DCGAN_FACES_FILE",
    "DCGAN_FACES_SHA256", "GENERATOR_KINDS", "KINDS", "RESTORE_TASKS", "ModelError", "ModelSpec",
    "builtin_models", "catalog", "config_hash", "find_model", "list_models", "list_specs", "resolve",
    "sha256_file", "shipped_restore_models", "skipped_cards", "spec_at", "user_specs"]


class _AppFolder:
    """The default ``user_dir``: the app's models folder, looked up when a call needs it."""

    def __repr__(self) -> str:
        return "<the app's models folder>"


APP_MODELS = _AppFolder()


def user_models_dir(user_dir: Path | None | _AppFolder = APP_MODELS) -> Path | None:
    """``user_dir`` itself, or for :data:`APP_MODELS` the folder of ``AppPaths.from_environment()``."""
    if isinstance(user_dir, _AppFolder):
        from ..core.paths import AppPaths

        return AppPaths.from_environment().models
    return None if user_dir is None else Path(user_dir)


def builtin_models() -> list[ModelSpec]:
    """dcgan-faces and the CPPN presets (``cppn`` is the classic one): the built-in generators."""
    return builtin_generators()


def catalog(user_dir: Path | None | _AppFolder = APP_MODELS) -> CardScan:
    """Built-ins and shipped networks, then the user's models (by card file name), and what was skipped."""
    builtins = all_builtins()
    scan = scan_cards(user_models_dir(user_dir), {spec.name for spec in builtins})
    return CardScan(builtins + scan.specs, scan.skipped)


def user_specs(user_dir: Path | None | _AppFolder = APP_MODELS,
               kind: str | tuple[str, ...] | None = None) -> list[ModelSpec]:
    """The usable models of the user's folder only, or those of ``kind``."""
    taken = {spec.name for spec in all_builtins()}
    return [spec for spec in scan_cards(user_models_dir(user_dir), taken).specs if spec.matches(kind)]


def list_specs(user_dir: Path | None | _AppFolder = APP_MODELS,
               kind: str | tuple[str, ...] | None = None) -> list[ModelSpec]:
    """Every usable model, or those of ``kind`` (a kind, a task, or several)."""
    return [spec for spec in catalog(user_dir).specs if spec.matches(kind)]


def list_models(user_dir: Path | None = None) -> list[ModelSpec]:
    """The generators: built-ins, then the user's (``user_dir`` None: built-ins only)."""
    return list_specs(user_dir, GENERATOR_KINDS)


def skipped_cards(user_dir: Path | None | _AppFolder = APP_MODELS) -> list[str]:
    """One ``"NAME.json: skipped: why"`` line per card in the user's folder that cannot be used."""
    return catalog(user_dir).skipped


def find_model(name: str, user_dir: Path | None = None) -> ModelSpec:
    """The generator called ``name``; :class:`ModelError` naming the choices if none is."""
    return resolve(name, kind=GENERATOR_KINDS, user_dir=user_dir)


def resolve(name_or_path: str | Path, *, kind: str | tuple[str, ...] | None = None,
            user_dir: Path | None | _AppFolder = APP_MODELS) -> ModelSpec:
    """The spec a user means by ``name_or_path``.

    Parameters
    ----------
    name_or_path : str or Path
        A built-in or shipped name (``dcgan-faces``, ``restore-sr``), a
        restoration task for its shipped network (``sr``), the name of a
        model in the user's folder, or a path to a ``.safetensors`` file (or
        its ``.json`` card) anywhere.
    kind : str, tuple of str, or None
        What the caller can use: a kind (``gan``, ``restore``...), a task
        (``inpaint``...), several, or None for anything.
    user_dir : Path, None or APP_MODELS
        The user's models folder; by default the app's, None for none.

    Raises
    ------
    ModelError
        One line: an unknown name lists the choices of ``kind``; a model of
        another kind says what it is; an unusable card says why.
    """
    folder = user_models_dir(user_dir)
    spec = _by_name(str(name_or_path), folder)
    if spec is None:
        raise ModelError(_unknown(str(name_or_path), kind, folder))
    if not spec.matches(kind):
        raise ModelError(f"Model '{spec.name}' is {spec.what()}, not {_wanted(kind)}.")
    return spec


def _by_name(text: str, folder: Path | None) -> ModelSpec | None:
    for spec in all_builtins():
        if text == spec.name or (not spec.is_generator and text == spec.task):
            return spec
    if folder is not None and text and "/" not in text and "\\" not in text:
        direct, problem = folder / f"{text}.json", None
        try:     # the usual case: NAME.json holds the card of NAME; no folder scan
            spec = card_spec(direct) if direct.is_file() else None
        except CardError as error:
            spec, problem = None, error
        if spec is not None and spec.name == text:
            return spec
        found = next((s for s in scan_cards(folder).specs if s.name == text), None)
        if found is not None:
            return found
        if problem is not None:
            raise ModelError(f"Model card '{direct.name}' is not usable: {problem}.")
    if text.endswith((".safetensors", ".json")) or (text and Path(text).is_file()):
        return spec_at(Path(text))
    return None


def spec_at(path: Path) -> ModelSpec:
    """The spec of the model file ``path`` (``.safetensors`` or its ``.json``) from its card beside it."""
    if path.suffix.lower() not in (".safetensors", ".json"):
        # Pickled checkpoints (.pt, .pth, .ckpt, .bin) can run code when loaded: never opened.
        raise ModelError(f"'{path.name}' is not a .safetensors model; ArtStudio does not load pickled "
                         "PyTorch files (they can run code). Convert it to .safetensors with a card.")
    weights = path.with_suffix(".safetensors")
    card = weights.with_suffix(".json")
    if not card.exists():
        raise ModelError(f"Model file '{weights.name}' has no card '{card.name}' beside it.")
    try:
        return card_spec(card)
    except CardError as error:
        raise ModelError(f"Model card '{card.name}' is not usable: {error}.") from None


def _unknown(text: str, kind, folder: Path | None) -> str:
    choices = ", ".join(spec.name for spec in list_specs(folder, kind))
    restoring = kind is not None and all(k == "restore" or k in RESTORE_TASKS
                                         for k in ((kind,) if isinstance(kind, str) else kind))
    what = "restoration model" if restoring else "model"
    return f"Unknown {what} '{text}'. Available: {choices}, or a .safetensors path."


def _wanted(kind) -> str:
    wanted = (kind,) if isinstance(kind, str) else tuple(kind)
    if set(wanted) <= set(GENERATOR_KINDS):
        return "a generator" if set(wanted) == set(GENERATOR_KINDS) else f"a {'/'.join(wanted)} generator"
    names = [TASK_NAMES.get(k, "restoration") for k in wanted if k not in GENERATOR_KINDS]
    return f"a{'n' if names[0][0] in 'aeiou' else ''} {' or '.join(names)} network"
