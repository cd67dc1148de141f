"""Dark theme: Fusion style with a dark palette, as artists' tools use."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = QColor(74, 144, 226)

STYLE_SHEET = """
QToolTip { color: #e6e6e6; background: #2b2b2f; border: 1px solid #4a4a50; }
QGroupBox { border: 1px solid #3c3c42; border-radius: 4px; margin-top: 14px; padding-top: 6px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #b8b8c0; }
QPushButton { padding: 4px 10px; }
QPushButton#primary { background: #3d6fb0; border: 1px solid #4a86d4; border-radius: 3px; color: white; font-weight: bold; padding: 6px 12px; }
QPushButton#primary:disabled { background: #34373d; border-color: #3c3c42; color: #777; }
QToolButton#workspace { padding: 5px 16px; border: none; border-bottom: 2px solid transparent; color: #b8b8c0; }
QToolButton#workspace:checked { color: white; border-bottom: 2px solid #4a90e2; }
QLabel#hint { color: #9a9aa3; }
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    p = QPalette()
    window, base, text = QColor(43, 43, 47), QColor(32, 32, 36), QColor(230, 230, 230)
    for role, color in (
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.ToolTipBase, window), (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, QColor(53, 53, 58)),
        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.BrightText, QColor(255, 80, 80)),
        (QPalette.ColorRole.Link, ACCENT), (QPalette.ColorRole.Highlight, ACCENT),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.PlaceholderText, QColor(130, 130, 136)),
    ):
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 126))
    app.setPalette(p)
    app.setStyleSheet(STYLE_SHEET)
