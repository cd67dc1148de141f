"""The crash journal rebuilds the work exactly, and a kill at any instant leaves it usable."""

import os

import numpy as np
import pytest

from artstudio.core import recovery
from artstudio.core.brush import Brush, PointerEvent
from artstudio.core.document import Document
from artstudio.core.recovery import RecoveryJournal, Snapshot, find_crashed, read_journal


def work():
    rng = np.random.default_rng(5)
    doc = Document(rng.integers(0, 255, (150, 200, 3), np.uint8), path=None)
    doc.begin_stroke(PointerEvent(20, 30), Brush(size=12))
    doc.continue_stroke(PointerEvent(150, 90))
    doc.history.push(doc.end_stroke())
    doc.set_proposal(np.full_like(doc.image, 77))
    doc.apply_proposal("Fill")
    doc.set_mask(np.zeros_like(doc.mask), "Clear mask")
    doc.undo()                                   # one step on the redo stack too
    return doc


def snapshot_of(doc, photo=None):
    undo, redo = doc.history.steps
    return Snapshot(photo, doc.image.copy(), doc.mask.copy(), undo, redo, doc.modified)


def dead_pid():
    import subprocess
    import sys
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_journal_rebuilds_document_and_history(tmp_path):
    doc = work()
    journal = RecoveryJournal(tmp_path / "session-1")
    journal.write(snapshot_of(doc))
    back = read_journal(tmp_path / "session-1")
    assert np.array_equal(back.image, doc.image) and np.array_equal(back.mask, doc.mask)
    assert back.modified and back.photo is None
    again = Document(back.image, back.mask, None, back.history)
    for _ in range(3):                           # undoes like the original, to the very start
        doc.undo(), again.undo()
        assert np.array_equal(again.image, doc.image) and np.array_equal(again.mask, doc.mask)
    assert not again.history.can_undo
    again.redo(), doc.redo()
    assert np.array_equal(again.mask, doc.mask)


def test_steps_are_written_once_and_dropped_steps_deleted(tmp_path):
    doc = work()
    journal = RecoveryJournal(tmp_path / "s")
    journal.write(snapshot_of(doc))
    patches = sorted(p.name for p in (tmp_path / "s").glob("patch-*.npz"))
    assert len(patches) == 3
    journal.write(snapshot_of(doc))              # nothing new: no new step files
    assert sorted(p.name for p in (tmp_path / "s").glob("patch-*.npz")) == patches
    doc.set_mask(np.full_like(doc.mask, 255), "Fill mask")   # clears the redo step
    journal.write(snapshot_of(doc))
    assert len(list((tmp_path / "s").glob("patch-*.npz"))) == 3
    assert len(list((tmp_path / "s").glob("mask-*.npy"))) == 1     # the replaced mask is gone


@pytest.mark.parametrize("kill_at", range(1, 6))   # each of the five renames of one write
def test_a_kill_during_a_write_leaves_the_previous_state(tmp_path, monkeypatch, kill_at):
    doc = work()
    journal = RecoveryJournal(tmp_path / "s")
    journal.write(snapshot_of(doc))
    before = read_journal(tmp_path / "s")
    doc.begin_stroke(PointerEvent(5, 5), Brush(size=30))
    doc.history.push(doc.end_stroke())
    doc.set_proposal(np.zeros_like(doc.image))
    doc.apply_proposal("Fill")
    calls = {"n": 0}
    real = os.replace

    def dying_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == kill_at:
            raise KeyboardInterrupt("killed")     # nothing after this point runs
        return real(src, dst)

    monkeypatch.setattr(recovery.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        journal.write(snapshot_of(doc))
    monkeypatch.setattr(recovery.os, "replace", real)
    after = read_journal(tmp_path / "s")           # consistent: the old state, or (last step) the new
    assert np.array_equal(after.image, before.image) or np.array_equal(after.image, doc.image)
    rebuilt = Document(after.image, after.mask, None, after.history)
    while rebuilt.history.can_undo:
        rebuilt.undo()
    original = np.random.default_rng(5).integers(0, 255, (150, 200, 3), np.uint8)
    assert np.array_equal(rebuilt.image, original)           # every step is there to undo
    RecoveryJournal(tmp_path / "s").write(snapshot_of(doc))       # the next write cleans up
    assert not list((tmp_path / "s").glob(".*.tmp"))


def test_only_journals_of_dead_processes_are_offered(tmp_path):
    doc = work()
    mine = RecoveryJournal.for_this_process(tmp_path)
    mine.write(snapshot_of(doc))
    dead = RecoveryJournal(tmp_path / f"session-{dead_pid()}")
    dead.write(snapshot_of(doc))
    (tmp_path / "session-notapid").mkdir()
    assert find_crashed(tmp_path) == [dead.folder]
    mine.discard()
    assert not mine.folder.exists()


@pytest.mark.parametrize("manifest", [
    b"[]", b"{" * 50_000, b'{"format": "other"}',
    b'{"format": "artstudio-recovery-v1", "undo": ["../../etc/passwd"], "redo": []}',
    b'{"format": "artstudio-recovery-v1", "undo": [], "redo": [], "mask": "/etc/hostname"}',
])
def test_damaged_or_hostile_journal_is_refused_in_one_line(tmp_path, manifest):
    folder = tmp_path / "session-1"
    folder.mkdir()
    (folder / "manifest.json").write_bytes(manifest)
    with pytest.raises(ValueError) as excinfo:
        read_journal(folder)
    assert "\n" not in str(excinfo.value)
