"""Where a model's checkpoint lives, and finishing one a kill interrupted.

A checkpoint of the run ``NAME`` is three files in the model folder
(``NAME.train.safetensors``, ``NAME.safetensors``, ``NAME.json``) replaced
together through :func:`artstudio.core.file_commit.commit_files`. Whoever
reads the folder first (the Train workspace, ``artstudio train``, and the
model listing of the app and ``artstudio models``) calls
:func:`recover_folder`, so a model half-replaced by a kill is never shown as
damaged. Torch-free: the listing runs without torch.
"""

from __future__ import annotations

from pathlib import Path

from .file_commit import recover as recover_commit

SUFFIXES = (".train.safetensors", ".safetensors", ".json")


def state_path(path: Path) -> Path:
    """``NAME.train.safetensors`` from itself, ``NAME.safetensors``, ``NAME.json`` or ``NAME``."""
    path = Path(path)
    for suffix in SUFFIXES:
        if path.name.endswith(suffix):
            return path.with_name(path.name[:-len(suffix)] + SUFFIXES[0])
    return path.with_name(path.name + SUFFIXES[0])


def checkpoint_files(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """``(train state, weights, card)`` paths of the run ``name`` in ``folder``."""
    folder = Path(folder)
    return folder / f"{name}.train.safetensors", folder / f"{name}.safetensors", folder / f"{name}.json"


def recover(path: Path) -> str | None:
    """Finish or undo a save that was killed midway (see :func:`artstudio.core.file_commit.recover`)."""
    state = state_path(path)
    name = state.name[:-len(SUFFIXES[0])]
    return recover_commit(state.with_name(f"{name}.commit"), checkpoint_files(state.parent, name))


def recover_folder(folder: Path) -> list[tuple[str, str]]:
    """Recover every interrupted save in ``folder``: ``(name, "forward" | "back")`` for each one."""
    endings = (".commit", ".commit.tmp") + tuple(suffix + ".tmp" for suffix in SUFFIXES)
    names = set()
    for path in Path(folder).glob("*.*"):
        ending = next((e for e in endings if path.name.endswith(e)), None)
        if ending is not None:
            names.add(path.name[:-len(ending)])
    done = []
    for name in sorted(names):
        outcome = recover(Path(folder) / name)
        if outcome:
            done.append((name, outcome))
    return done
