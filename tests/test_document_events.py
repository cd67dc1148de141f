"""The Restore document tells its views what changed, without Qt."""

import numpy as np

from artstudio.core.brush import Brush, PointerEvent
from artstudio.core.document import DOCUMENT_EVENTS, Document
from artstudio.core.rect import Rect


class Recorder:
    def __init__(self, doc):
        self.seen = []
        for name in DOCUMENT_EVENTS:
            getattr(doc.events, name).connect(lambda *args, n=name: self.seen.append((n, args)))

    def names(self):
        return [name for name, _ in self.seen]

    def clear(self):
        self.seen.clear()


def covers(rect: Rect, changed: np.ndarray) -> bool:
    """Every changed pixel lies inside ``rect``."""
    ys, xs = np.nonzero(changed)
    return bool(len(ys)) and rect.x0 <= xs.min() and xs.max() < rect.x1 and rect.y0 <= ys.min() and ys.max() < rect.y1


def test_each_brush_segment_reports_the_pixels_it_painted(photo):
    doc = Document(photo)
    rec = Recorder(doc)
    brush = Brush(size=10, hardness=1.0)
    doc.begin_stroke(PointerEvent(10, 10), brush)
    first = doc.mask.copy()
    doc.continue_stroke(PointerEvent(60, 40))
    assert rec.names() == ["mask_changed", "mask_changed"]
    assert covers(rec.seen[0][1][0], first > 0)
    assert covers(rec.seen[1][1][0], doc.mask != first)
    rec.clear()
    doc.end_stroke()                       # the pixels were already announced
    assert rec.seen == []


def test_a_stroke_outside_the_image_reports_nothing(photo):
    doc = Document(photo)
    rec = Recorder(doc)
    doc.begin_stroke(PointerEvent(-500, -500), Brush(size=4))
    doc.end_stroke()
    assert rec.seen == []


def test_a_whole_mask_edit_reports_once_with_its_bounds_and_undo_reports_again(photo):
    doc = Document(photo)
    rec = Recorder(doc)
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[20:30, 40:70] = 255
    doc.set_mask(mask, "box")
    assert rec.names() == ["mask_changed"] and covers(rec.seen[0][1][0], mask > 0)
    doc.set_mask(mask, "same again")       # nothing changed: no event
    assert len(rec.seen) == 1
    doc.undo()
    doc.redo()
    assert rec.names() == ["mask_changed"] * 3
    assert all(covers(args[0], mask > 0) for _, args in rec.seen)


def test_applying_a_fill_reports_the_image_rect_and_the_cleared_proposal(photo):
    doc = Document(photo.copy())
    rec = Recorder(doc)
    result = photo.copy()
    result[50:60, 10:20] = 0
    doc.set_proposal(result)
    assert rec.seen == [("proposal_changed", (result,))]
    doc.set_proposal(result)               # the same result again is no change
    assert len(rec.seen) == 1
    rec.clear()
    doc.apply_proposal()
    assert rec.names() == ["image_changed", "proposal_changed"]
    assert covers(rec.seen[0][1][0], np.any(photo != result, axis=2))
    assert rec.seen[1][1] == (None,)
    rec.clear()
    doc.undo()
    assert rec.names() == ["image_changed"]


def test_reverting_a_proposal_reports_it_cleared(photo):
    doc = Document(photo)
    doc.set_proposal(photo.copy())
    rec = Recorder(doc)
    doc.set_proposal(None)
    assert rec.seen == [("proposal_changed", (None,))]


def test_an_upscale_reports_a_replacement_and_its_undo_too(photo):
    doc = Document(photo)
    rec = Recorder(doc)
    big = np.repeat(np.repeat(photo, 2, axis=0), 2, axis=1)
    doc.set_proposal(big)
    rec.clear()
    doc.apply_proposal("Upscale")
    assert rec.names() == ["replaced", "proposal_changed"] and doc.size == (256, 192)
    rec.clear()
    doc.undo()
    assert rec.names() == ["replaced"] and doc.size == (128, 96)
    doc.set_proposal(photo.copy())
    rec.clear()
    doc.redo()                             # the swap drops the proposal made for the old pixels
    assert rec.names() == ["replaced", "proposal_changed"] and doc.proposal is None


def test_marking_saved_makes_the_file_the_documents_own(photo, tmp_path):
    doc = Document(photo, path=tmp_path / "in.png")
    doc.modified = True                    # as after an applied fill
    rec = Recorder(doc)
    doc.mark_saved(tmp_path / "out.png")
    assert doc.path == tmp_path / "out.png" and not doc.modified
    assert rec.seen == [("saved", (tmp_path / "out.png",))]


def test_nothing_is_reported_when_undo_has_nothing_left(photo):
    doc = Document(photo)
    rec = Recorder(doc)
    assert doc.undo() is None and doc.redo() is None
    assert rec.seen == []
