import numpy as np
import pytest

from artstudio.core.brush import Brush, PointerEvent
from artstudio.core.document import Document
from artstudio.core.history import History
from artstudio.core import mask as mask_ops


def paint(doc, points, brush=Brush(size=10, hardness=1.0)):
    doc.begin_stroke(PointerEvent(*points[0]), brush)
    for p in points[1:]:
        doc.continue_stroke(PointerEvent(*p))
    return doc.end_stroke()


def test_undo_redo_restore_the_mask_exactly(photo):
    doc = Document(photo)
    paint(doc, [(10, 10), (60, 40), (120, 90)])
    after_first = doc.mask.copy()
    paint(doc, [(100, 5), (5, 90)], Brush(size=20, hardness=0.3))
    after_second = doc.mask.copy()
    paint(doc, [(30, 30), (90, 30)], Brush(size=12, mode="erase"))
    assert doc.undo().label == "Erase"
    assert np.array_equal(doc.mask, after_second)
    doc.undo()
    assert np.array_equal(doc.mask, after_first)
    doc.undo()
    assert not doc.mask.any()
    assert doc.undo() is None
    doc.redo()
    doc.redo()
    assert np.array_equal(doc.mask, after_second)


def test_a_stroke_stores_only_the_tiles_it_touched():
    doc = Document(np.zeros((2000, 3000, 3), np.uint8))
    patch = paint(doc, [(100, 100), (150, 120)])
    assert len(patch.tiles) <= 4 and patch.nbytes <= 4 * 2 * 64 * 64
    diagonal = paint(doc, [(10, 10), (2990, 1990)])
    bbox_bytes = 2 * diagonal.rect.width * diagonal.rect.height
    assert diagonal.rect.width > 2900
    assert diagonal.nbytes < bbox_bytes / 15


def test_whole_mask_operations_store_only_changed_tiles(photo):
    doc = Document(np.zeros((1000, 1000, 3), np.uint8))
    doc.mask[100:110, 100:900] = 255
    patch = doc.set_mask(np.zeros_like(doc.mask), "Clear mask")
    assert len(patch.tiles) == 14                        # 800 px wide line -> 14 tiles of 64
    doc.undo()
    assert doc.mask[100:110, 100:900].min() == 255 and doc.mask.sum() == 255 * 10 * 800


def test_long_strokes_across_tiles_undo_exactly():
    doc = Document(np.zeros((300, 300, 3), np.uint8))
    doc.mask[:] = np.random.default_rng(1).integers(0, 256, (300, 300), dtype=np.uint8)
    before = doc.mask.copy()
    paint(doc, [(5, 5), (290, 20), (20, 290), (280, 280)], Brush(size=30, hardness=0.5))
    assert not np.array_equal(doc.mask, before)
    doc.undo()
    assert np.array_equal(doc.mask, before)


@pytest.mark.parametrize("op", ["clear", "invert", "grow", "shrink"])
def test_mask_operations_are_undoable(photo, scratch, op):
    doc = Document(photo, scratch.copy())
    new = {"clear": np.zeros_like(scratch), "invert": mask_ops.invert(scratch),
           "grow": mask_ops.grow(scratch, 3), "shrink": mask_ops.grow(scratch, -1)}[op]
    doc.set_mask(new, op)
    assert np.array_equal(doc.mask, new)
    assert not np.array_equal(doc.mask, scratch)
    doc.undo()
    assert np.array_equal(doc.mask, scratch)


def test_grow_and_shrink_move_the_edge_by_n_pixels():
    mask = np.zeros((50, 50), np.uint8)
    mask[20:30, 20:30] = 255
    grown = mask_ops.grow(mask, 4)
    assert grown[25, 16] == 255 and grown[25, 15] == 0
    shrunk = mask_ops.grow(mask, -2)
    assert shrunk[25, 22] == 255 and shrunk[25, 21] == 0
    assert np.array_equal(mask_ops.invert(mask_ops.invert(mask)), mask)


def test_apply_proposal_is_one_undoable_step(photo, scratch):
    doc = Document(photo.copy(), scratch)
    original = doc.image.copy()
    result = doc.image.copy()
    result[scratch > 0] = 0
    doc.set_proposal(result)
    assert np.array_equal(doc.image, original)          # proposing changes nothing yet
    doc.apply_proposal()
    assert np.array_equal(doc.image, result) and doc.proposal is None
    doc.undo()
    assert np.array_equal(doc.image, original)
    doc.redo()
    assert np.array_equal(doc.image, result)


def test_history_drops_oldest_patches_beyond_its_memory_budget():
    doc = Document(np.zeros((200, 200, 3), np.uint8), history=History(max_bytes=20_000))
    for i in range(10):
        paint(doc, [(10 + 15 * i, 10), (10 + 15 * i, 190)], Brush(size=10))
    undone = 0
    while doc.undo() is not None:
        undone += 1
    assert 1 <= undone < 10
