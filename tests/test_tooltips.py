"""Every control in the window says what it does (issue 15: "No tooltips on most controls").

Scroll bars and Qt's own helper buttons (a tool bar's overflow arrow, a dock's
close button, a tab bar's scroll arrows: object names starting "qt_") are left out.
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit, QScrollBar

from window_helpers import dialogs, window  # noqa: F401

CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QAbstractSlider, QLineEdit)


def _explained(widget, top) -> bool:
    """Its own tooltip, or that of the composite it is part of (a labelled slider's slider,
    a spin box's line edit, a combo's editor)."""
    while widget is not None and widget is not top:
        if widget.toolTip():
            return True
        widget = widget.parentWidget()
        if widget is not None and not isinstance(widget, CONTROLS + (QAbstractSlider,)) \
                and type(widget).__module__.startswith("artstudio"):
            return bool(widget.toolTip())
    return False


def _internal(widget) -> bool:
    """A scroll bar or one of Qt's helper buttons, or a part of one (not a control inside a scroll area)."""
    w = widget
    while w is not None:
        name = w.objectName()
        if isinstance(w, QScrollBar) or (name.startswith("qt_") and not name.startswith("qt_scrollarea")):
            return True
        w = w.parentWidget()
    return False


def test_every_control_in_every_workspace_has_a_tooltip(qtbot, window):
    missing = []
    for cls in CONTROLS:
        for control in window.findChildren(cls):
            if _internal(control) or _explained(control, window):
                continue
            owner = control
            while owner is not None and not type(owner).__module__.startswith("artstudio"):
                owner = owner.parentWidget()
            missing.append(f"{type(owner).__name__ if owner else '?'}: {type(control).__name__} "
                           f"'{getattr(control, 'text', lambda: '')()}'")
    assert not missing, "\n".join(missing)
