"""Files from the window (issue 15 "Files"): Save in the unsaved-changes dialog, where Save As
starts, the bundled demo as a copy, formats and metadata kept, OpenRaster offered."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from PIL import Image, ImageCms
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox

from artstudio.core.imageio import load_image, save_image
from artstudio.core.paths import resources_dir
from artstudio.ui import file_ops

from window_helpers import window  # noqa: F401  (with this module's dialogs)

Button = QMessageBox.StandardButton
DEMO = resources_dir() / file_ops.DEMO_IMAGE


@pytest.fixture
def dialogs(monkeypatch, tmp_path):
    """Message boxes answered from ``said["answers"]`` in turn (then Cancel); save dialogs answered by
    ``said["save_as"]`` (a path, or "" for Cancel). Everything asked is remembered."""
    said = {"warning": [], "question": [], "buttons": [], "answers": [], "save_as": "", "asked": []}
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: said["warning"].append(text))

    def question(parent, title, text, buttons=None, default=None):
        said["question"].append(text)
        said["buttons"].append(buttons)
        return said["answers"].pop(0) if said["answers"] else Button.Cancel

    def get_save(parent, title, start, filters, selected="", **kwargs):
        said["asked"].append({"start": Path(start), "filters": filters, "selected": selected})
        answer = said["save_as"]
        return (str(answer[0]), answer[1]) if isinstance(answer, tuple) else (str(answer), selected)
    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", get_save)
    pictures = tmp_path / "Pictures"
    pictures.mkdir()
    monkeypatch.setattr(file_ops, "user_pictures", lambda: pictures)
    said["pictures"] = pictures
    return said


def _ctrl_s(window) -> None:
    for action in window.findChildren(QAction):
        if any(s.toString() == "Ctrl+S" for s in action.shortcuts()):
            action.trigger()
            return
    raise AssertionError("no Ctrl+S")


def _edit(window, value=0):
    """Change some pixels, as a fill or a clone stroke would: the document is now modified."""
    doc = window.restore.document
    pixels = doc.image.copy()
    pixels[4:8, 4:8] = value
    doc.set_layer("image", pixels, "Clone")
    assert doc.modified
    return pixels


def _open(window, path) -> None:
    assert window.open_path(Path(path), wait=True)


def test_the_unsaved_changes_dialog_offers_save_and_saving_lets_the_next_photo_open(window, dialogs, tmp_path,
                                                                                 photo):
    first, second = save_image(tmp_path / "first.png", photo), save_image(tmp_path / "second.png", photo[::-1])
    _open(window, first)
    edited = _edit(window)
    dialogs["answers"] = [Button.Save, Button.Yes]       # Save; yes, overwrite the original
    _open(window, second)
    assert dialogs["buttons"][0] & Button.Save and dialogs["buttons"][0] & Button.Discard
    assert np.array_equal(load_image(first).pixels, edited)        # saved before it was closed
    assert window.restore.document.path == second


def test_a_cancelled_save_as_in_the_dialog_discards_nothing(window, dialogs, tmp_path, photo):
    assert file_ops.open_demo(window, wait=True)
    edited = _edit(window)
    demo_bytes = DEMO.read_bytes()
    other = save_image(tmp_path / "other.png", photo)
    dialogs["answers"], dialogs["save_as"] = [Button.Save], ""     # Save -> Save As -> Cancel
    assert not window.open_path(other, wait=True)
    assert dialogs["asked"], "Save on the demo asks where to save it"
    doc = window.restore.document
    assert doc.path == DEMO and doc.modified and np.array_equal(doc.image, edited)
    assert DEMO.read_bytes() == demo_bytes


def test_a_failed_save_keeps_the_window_open_with_the_work(qtbot, window, dialogs, tmp_path, photo):
    folder = tmp_path / "usb-stick"
    folder.mkdir()
    _open(window, save_image(folder / "gran.png", photo))
    edited = _edit(window)
    for file in folder.iterdir():
        file.unlink()
    folder.rmdir()                                          # the stick was pulled out
    dialogs["answers"] = [Button.Save]
    assert not window.close()
    assert window.isVisible() and np.array_equal(window.restore.document.image, edited)
    assert "does not exist" in dialogs["warning"][-1]


def test_ctrl_s_on_the_demo_asks_where_and_never_overwrites_the_bundled_file(window, dialogs, tmp_path):
    assert file_ops.open_demo(window, wait=True)
    assert not window.settings.last_dir                     # opening the demo is not "a folder used"
    demo_bytes = DEMO.read_bytes()
    edited = _edit(window)
    out = tmp_path / "mine.png"
    dialogs["save_as"] = out
    _ctrl_s(window)
    asked = dialogs["asked"][-1]
    assert asked["start"] == dialogs["pictures"] / "astronaut_scratched_restored.png"   # not the install folder
    assert DEMO.read_bytes() == demo_bytes
    assert window.restore.document.path == out and np.array_equal(load_image(out).pixels, edited)


def test_save_as_onto_the_bundled_demo_itself_is_refused(window, dialogs):
    assert file_ops.open_demo(window, wait=True)
    demo_bytes = DEMO.read_bytes()
    _edit(window)
    dialogs["save_as"], dialogs["answers"] = DEMO, [Button.Yes]
    assert not file_ops.save_as(window)
    assert "ArtStudio's own folder" in dialogs["warning"][-1]
    assert DEMO.read_bytes() == demo_bytes and window.restore.document.modified


def test_save_as_starts_beside_the_photo_in_its_format(window, dialogs, tmp_path, photo):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(photo).save(photos / "gran.jpg", quality=90)
    window.settings.last_dir = str(resources_dir())         # an old settings file pointing into the app
    _open(window, photos / "gran.jpg")
    file_ops.save_as(window)
    asked = dialogs["asked"][-1]
    assert asked["start"] == photos / "gran_restored.jpg"
    assert asked["selected"] == file_ops.SAVE_FILTERS["JPEG"] and "*.ora" in asked["filters"]


def test_a_name_typed_without_extension_gets_the_chosen_format(window, dialogs, tmp_path, photo):
    _open(window, save_image(tmp_path / "in.png", photo))
    dialogs["save_as"] = (tmp_path / "scan", file_ops.SAVE_FILTERS["TIFF"])
    assert file_ops.save_as(window)
    assert load_image(tmp_path / "scan.tif").format == "TIFF"


def test_saving_a_camera_jpeg_keeps_jpeg_quality_exif_and_profile(window, dialogs, tmp_path):
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:300, 0:400]
    pixels = np.clip(np.stack([x * 0.6, y * 0.8, (x + y) * 0.3], -1) + rng.normal(0, 6, (300, 400, 3)), 0, 255)
    exif = Image.Exif()
    exif[0x010F], exif[0x0112] = "ArtCam", 6
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = tmp_path / "holiday.jpg"
    Image.fromarray(pixels.astype(np.uint8)).save(path, quality=85, exif=exif, icc_profile=icc)
    size_before = path.stat().st_size
    _open(window, path)
    upright = window.restore.document.image.copy()
    _edit(window, value=255)
    dialogs["answers"] = [Button.Yes]                     # overwrite the original
    _ctrl_s(window)
    with Image.open(path) as saved:
        assert saved.format == "JPEG" and saved.info["icc_profile"] == icc
        assert saved.getexif()[0x010F] == "ArtCam" and saved.getexif()[0x0112] == 1
    assert 0.8 < path.stat().st_size / size_before < 1.25        # not ballooned into a PNG
    again = load_image(path)
    assert again.size == (300, 400) and again.meta.jpeg_quality == 85
    assert np.abs(again.pixels[20:, 20:].astype(int) - upright[20:, 20:]).mean() < 3
    assert "kept JPEG quality ≈ 85, EXIF, colour profile" in window.status.currentMessage()


def test_save_as_openraster_writes_layers_that_open_again_as_photo_and_mask(window, dialogs, tmp_path, photo,
                                                                          scratch):
    _open(window, save_image(tmp_path / "in.png", photo))
    window.restore.replace_mask(scratch, "mask")
    doc = window.restore.document
    filled = doc.image.copy()
    filled[scratch > 0] = (0, 255, 0)
    doc.set_proposal(filled)
    doc.apply_proposal("Fill (telea)")
    dialogs["save_as"] = tmp_path / "for_krita.ora"
    assert file_ops.save_as(window)
    with zipfile.ZipFile(tmp_path / "for_krita.ora") as zf:
        names = [n.get("name") for n in ET.fromstring(zf.read("stack.xml")).iter("layer")]
    assert names == ["mask", "Fill (telea)", "photo"]
    _open(window, tmp_path / "for_krita.ora")
    reopened = window.restore.document
    assert np.array_equal(reopened.image, filled) and np.array_equal(reopened.mask, scratch)
    assert "'mask' layer is the mask" in window.status.currentMessage()
