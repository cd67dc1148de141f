"""The picked thumbnail keeps its own colours (Qt's selected mode used to tint it blue), so
variations can be compared side by side."""

import numpy as np

from artstudio.ui.qimage import from_qimage
from artstudio.ui.thumbnail_strip import ThumbnailStrip


def test_the_picked_thumbnail_is_not_tinted(qtbot):
    strip = ThumbnailStrip("Variations")
    qtbot.addWidget(strip)
    red = np.zeros((48, 48, 3), np.uint8)
    red[..., 0] = 200
    strip.show_thumbnails([("1", "", red), ("2", "", red)])
    strip.resize(400, strip.height())
    strip.show()
    qtbot.waitExposed(strip)
    strip.mark(0)
    qtbot.wait(20)
    picked = strip.visualItemRect(strip.item(0)).center()
    other = strip.visualItemRect(strip.item(1)).center()
    pixels = from_qimage(strip.grab().toImage())
    a = pixels[picked.y() - 8, picked.x()].astype(int)
    b = pixels[other.y() - 8, other.x()].astype(int)
    assert a[0] > 150 and a[2] < 60, a                  # still red where the icon is
    assert np.abs(a[:3] - b[:3]).max() < 30
