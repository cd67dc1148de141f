"""The Restore workspace's damage finder: Find dust & scratches, the report, undo, Find & fill."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from artstudio.core.document import Document

from test_detect import damaged_photo, found_specks, smooth_photo


def click(qtbot, button):
    assert button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_find_puts_an_undoable_mask_of_the_damage_and_reports_it(qtbot, workspace, runner):
    image, specks, scratch = damaged_photo()
    workspace.set_document(Document(image))
    panel = workspace.finder.panel
    with qtbot.waitSignal(runner.job_finished, timeout=20000):
        click(qtbot, panel.find_button)
    doc = workspace.document
    assert found_specks(doc.mask, specks) >= 7 and (doc.mask[scratch > 0] > 0).mean() > 0.6
    assert panel.report.text().startswith("Found ") and "specks" in panel.report.text()
    assert panel.find_button.isEnabled() and doc.proposal is None         # a mask, not a fill
    workspace.undo()
    assert not doc.mask.any()                                             # one undo step
    workspace.set_document(Document(image.copy()))
    assert panel.report.text() == ""                 # what was found was found on the other photo


def test_finding_nothing_keeps_the_painted_mask(qtbot, workspace, runner):
    doc = Document(smooth_photo())
    doc.mask[10:20, 10:20] = 255
    workspace.set_document(doc)
    with qtbot.waitSignal(runner.job_finished, timeout=20000):
        click(qtbot, workspace.finder.panel.find_button)
    assert doc.mask[10:20, 10:20].all() and doc.mask.sum() == 100 * 255
    assert "no dust or scratches found" in workspace.finder.panel.report.text().lower()


def test_find_and_fill_in_one_click_removes_the_damage_and_nothing_else(qtbot, workspace, runner):
    image, specks, _ = damaged_photo()
    workspace.set_document(Document(image))
    workspace.panel.set_method("telea")          # the Fill group's method is what Find & fill runs
    fills = []
    runner.job_finished.connect(lambda job_id, result: fills.append(result))
    click(qtbot, workspace.finder.panel.fill_button)
    qtbot.waitUntil(lambda: workspace.document.proposal is not None, timeout=30000)
    doc = workspace.document
    out = doc.proposal
    assert np.array_equal(out[doc.mask == 0], image[doc.mask == 0])       # bit-identical outside
    x, y, _ = specks[0]
    assert abs(int(out[y, x, 0]) - int(image[y + 6, x, 0])) < 25          # the white speck is gone
    assert "Fill" in workspace.messages[-1]


def test_a_result_for_a_photo_closed_meanwhile_is_dropped(qtbot, workspace, runner):
    image, _, _ = damaged_photo()
    workspace.set_document(Document(image))
    workspace.finder.find()
    other = Document(smooth_photo(64))
    workspace.set_document(other)
    qtbot.waitUntil(lambda: workspace.finder.panel.find_button.isEnabled(), timeout=20000)
    assert not other.mask.any()
