"""Files from outside are hostile: only the promised decoders may see them.

Pillow, left to itself, picks a decoder from the file's content. A PostScript
file named ``scan.jpg`` then reaches the system Ghostscript, which can write
files; a few bytes of EPS can ask for gigapixels. These tests hold the door
shut for every way a file gets in: photos, masks, recipes and training folders.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from artstudio.core import decode, imageio
from artstudio.core.dataset import scan_images
from artstudio.core.imageio import DECODERS, ImageError, load_image, load_mask
from artstudio.core.latent_state import LatentFileError
from artstudio.core.recipe import RECIPE_KEY, read_recipe

# A page that, under Ghostscript, would write a file of its choosing.
POSTSCRIPT = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 15000 15000\n"
              b"(/tmp/artstudio-pwned) (w) file closefile\nshowpage\n")


def _one_line(excinfo, name):
    message = str(excinfo.value)
    assert "\n" not in message and name in message, message
    return message


@pytest.mark.parametrize("name", ["scan.jpg", "scan.png", "scan.tif", "scan.eps"])
def test_postscript_never_reaches_ghostscript(tmp_path, no_ghostscript, name):
    path = tmp_path / name
    path.write_bytes(POSTSCRIPT)
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    message = _one_line(excinfo, name)
    assert "PNG, JPEG, TIFF, WebP, BMP or OpenRaster" in message
    assert no_ghostscript == []


def test_postscript_mask_is_refused_too(tmp_path, no_ghostscript):
    path = tmp_path / "mask.png"
    path.write_bytes(POSTSCRIPT)
    with pytest.raises(ImageError):
        load_mask(path)
    assert no_ghostscript == []


def test_postscript_dropped_as_a_recipe_is_refused(tmp_path, no_ghostscript):
    path = tmp_path / "face.png"
    path.write_bytes(POSTSCRIPT)
    with pytest.raises(LatentFileError) as excinfo:
        read_recipe(path)
    _one_line(excinfo, "face.png")
    assert no_ghostscript == []


# Formats Pillow can decode but the README never promised; each is written
# under a promised extension, as an attacker (or a confused export) would.
UNPROMISED = ["GIF", "ICO", "PPM", "PCX", "TGA", "SGI", "XBM", "DDS"]


@pytest.mark.parametrize("fmt", UNPROMISED)
def test_unpromised_formats_are_refused_whatever_the_name(tmp_path, fmt):
    mode = "1" if fmt == "XBM" else ("RGBA" if fmt == "DDS" else "RGB")
    source = tmp_path / "made"
    Image.new(mode, (16, 16), 1 if mode == "1" else (200, 40, 40)).save(source, format=fmt)
    path = tmp_path / "photo.jpg"
    path.write_bytes(source.read_bytes())
    with Image.open(path) as im:           # Pillow alone would have opened it
        assert im.format == fmt
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    _one_line(excinfo, "photo.jpg")
    if fmt in ("GIF", "ICO", "DDS"):         # recognised from their first bytes: named, not "damaged"
        assert "damaged" not in str(excinfo.value) and "which ArtStudio does not open" in str(excinfo.value)


def test_a_valid_pdf_is_called_unsupported_not_damaged(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    _one_line(excinfo, "scan.pdf")
    assert "a PDF document" in str(excinfo.value) and "damaged" not in str(excinfo.value)


@pytest.mark.parametrize("fmt, ext", [("PNG", ".png"), ("JPEG", ".jpg"), ("TIFF", ".tif"),
                                      ("WEBP", ".webp"), ("BMP", ".bmp")])
def test_every_promised_format_still_opens(tmp_path, fmt, ext):
    path = tmp_path / f"ok{ext}"
    Image.new("RGB", (20, 12), (10, 120, 230)).save(path, format=fmt)
    loaded = load_image(path)
    assert loaded.format == fmt and loaded.size == (20, 12)
    assert fmt in DECODERS


def test_training_folders_skip_hostile_files(tmp_path, no_ghostscript):
    (tmp_path / "a.png").write_bytes(POSTSCRIPT)
    Image.new("RGB", (8, 8)).save(tmp_path / "b.png")
    files = scan_images(tmp_path)
    loaded, refused = [], []
    for path in files:
        try:
            loaded.append(load_image(path).path.name)
        except ImageError:
            refused.append(path.name)
    assert (loaded, refused) == (["b.png"], ["a.png"])
    assert no_ghostscript == []


def test_deeply_nested_recipe_is_one_line_not_recursion_error(tmp_path):
    path = tmp_path / "deep.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt(RECIPE_KEY, "[" * 100_000 + "]" * 100_000, zip=True)
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path, pnginfo=info)
    with pytest.raises(LatentFileError) as excinfo:
        read_recipe(path)
    assert "damaged" in _one_line(excinfo, "deep.png")


def test_no_image_is_opened_without_an_explicit_decoder_list():
    """Closes the class: a new ``Image.open`` must name its decoders."""
    root = Path(imageio.__file__).resolve().parents[1]
    offenders = []
    for source in root.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for match in re.finditer(r"Image\.open\(", text):
            depth, end = 1, match.end()
            while depth and end < len(text):      # to the matching ")": arguments nest, e.g. io.BytesIO(data)
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            if "formats=" not in text[match.end():end]:
                offenders.append(f"{source.relative_to(root)}: {text[match.start():end]}")
    assert offenders == []


# -- damaged PNGs are refused, not zero-padded (issue 16 D6) ------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(width, height, rows: bytes, colour=2, depth=8, interlace=0) -> bytes:
    import struct
    import zlib
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows))
            + _chunk(b"IEND", b""))


def test_png_whose_header_lies_about_its_height_is_refused(tmp_path):
    path = tmp_path / "tall_lie.png"      # 24 rows of data, a header claiming 2,000,000
    path.write_bytes(_png(32, 2_000_000, (b"\0" + bytes(96)) * 24))
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    assert "incomplete" in _one_line(excinfo, "tall_lie.png")


def test_interlaced_png_with_all_its_data_opens(tmp_path):
    # Adam7 passes of a 10x7 RGB image, every filter byte 0: the exact size the check expects.
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    rows = b"".join((b"\0" + bytes(3 * -(-(10 - x) // dx))) * -(-(7 - y) // dy) for x, y, dx, dy in passes)
    (tmp_path / "i.png").write_bytes(_png(10, 7, rows, interlace=1))
    assert load_image(tmp_path / "i.png").size == (10, 7)
    (tmp_path / "cut.png").write_bytes(_png(10, 7, rows[:-5], interlace=1))
    with pytest.raises(ImageError):
        load_image(tmp_path / "cut.png")


@pytest.mark.parametrize("mode, bits", [("RGB", None), ("RGBA", None), ("L", None), ("LA", None),
                                        ("P", 1), ("P", 2), ("P", 4), ("P", None), ("I;16", None), ("1", None)])
def test_every_kind_of_sound_png_still_opens(tmp_path, mode, bits):
    rng = np.random.default_rng(3)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65535, (37, 53), np.uint16))
    else:
        image = Image.fromarray(rng.integers(0, 255, (37, 53, 3), np.uint8)).convert(mode)
    options = {"bits": bits} if bits else {}
    image.save(tmp_path / "ok.png", **options)
    assert load_image(tmp_path / "ok.png").size == (53, 37)


def test_big_png_in_many_data_chunks_opens(tmp_path):
    pixels = np.random.default_rng(4).integers(0, 255, (700, 900, 3), np.uint8)
    Image.fromarray(pixels).save(tmp_path / "big.png")
    assert np.array_equal(load_image(tmp_path / "big.png").pixels, pixels)


def test_decode_needing_more_memory_than_is_free_is_refused_first(tmp_path, monkeypatch):
    Image.new("RGB", (400, 300)).save(tmp_path / "scan.png")
    monkeypatch.setattr(decode, "available_memory", lambda: 100_000)
    with pytest.raises(ImageError) as excinfo:
        load_image(tmp_path / "scan.png")
    assert "GB of memory" in _one_line(excinfo, "scan.png")


# -- a killed save leaves nothing behind for long (issue 16 D12) --------------------------------

def test_next_save_removes_temporaries_of_killed_saves(tmp_path):
    import os
    import time

    from artstudio.core.imageio import save_image

    stale = tmp_path / ".out.png.0123abcd.tmp"       # what a save killed mid-write leaves
    stale.write_bytes(b"x" * 1000)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    in_flight = tmp_path / ".out.png.89abcdef.tmp"   # another save, still writing
    in_flight.write_bytes(b"y")
    unrelated = tmp_path / ".notes.txt.0123abcd.tmp"
    unrelated.write_bytes(b"z")
    os.utime(unrelated, (old, old))
    save_image(tmp_path / "out.png", np.zeros((8, 8, 3), np.uint8))
    assert not stale.exists()
    assert in_flight.exists() and unrelated.exists()
    assert (tmp_path / "out.png").is_file()


def test_floating_point_colour_tiff_opens_instead_of_being_called_damaged(tmp_path):
    import tifffile

    values = np.linspace(0, 1, 20 * 30 * 3, dtype=np.float32).reshape(20, 30, 3)
    tifffile.imwrite(tmp_path / "hdr.tif", values, photometric="rgb")
    loaded = load_image(tmp_path / "hdr.tif")
    assert loaded.size == (30, 20) and loaded.format == "TIFF"
    assert np.array_equal(loaded.pixels, np.rint(values * 255).astype(np.uint8))
    tifffile.imwrite(tmp_path / "huge.tif", np.zeros((300, 400, 3), np.float32), photometric="rgb")
    with pytest.raises(ImageError, match="larger than"):
        load_image(tmp_path / "huge.tif", max_pixels=1000)


# -- OpenRaster files are zips from outside (issue 15 "Interop") --------------------------------

def _layer_png(w=8, h=6) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.new("RGBA", (w, h), (200, 10, 10, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def _ora(path, layers='<layer name="paint" src="data/a.png"/>', files=None, w=8, h=6, mimetype="image/openraster",
         prolog=""):
    """A hand-made .ora: ``layers`` inside the top stack, ``files`` (name -> bytes) beside it."""
    import zipfile

    files = {"data/a.png": _layer_png(), "mergedimage.png": _layer_png()} if files is None else files
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        zf.writestr("stack.xml", f'{prolog}<image w="{w}" h="{h}"><stack>{layers}</stack></image>')
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _refused(path, *words):
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    message = _one_line(excinfo, path.name)
    assert all(word in message for word in words), message
    return message


def test_a_sound_hand_made_ora_opens(tmp_path):
    loaded = load_image(_ora(tmp_path / "ok.ora"))
    assert loaded.format == "ORA" and loaded.size == (8, 6) and loaded.mask is None


def test_ora_zip_bomb_is_refused_before_inflating(tmp_path, monkeypatch):
    import zipfile

    path = _ora(tmp_path / "bomb.ora", files={"data/a.png": _layer_png(), "data/zeros.png": bytes(8 << 20)})
    inflated = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: (inflated.append(getattr(name, "filename", name)),
                                                     real_open(self, name, *a, **k))[1])
    _refused(path, "zip bomb")
    assert "data/zeros.png" not in inflated


def test_ora_whose_zip_directory_lies_about_a_size_is_refused(tmp_path):
    import struct

    raw = bytearray(_ora(tmp_path / "lie.ora").read_bytes())
    entry = raw.index(b"PK\x01\x02")
    while entry >= 0:                                   # every central-directory entry claims 3.9 GB
        raw[entry + 24:entry + 28] = struct.pack("<I", 0xF0000000)
        entry = raw.find(b"PK\x01\x02", entry + 4)
    (tmp_path / "lie.ora").write_bytes(bytes(raw))
    _refused(tmp_path / "lie.ora", "too much to open safely")


@pytest.mark.parametrize("src", ["../../evil.png", "/etc/passwd", "data/../../evil.png", "C:/evil.png",
                                 "..\\evil.png"])
def test_ora_path_traversal_in_stack_xml_is_refused(tmp_path, src):
    folder = tmp_path / "deep" / "er"
    folder.mkdir(parents=True)
    path = _ora(folder / "trip.ora", layers=f'<layer name="x" src="{src}"/>',
                files={src: _layer_png(), "data/a.png": _layer_png()})
    _refused(path, "points outside the file")
    assert not (tmp_path / "evil.png").exists() and not (tmp_path / "deep" / "evil.png").exists()


def test_ora_with_a_huge_declared_canvas_is_refused_before_allocating(tmp_path):
    _refused(_ora(tmp_path / "huge.ora", w=200_000, h=200_000), "200000x200000", "megapixels")
    _refused(_ora(tmp_path / "zero.ora", w=0, h=5), "0x5")
    _refused(_ora(tmp_path / "word.ora", w="wide"), "no valid canvas size")


def test_ora_with_a_missing_layer_is_refused(tmp_path):
    path = _ora(tmp_path / "gap.ora", layers='<layer name="sky" src="data/sky.png"/>')
    _refused(path, "layer 'sky' is missing", "data/sky.png")


def test_ora_layer_that_is_not_a_png_never_reaches_ghostscript(tmp_path, no_ghostscript):
    path = _ora(tmp_path / "eps.ora", files={"data/a.png": POSTSCRIPT, "mergedimage.png": _layer_png()})
    _refused(path, "is not a PNG image")
    merged = _ora(tmp_path / "eps2.ora", files={"data/a.png": _layer_png(), "mergedimage.png": POSTSCRIPT})
    _refused(merged, "is not a PNG image")
    assert no_ghostscript == []


def test_ora_layer_png_that_lies_about_its_height_is_refused(tmp_path):
    liar = _png(32, 200_000, (b"\0" + bytes(96)) * 24)
    path = _ora(tmp_path / "tall.ora", files={"data/a.png": liar}, w=32, h=24)
    _refused(path, 'layer "paint"', "incomplete")
    giant = _png(32, 2_000_000, (b"\0" + bytes(96)) * 24)           # far larger than its canvas
    path = _ora(tmp_path / "giant.ora", files={"data/a.png": giant}, w=32, h=24)
    _refused(path, 'layer "paint"', "larger than the 16-megapixel limit")


def test_ora_stack_xml_with_entities_is_refused(tmp_path):
    bomb = '<!DOCTYPE image [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    _refused(_ora(tmp_path / "laughs.ora", prolog=bomb), "XML entities")


@pytest.mark.parametrize("case, words", [
    ("nested", ("nest deeper",)), ("many", ("more than 1000 layers",)), ("offset", ("far outside",)),
    ("opacity", ("not a number",)), ("no_src", ("names no image",)), ("xml", ("not valid XML",))])
def test_ora_stack_xml_out_of_bounds_is_one_line(tmp_path, case, words):
    layers = {"nested": "<stack>" * 40 + '<layer name="a" src="data/a.png"/>' + "</stack>" * 40,
              "many": '<layer name="a" src="data/a.png"/>' * 1001,
              "offset": '<layer name="a" src="data/a.png" x="99999999999"/>',
              "opacity": '<layer name="a" src="data/a.png" opacity="half"/>',
              "no_src": '<layer name="a"/>', "xml": "<layer"}[case]
    _refused(_ora(tmp_path / f"{case}.ora", layers=layers), *words)


def test_other_zips_are_named_not_called_damaged(tmp_path):
    _refused(_ora(tmp_path / "painting.ora", mimetype="application/x-krita"), "Krita document (.kra)",
             "export it as OpenRaster")
    import zipfile

    with zipfile.ZipFile(tmp_path / "notes.ora", "w") as zf:
        zf.writestr("readme.txt", "hello")
    _refused(tmp_path / "notes.ora", "zip archive, not an OpenRaster image")
    whole = _ora(tmp_path / "whole.ora").read_bytes()
    (tmp_path / "cut.ora").write_bytes(whole[:len(whole) // 2])
    _refused(tmp_path / "cut.ora", "damaged or incomplete")


def test_ora_with_thousands_of_files_is_refused_before_reading_them(tmp_path):
    files = {f"data/{i}.png": b"" for i in range(4100)}
    _refused(_ora(tmp_path / "swarm.ora", files=files), "4102 files")


def _tiff_with_height(path, claimed: int) -> None:
    """A sound 23x33 uncompressed TIFF whose ImageLength tag then claims ``claimed`` rows."""
    import struct

    Image.new("P", (23, 33), 7).save(path, format="TIFF")
    data = bytearray(path.read_bytes())
    assert data[:4] == b"II*\0"
    ifd = struct.unpack_from("<I", data, 4)[0]
    for index in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * index
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag == 257:
            struct.pack_into("<I" if kind == 4 else "<H", data, entry + 8, claimed)
    path.write_bytes(bytes(data))


def test_tiff_whose_header_lies_about_its_height_is_refused(tmp_path):
    # Found by benchmarks/fuzz_decode.py: 2.4 kB decoded to 290 MB of black rows in 3.7 s.
    path = tmp_path / "tall_lie.tif"
    _tiff_with_height(path, 60_000)
    _refused(path, "incomplete")


@pytest.mark.parametrize("layout", ["strips", "tiles", "planar", "lzw"])
def test_sound_tiffs_of_every_layout_still_open(tmp_path, layout):
    import tifffile

    pixels = np.random.default_rng(1).integers(0, 256, (70, 45, 3), dtype=np.uint8)
    path = tmp_path / f"{layout}.tif"
    if layout == "strips":
        tifffile.imwrite(path, pixels, rowsperstrip=8)
    elif layout == "tiles":
        tifffile.imwrite(path, pixels, tile=(16, 16))
    elif layout == "planar":
        tifffile.imwrite(path, np.moveaxis(pixels, -1, 0), planarconfig="separate", photometric="rgb")
    else:
        Image.fromarray(pixels).save(path, format="TIFF", compression="tiff_lzw")
    assert np.array_equal(load_image(path).pixels, pixels)
