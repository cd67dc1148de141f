"""The Before / After labels of the compare split line."""

from __future__ import annotations


def test_the_split_labels_never_overlap_near_an_edge():
    from artstudio.ui.canvas_overlay import split_labels

    assert [t for t, _ in split_labels(500, 100, 1100)] == ["Before", "After"]
    near_left = split_labels(110, 100, 1100)          # the line 10 px from the image's left edge
    assert [t for t, _ in near_left] == ["After"]
    near_right = split_labels(1095, 100, 1100)
    assert [t for t, _ in near_right] == ["Before"]
    for x in range(100, 1101, 7):
        boxes = sorted(left for _, left in split_labels(x, 100, 1100))
        assert all(b - a >= 80 for a, b in zip(boxes, boxes[1:]))
        assert all(100 <= left and left + 80 <= 1100 for left in boxes)
