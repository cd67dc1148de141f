"""OpenRaster (.ora) for GIMP and Krita: the photo, each applied fill and the mask as layers.

The last test runs a real Krita headless (it skips only when Krita is not
installed; Debian 12's GIMP 2.10 has no OpenRaster plug-in, see
benchmarks/ora_interop.py).
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from artstudio.core.document import Document
from artstudio.core.imageio import load_image, load_mask, save_image, save_mask
from artstudio.core.ora import OraLayer, write_ora
from artstudio.core.ora_layers import save_document_ora, save_result_ora
from artstudio.jobs.operations import operation
from cli_helpers import one_error_line, run_cli

TELEA = operation("fill", "telea").title          # the layer name: the window's undo label for the fill


def _stack(path):
    with zipfile.ZipFile(path) as zf:
        return ET.fromstring(zf.read("stack.xml"))


def _layers(path):
    """``{name: (pixels, x, y, visibility)}`` of every layer, decoded with Pillow directly."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for node in _stack(path).iter("layer"):
            pixels = np.asarray(Image.open(io.BytesIO(zf.read(node.get("src"))), formats=["PNG"]).convert("RGBA"))
            out[node.get("name")] = (pixels, int(node.get("x")), int(node.get("y")), node.get("visibility"))
    return out


def _png(pixels) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _foreign_ora(path, w=40, h=30, mask_visible=False, merged=True, extra_stack=""):
    """An .ora as another program writes one: a group, offset layers, a cropped visible mask."""
    bottom = np.zeros((h, w, 4), np.uint8)
    bottom[...] = (10, 120, 200, 255)
    stroke = np.zeros((6, 10, 4), np.uint8)
    stroke[...] = (250, 250, 0, 255)
    mask = np.zeros((4, 8, 4), np.uint8)
    mask[..., :3], mask[..., 3] = 255, 255
    mask[:, :2, 3] = 0                              # soft edge: alpha is the mask
    composite = bottom.copy()
    composite[5:11, 20:30] = stroke
    if mask_visible:
        composite[12:16, 3:11][mask[..., 3] > 0] = (255, 255, 255, 255)
    vis = "visible" if mask_visible else "hidden"
    stack = (f'<image version="0.0.1" w="{w}" h="{h}"><stack>'
             f'<layer name="mask" src="data/m.png" x="1" y="12" visibility="{vis}"/>{extra_stack}'
             f'<stack name="paint" opacity="1"><layer name="stroke" src="data/s.png" x="20" y="5"/></stack>'
             f'<layer name="background" src="data/b.png"/></stack></image>')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "image/openraster")
        zf.writestr("stack.xml", stack)
        for name, pixels in (("data/m.png", mask), ("data/s.png", stroke), ("data/b.png", bottom)):
            zf.writestr(name, _png(pixels))
        if merged:
            zf.writestr("mergedimage.png", _png(composite))
    expected_mask = np.zeros((h, w), np.uint8)
    expected_mask[12:16, 3:9] = 255
    return composite[..., :3], expected_mask


def _edited_document(photo):
    """A document with two applied changes and a mask, as the window holds one."""
    doc = Document(photo.copy())
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[10:20, 30:60] = 255
    doc.set_mask(mask, "Paint mask")
    fill = doc.image.copy()
    fill[mask > 0] = (0, 200, 0)
    doc.set_proposal(fill)
    doc.apply_proposal("Fill (telea)")
    clone = doc.image.copy()
    clone[70:80, 100:120] = clone[0:10, 0:20]
    doc.set_proposal(clone)
    doc.apply_proposal("Clone")
    return doc


def test_the_file_is_an_openraster_zip_gimp_and_krita_recognise(tmp_path, photo):
    out = write_ora(tmp_path / "a.ora", [OraLayer("photo", photo)], photo)
    raw = out.read_bytes()
    assert raw[30:38] == b"mimetype" and raw[38:54] == b"image/openraster"     # sniffed at byte 30
    with zipfile.ZipFile(out) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED and not first.extra
        assert {"stack.xml", "mergedimage.png", "Thumbnails/thumbnail.png"} <= set(zf.namelist())
        thumb = Image.open(io.BytesIO(zf.read("Thumbnails/thumbnail.png")), formats=["PNG"])
        assert max(thumb.size) <= 256
    root = _stack(out)
    assert (root.get("w"), root.get("h")) == ("128", "96")


def test_a_document_is_written_as_photo_fills_and_hidden_mask(tmp_path, photo):
    doc = _edited_document(photo)
    out = save_document_ora(tmp_path / "work.ora", doc.image, doc.mask, doc.history.steps)
    names = [n.get("name") for n in _stack(out).iter("layer")]
    assert names == ["mask", "Clone", "Fill (telea)", "photo"]                     # top first
    layers = _layers(out)
    assert np.array_equal(layers["photo"][0][..., :3], photo)                    # the photo as opened
    assert layers["mask"][3] == "hidden" and np.array_equal(layers["mask"][0][..., 3], doc.mask)
    fill, x, y, vis = layers["Fill (telea)"]
    assert vis == "visible" and (x, y) == (30, 10) and fill.shape[:2] == (10, 30)    # only what it changed
    assert (fill[..., :3] == (0, 200, 0)).all() and (fill[..., 3] == 255).all()
    back = load_image(out)
    assert back.format == "ORA" and np.array_equal(back.pixels, doc.image)
    assert np.array_equal(back.mask, doc.mask) and np.array_equal(load_mask(out), doc.mask)


def test_the_fill_layers_alone_rebuild_the_image(tmp_path, photo):
    doc = _edited_document(photo)
    out = save_document_ora(tmp_path / "work.ora", doc.image, doc.mask, doc.history.steps)
    rebuilt = tmp_path / "rebuilt.ora"              # without the merged image ArtStudio composites itself
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(rebuilt, "w") as dst:
        for name in src.namelist():
            if name != "mergedimage.png":
                dst.writestr(src.getinfo(name), src.read(name))
    assert np.array_equal(load_image(rebuilt).pixels, doc.image)


def test_undone_steps_are_not_layers_and_a_resize_starts_afresh(tmp_path, photo):
    doc = _edited_document(photo)
    doc.undo()                                        # the clone is undone: not in the file
    out = save_document_ora(tmp_path / "a.ora", doc.image, doc.mask, doc.history.steps)
    assert [n.get("name") for n in _stack(out).iter("layer")] == ["mask", "Fill (telea)", "photo"]
    big = np.repeat(np.repeat(doc.image, 2, 0), 2, 1)
    doc.replace_all(big, np.repeat(np.repeat(doc.mask, 2, 0), 2, 1), "Upscale ×2")
    out = save_document_ora(tmp_path / "b.ora", doc.image, doc.mask, doc.history.steps)
    layers = _layers(out)
    assert list(layers) == ["mask", "photo"] and np.array_equal(layers["photo"][0][..., :3], big)


def test_another_programs_file_opens_as_composite_and_mask_layer(tmp_path):
    composite, mask = _foreign_ora(tmp_path / "krita.ora")
    loaded = load_image(tmp_path / "krita.ora")
    assert loaded.pixels.shape == (30, 40, 3)                     # opaque: RGB, like any photo
    assert np.array_equal(loaded.pixels, composite) and np.array_equal(loaded.mask, mask)


def test_a_visible_mask_layer_is_left_out_of_the_photo(tmp_path):
    composite, mask = _foreign_ora(tmp_path / "shown.ora", mask_visible=True)
    loaded = load_image(tmp_path / "shown.ora")
    hidden, _ = _foreign_ora(tmp_path / "hidden.ora")
    assert np.array_equal(loaded.pixels, hidden)                  # the mask's white is not in the photo
    assert np.array_equal(loaded.mask, mask)


def test_a_file_without_merged_image_is_composited_with_offsets_groups_and_opacity(tmp_path):
    group = '<stack name="half" opacity="0.5"><layer name="red" src="data/b.png" x="0" y="0"/></stack>'
    composite, _ = _foreign_ora(tmp_path / "a.ora", merged=False)
    assert np.array_equal(load_image(tmp_path / "a.ora").pixels, composite)
    _foreign_ora(tmp_path / "b.ora", merged=False, extra_stack=group)
    pixels = load_image(tmp_path / "b.ora").pixels
    assert np.array_equal(pixels[0, 0], (10, 120, 200))           # half of the same colour over it
    assert np.array_equal(pixels[6, 22], (130, 185, 100))         # half blue over the yellow stroke


def test_an_ora_photos_own_layers_are_written_back_under_the_fill(tmp_path):
    source = tmp_path / "krita.ora"
    _foreign_ora(source)
    loaded = load_image(source)
    after = loaded.pixels.copy()
    after[20:25, 5:15] = 0
    new_mask = np.zeros_like(loaded.mask)
    new_mask[20:25, 5:15] = 255
    out = save_result_ora(tmp_path / "out.ora", loaded.pixels, after, new_mask, "Fill (ns)", loaded.layers)
    root = _stack(out)
    assert [n.get("name") for n in root.iter("layer")] == ["mask", "Fill (ns)", "stroke", "background"]
    assert [s.get("name") for s in root.iter("stack")][1:] == ["paint"]          # the group survives
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(out) as b:
        srcs = {n.get("name"): n.get("src") for n in root.iter("layer")}
        assert b.read(srcs["stroke"]) == a.read("data/s.png")                     # byte for byte
    back = load_image(out)
    assert np.array_equal(back.pixels, after) and np.array_equal(back.mask, new_mask)


def test_a_one_layer_ora_is_what_save_image_writes(tmp_path, photo):
    out = save_image(tmp_path / "flat.ora", photo)
    assert [n.get("name") for n in _stack(out).iter("layer")] == ["photo"]
    assert np.array_equal(load_image(out).pixels, photo) and load_image(out).mask is None


# -- the command line ---------------------------------------------------------------------------

def test_cli_restore_to_ora_keeps_photo_fill_and_mask_layers(tmp_path, photo, scratch):
    src, mask, out, flat = tmp_path / "in.png", tmp_path / "m.png", tmp_path / "out.ora", tmp_path / "out.png"
    save_image(src, photo)
    save_mask(mask, scratch)
    assert run_cli("restore", src, "--mask", mask, "-o", out, "--method", "telea", "-q") == 0
    assert run_cli("restore", src, "--mask", mask, "-o", flat, "--method", "telea", "-q") == 0
    layers = _layers(out)
    assert list(layers) == ["mask", TELEA, "photo"]
    assert np.array_equal(layers["photo"][0][..., :3], photo)
    assert np.array_equal(layers["mask"][0][..., 3], scratch)
    assert np.array_equal(load_image(out).pixels, load_image(flat).pixels)


def test_cli_restore_of_an_ora_takes_its_mask_layer(tmp_path):
    source = tmp_path / "krita.ora"
    composite, mask = _foreign_ora(source)
    out = tmp_path / "out.png"
    assert run_cli("restore", source, "-o", out, "--method", "telea", "-q") == 0
    result = load_image(out).pixels
    assert np.array_equal(result[mask == 0], composite[mask == 0])        # outside the mask: untouched
    assert not np.array_equal(result[mask > 0], composite[mask > 0])
    again = tmp_path / "again.ora"
    assert run_cli("restore", source, "-o", again, "--method", "telea", "-q") == 0
    assert [n.get("name") for n in _stack(again).iter("layer")] == ["mask", TELEA, "stroke", "background"]


def test_cli_ora_without_a_mask_layer_is_one_line(tmp_path, capsys, photo):
    source = save_image(tmp_path / "flat.ora", photo)
    assert run_cli("restore", source, "-o", tmp_path / "out.png", "--method", "telea") == 1
    assert "no layer named 'mask'" in one_error_line(capsys)
    assert not (tmp_path / "out.png").exists()


# -- a real Krita, headless -------------------------------------------------------------------------

def _interop():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import ora_interop

    return ora_interop


@pytest.mark.timeout(400)
def test_krita_opens_our_layers_and_we_open_kritas_file(tmp_path):
    interop = _interop()
    exe = interop.krita()
    if exe is None:
        pytest.skip("Krita is not installed (apt-get install krita); Debian 12's GIMP has no OpenRaster plug-in")
    seen = interop.run_checks(tmp_path, exe)
    assert seen["krita_layers"] == [("mask", "hidden"), ("Clone", "visible"), ("Fill (telea)", "visible"),
                                    ("photo", "visible")]
    assert seen["krita_render_equal"]                 # Krita draws our layers into our image exactly
    assert seen["reopened_format"] == "ORA" and seen["reopened_image_equal"] and seen["reopened_mask_equal"]


def test_sampling_areas_are_hidden_layers_that_come_back(tmp_path, photo):
    doc = _edited_document(photo)
    sample_from, sample_never = np.zeros_like(doc.mask), np.zeros_like(doc.mask)
    sample_from[:20, :30] = 255
    sample_never[50:70, 60:90] = 180
    out = save_document_ora(tmp_path / "work.ora", doc.image, doc.mask, doc.history.steps,
                            sampling={"sample_from": sample_from, "sample_never": sample_never})
    names = [n.get("name") for n in _stack(out).iter("layer")]
    assert names == ["sample_from", "sample_never", "mask", "Clone", "Fill (telea)", "photo"]
    layers = _layers(out)
    assert layers["sample_never"][3] == "hidden" and np.array_equal(layers["sample_never"][0][..., 3], sample_never)
    back = load_image(out)
    assert np.array_equal(back.pixels, doc.image) and np.array_equal(back.mask, doc.mask)
    assert np.array_equal(back.sampling["sample_from"], sample_from)
    assert np.array_equal(back.sampling["sample_never"], sample_never)
    # Written again from what was read: the areas are ours, not the file's own layers to keep.
    again = save_document_ora(tmp_path / "again.ora", back.pixels, back.mask, ((), ()), back.layers, back.sampling)
    assert [n.get("name") for n in _stack(again).iter("layer")].count("sample_never") == 1
    empty = save_document_ora(tmp_path / "plain.ora", doc.image, doc.mask, doc.history.steps,
                              sampling={"sample_from": np.zeros_like(doc.mask), "sample_never": None})
    assert "sample_from" not in [n.get("name") for n in _stack(empty).iter("layer")]
    assert load_image(empty).sampling == {}


def test_the_window_saves_and_reopens_the_sampling_areas_in_an_ora(qtbot, tmp_path, photo, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from artstudio.ui import app as app_module
    from artstudio.ui import file_ops

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    src = tmp_path / "in.png"
    save_image(src, photo)
    window = app_module.create_window()
    qtbot.addWidget(window)
    window.open_path(src, wait=True)
    doc = window.restore.document
    doc.sample_never[10:40, 10:40] = 255
    out = tmp_path / "work.ora"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    assert file_ops.save_as(window)
    assert "the mask and the sampling areas as layers" in window.status.currentMessage()
    window.open_path(out, wait=True)
    back = window.restore.document
    assert back is not doc and np.array_equal(back.sample_never, doc.sample_never) and not back.sample_from.any()
    window._close_confirmed = True
    window.close()
