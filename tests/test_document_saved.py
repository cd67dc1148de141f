"""Issue 15 B9: the document knows the history position its file holds."""

import numpy as np

from artstudio.core.document import Document
from artstudio.core.history import History


def edit_image(doc, value, label="Fill"):
    """One undoable image change: the top-left 8x8 block set to ``value``."""
    result = doc.image.copy()
    result[:8, :8] = value
    doc.set_proposal(result)
    return doc.apply_proposal(label)


def edit_mask(doc, value):
    mask = doc.mask.copy()
    mask[10:20, 10:20] = value
    return doc.set_mask(mask, "Paint mask")


def test_undo_back_to_the_opened_state_is_not_modified(photo, tmp_path):
    doc = Document(photo.copy(), path=tmp_path / "a.png")
    edit_image(doc, 1)
    assert doc.modified
    doc.undo()
    assert not doc.modified
    doc.redo()
    assert doc.modified


def test_undo_and_redo_back_to_the_saved_state_is_not_modified(photo, tmp_path):
    doc = Document(photo.copy())
    edit_image(doc, 1)
    edit_image(doc, 2)
    doc.mark_saved(tmp_path / "a.png")
    assert not doc.modified
    doc.undo()
    assert doc.modified
    doc.undo()
    assert doc.modified
    doc.redo()
    doc.redo()
    assert not doc.modified
    edit_image(doc, 3)
    assert doc.modified
    doc.undo()
    assert not doc.modified


def test_an_edit_after_undoing_past_the_save_point_is_modified_until_saved(photo, tmp_path):
    doc = Document(photo.copy())
    edit_image(doc, 1)
    doc.mark_saved(tmp_path / "a.png")
    doc.undo()
    edit_image(doc, 7)                    # the saved state's redo step is gone
    assert doc.modified
    doc.undo()
    assert doc.modified                   # back at the original pixels, not the file's
    doc.redo()
    assert doc.modified
    doc.mark_saved(tmp_path / "a.png")
    assert not doc.modified


def test_mask_steps_never_make_the_file_out_of_date(photo, tmp_path):
    doc = Document(photo.copy(), path=tmp_path / "a.png")
    edit_mask(doc, 255)
    assert not doc.modified
    edit_image(doc, 1)
    doc.mark_saved(tmp_path / "a.png")
    doc.undo()
    assert doc.modified
    # Undo past a mask step and branch with another mask step: the image is still the file's.
    doc.redo()
    edit_mask(doc, 128)
    doc.undo()
    edit_mask(doc, 64)
    assert not doc.modified
    doc.undo()
    doc.undo()                            # the image step after the save point
    assert doc.modified


def test_branching_off_over_only_mask_steps_keeps_the_save_point(photo, tmp_path):
    doc = Document(photo.copy())
    edit_image(doc, 1)
    edit_mask(doc, 255)
    doc.mark_saved(tmp_path / "a.png")
    doc.undo()                            # the mask step, into the redo stack
    edit_mask(doc, 9)                     # branch: only a mask step was dropped
    assert not doc.modified
    doc.undo()
    doc.undo()                            # the image step
    assert doc.modified


def test_a_recovered_modified_session_stays_modified_whatever_is_undone(photo):
    doc = Document(photo.copy())
    edit_image(doc, 1)
    doc.modified = True
    doc.undo()
    assert doc.modified
    doc.redo()
    assert doc.modified
    doc.modified = False
    assert not doc.modified


def test_a_save_point_dropped_by_the_memory_bound_is_modified_for_good():
    doc = Document(np.zeros((64, 64, 3), np.uint8), history=History(max_bytes=3 * 2 * 8 * 8 * 3 * 64))
    for value in range(1, 6):
        edit_image(doc, value)
    assert doc.history.dropped > 0
    while doc.undo() is not None:
        pass
    assert doc.modified                   # the opened state can no longer be reached
    assert doc.image[0, 0, 0] != 0
