"""The Qt binding must not corrupt the interpreter.

PySide6 6.12.0 releases a reference to None on every call of a method that
returns nothing; on Python < 3.12 the count reaches zero after a few thousand
brush segments and CPython aborts. This test fails on such a binding long
before a user would crash.
"""

import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage, QPainter


def test_void_qt_calls_keep_none_alive(qapp):
    image = QImage(64, 64, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    before = sys.getrefcount(None)
    for _ in range(2000):
        painter.drawEllipse(QPointF(32, 32), 10.0, 10.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    after = sys.getrefcount(None)
    painter.end()
    assert before - after < 100, f"None lost {before - after} references in 4000 Qt calls"
