"""Tests for artstudio.core.imageio: every test image is made here."""

from __future__ import annotations

import os
import struct
import sys
import time
import warnings
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from artstudio.core import imageio
from artstudio.core.imageio import (
    MAX_PIXELS, READ_EXTENSIONS, WRITE_EXTENSIONS, ImageError, LoadedImage,
    load_image, load_mask, save_image, save_mask)


# ---------------------------------------------------------------- helpers

def _rgb(h=24, w=32, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), np.uint8)


def _rgba(h=24, w=32, seed=0):
    px = np.random.default_rng(seed).integers(0, 256, (h, w, 4), np.uint8)
    px[0, 0, 3] = 0
    px[0, 1, 3] = 255
    return px


def _smooth(h=48, w=64):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1),
                     (x + y) * 255 // (w + h - 2)], -1).astype(np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def _png16(arr: np.ndarray, color_type: int, extra: bytes = b"") -> bytes:
    """A 16-bit PNG by hand; Pillow cannot write 16-bit grey+alpha or EXIF."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\0" + arr[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra
            + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))


def _exif_chunk(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _chunk(b"eXIf", exif.tobytes()[6:])  # PNG wants no "Exif\0\0"


def _assert_user_error(excinfo, name: str) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and name in message, message
    return message


# ------------------------------------------------------------- round trips

@pytest.mark.parametrize("ext, fmt", [(".png", "PNG"), (".tif", "TIFF"),
                                      (".TIFF", "TIFF"), (".webp", "WEBP")])
@pytest.mark.parametrize("make", [_rgb, _rgba], ids=["rgb", "rgba"])
def test_lossless_round_trip_is_exact(tmp_path, ext, fmt, make):
    px = make()
    out = save_image(tmp_path / f"pic{ext}", px, quality=100)
    assert out == tmp_path / f"pic{ext}"
    loaded = load_image(out)
    assert isinstance(loaded, LoadedImage)
    assert loaded.format == fmt and loaded.bit_depth == 8
    assert loaded.has_alpha == (px.shape[2] == 4)
    assert loaded.size == (32, 24)
    np.testing.assert_array_equal(loaded.pixels, px)
    assert loaded.pixels.flags.c_contiguous and loaded.pixels.flags.writeable


def test_bmp_is_read_exactly(tmp_path):
    px = _rgb()
    Image.fromarray(px).save(tmp_path / "old.bmp")
    loaded = load_image(tmp_path / "old.bmp")
    assert loaded.format == "BMP"
    np.testing.assert_array_equal(loaded.pixels, px)


def test_jpeg_round_trip_is_close_and_quality_matters(tmp_path):
    px = _smooth()
    good = save_image(tmp_path / "a.jpg", px, quality=95)
    rough = save_image(tmp_path / "b.JPEG", px, quality=20)
    loaded = load_image(good)
    assert loaded.format == "JPEG" and loaded.pixels.shape == px.shape
    assert np.abs(loaded.pixels.astype(int) - px).mean() < 2
    assert rough.stat().st_size < good.stat().st_size


def test_jpeg_flattens_alpha_over_white(tmp_path):
    px = np.zeros((16, 16, 4), np.uint8)  # black, fully transparent
    px[:, 8:, 3] = 255  # right half: opaque black
    loaded = load_image(save_image(tmp_path / "a.jpg", px))
    assert not loaded.has_alpha
    assert loaded.pixels[:, :6].min() > 245  # transparent -> white
    assert loaded.pixels[:, 10:].max() < 10


def test_unknown_extension_with_valid_content_loads(tmp_path):
    px = _rgb()
    Image.fromarray(px).save(tmp_path / "scan.dat", format="PNG")
    np.testing.assert_array_equal(load_image(tmp_path / "scan.dat").pixels, px)


def test_extension_lists():
    assert set(WRITE_EXTENSIONS) < set(READ_EXTENSIONS)
    assert ".bmp" in READ_EXTENSIONS and ".bmp" not in WRITE_EXTENSIONS
    assert MAX_PIXELS == 250_000_000


# ---------------------------------------------------------- colour modes

def test_greyscale_becomes_rgb(tmp_path):
    grey = np.arange(256, dtype=np.uint8).reshape(16, 16)
    Image.fromarray(grey).save(tmp_path / "g.png")
    px = load_image(tmp_path / "g.png").pixels
    assert px.shape == (16, 16, 3)
    for c in range(3):
        np.testing.assert_array_equal(px[..., c], grey)


def test_greyscale_alpha_becomes_rgba(tmp_path):
    la = np.stack([np.full((8, 8), 90, np.uint8),
                   np.arange(64, dtype=np.uint8).reshape(8, 8) * 4], -1)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    px = load_image(tmp_path / "la.png").pixels
    assert px.shape == (8, 8, 4)
    assert (px[..., :3] == 90).all()
    np.testing.assert_array_equal(px[..., 3], la[..., 1])


def test_palette_with_transparency_becomes_rgba(tmp_path):
    im = Image.new("P", (4, 4), 1)
    im.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    im.putpixel((0, 0), 0)
    im.save(tmp_path / "p.png", transparency=0)
    px = load_image(tmp_path / "p.png").pixels
    assert px.shape == (4, 4, 4)
    assert px[0, 0, 3] == 0 and px[1, 1].tolist() == [0, 255, 0, 255]


def test_palette_without_transparency_is_rgb(tmp_path):
    # (was a GIF; GIF is not a promised format, a palette PNG is)
    Image.new("P", (4, 4), 0).save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").pixels.shape == (4, 4, 3)


def test_cmyk_becomes_rgb(tmp_path):
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    loaded = load_image(tmp_path / "c.jpg")
    assert loaded.pixels.shape == (8, 8, 3)
    r, g, b = loaded.pixels[4, 4].astype(int)
    assert r > 200 and g < 60 and b < 60  # pure red ink stays red


# ------------------------------------------------------- EXIF orientation

def test_jpeg_exif_orientation_6_is_applied(tmp_path):
    px = np.full((20, 40, 3), 128, np.uint8)  # stored landscape
    px[:5, :5] = (255, 0, 0)  # red marker, stored top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(px).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    shown = load_image(tmp_path / "phone.jpg").pixels
    assert shown.shape == (40, 20, 3)  # displayed portrait
    assert shown[1, 18, 0] > 200 and shown[1, 18, 1] < 60  # now top-right
    assert shown[1, 1, 0] < 160 and shown[38, 1, 0] < 160


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_pillow(tmp_path, orientation):
    px = _rgb(6, 10, seed=orientation)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(px).save(tmp_path / "o.png", exif=exif)
    with Image.open(tmp_path / "o.png") as im:
        expected = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    np.testing.assert_array_equal(load_image(tmp_path / "o.png").pixels,
                                  expected)


def test_sixteen_bit_png_gets_orientation_too(tmp_path):
    grey = (np.arange(6, dtype=np.uint16).reshape(2, 3) * 13107)  # 0..65535
    (tmp_path / "o16.png").write_bytes(_png16(grey, 0, _exif_chunk(6)))
    loaded = load_image(tmp_path / "o16.png")
    assert loaded.bit_depth == 16 and loaded.size == (2, 3)
    np.testing.assert_array_equal(loaded.pixels[..., 0],
                                  np.rot90(grey // 257, -1))


# ------------------------------------------------------------ 16-bit input

def test_sixteen_bit_grey_png_every_value_rounds_correctly(tmp_path):
    values = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    assert cv2.imwrite(str(tmp_path / "g16.png"), values)
    loaded = load_image(tmp_path / "g16.png")
    assert loaded.bit_depth == 16 and loaded.format == "PNG"
    expected = np.round(values / 257).astype(np.uint8)
    for c in range(3):
        np.testing.assert_array_equal(loaded.pixels[..., c], expected)
    # Pillow's own I;16 -> L conversion would have made these white.
    assert loaded.pixels[128, 0, 0] == 128  # 32768
    assert loaded.pixels[255, 255, 0] == 255  # 65535


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_sixteen_bit_rgb_scaled_and_channels_in_order(tmp_path, ext):
    ramp = np.linspace(0, 65535, 300).astype(np.uint16)
    rgb = np.stack([ramp, np.full_like(ramp, 32768), ramp[::-1]], -1)
    rgb = np.repeat(rgb[None], 4, axis=0)  # 4 x 300 x 3
    assert cv2.imwrite(str(tmp_path / f"c{ext}"), rgb[..., ::-1])  # BGR
    loaded = load_image(tmp_path / f"c{ext}")
    assert loaded.bit_depth == 16 and loaded.pixels.shape == (4, 300, 3)
    red, green, blue = (loaded.pixels[0, :, c].astype(int) for c in range(3))
    assert (green == 128).all()  # mid-grey, not clipped white
    assert red[0] == 0 and red[-1] == 255 and blue[0] == 255
    assert (np.diff(red) >= 0).all() and (np.diff(blue) <= 0).all()
    assert len(np.unique(red)) == 256  # no banding from a wrong scale
    np.testing.assert_array_equal(red, np.round(ramp / 257))


def test_sixteen_bit_grey_tiff_and_rgba_png(tmp_path):
    grey = np.array([[0, 257, 32768, 65535]], np.uint16)
    assert cv2.imwrite(str(tmp_path / "g.tiff"), grey)
    loaded = load_image(tmp_path / "g.tiff")
    assert loaded.bit_depth == 16 and loaded.format == "TIFF"
    assert loaded.pixels[0, :, 1].tolist() == [0, 1, 128, 255]

    rgba = np.stack([grey, grey, grey, grey[:, ::-1]], -1)
    assert cv2.imwrite(str(tmp_path / "a.png"), rgba)
    loaded = load_image(tmp_path / "a.png")
    assert loaded.has_alpha and loaded.bit_depth == 16
    assert loaded.pixels[0, :, 3].tolist() == [255, 128, 1, 0]


def test_sixteen_bit_grey_alpha_png(tmp_path):
    grey = np.array([[0, 257, 32768, 65535]], np.uint16)
    la = np.stack([grey, grey[:, ::-1]], -1)
    (tmp_path / "la16.png").write_bytes(_png16(la, 4))
    loaded = load_image(tmp_path / "la16.png")
    assert loaded.has_alpha and loaded.bit_depth == 16
    assert loaded.pixels[0].tolist() == [
        [0, 0, 0, 255], [1, 1, 1, 128], [128, 128, 128, 1], [255, 255, 255, 0]]


# ------------------------------------------------------- size limits

def _bomb(path, side=20000):
    # A valid 1-bit PNG: ~50 kB on disk, 400 megapixels decoded.
    rows = bytes(side * (side // 8 + 1))
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(rows, 1)) + _chunk(b"IEND", b""))
    return path


# Pillow warns about the same file just before our check refuses it.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_bomb_refused_before_decoding(tmp_path):
    _bomb(tmp_path / "bomb.png")
    start = time.perf_counter()
    with pytest.raises(ImageError) as excinfo:
        load_image(tmp_path / "bomb.png")
    assert time.perf_counter() - start < 0.5
    message = _assert_user_error(excinfo, "bomb.png")
    assert "20000x20000 pixels" in message and "250-megapixel" in message


def test_bomb_refused_cleanly_when_warnings_are_errors(tmp_path):
    _bomb(tmp_path / "bomb.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageError) as excinfo:
            load_image(tmp_path / "bomb.png")
    assert "pixels" in _assert_user_error(excinfo, "bomb.png")


def test_lower_pixel_limit_is_honoured(tmp_path):
    save_image(tmp_path / "s.png", _rgb(100, 100))
    with pytest.raises(ImageError, match="100x100 pixels is larger than the "
                                         "5,000-pixel limit"):
        load_image(tmp_path / "s.png", max_pixels=5000)
    with pytest.raises(ImageError, match="limit"):
        load_mask(tmp_path / "s.png", max_pixels=5000)
    assert load_image(tmp_path / "s.png", max_pixels=10_000).size == (100, 100)


def test_pillow_bomb_error_becomes_image_error(tmp_path):
    # Beyond twice Pillow's limit it raises on open; a header is enough.
    ihdr = struct.pack(">IIBBBBB", 40000, 40000, 1, 0, 0, 0, 0)
    (tmp_path / "huge.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b""))
    with pytest.raises(ImageError) as excinfo:
        load_image(tmp_path / "huge.png", max_pixels=10**10)
    _assert_user_error(excinfo, "huge.png")


# -------------------------------------------------------- bad input files

def _truncated(tmp_path, name, px, **kw):
    Image.fromarray(px).save(tmp_path / "full", format=kw.pop("format"), **kw)
    data = (tmp_path / "full").read_bytes()
    (tmp_path / name).write_bytes(data[: len(data) // 2])
    return tmp_path / name


@pytest.mark.parametrize("case", [
    "random", "text", "empty", "trunc_jpg", "trunc_png", "trunc_png16"])
def test_bad_files_give_one_line_errors(tmp_path, case):
    rng = np.random.default_rng(1)
    if case == "random":
        path = tmp_path / "scan.png"
        path.write_bytes(rng.integers(0, 256, 5000, np.uint8).tobytes())
    elif case == "text":
        path = tmp_path / "notes.jpg"
        path.write_text("not an image\n" * 50)
    elif case == "empty":
        path = tmp_path / "empty.png"
        path.write_bytes(b"")
    elif case == "trunc_jpg":
        path = _truncated(tmp_path, "cut.jpg", _rgb(200, 200), format="JPEG")
    elif case == "trunc_png":
        path = _truncated(tmp_path, "cut.png", _rgb(200, 200), format="PNG")
    else:
        assert cv2.imwrite(str(tmp_path / "full.png"),
                           rng.integers(0, 65536, (200, 200, 3), np.uint16))
        data = (tmp_path / "full.png").read_bytes()
        path = tmp_path / "cut16.png"
        path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    message = _assert_user_error(excinfo, path.name)
    assert message.startswith(f"Cannot open '{path.name}'")
    if case == "empty":
        assert "empty" in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError) as excinfo:
        load_image(tmp_path / "x.png")
    assert str(excinfo.value) == "File not found: 'x.png'"
    (tmp_path / "album.png").mkdir()
    with pytest.raises(ImageError) as excinfo:
        load_image(tmp_path / "album.png")
    assert "folder" in _assert_user_error(excinfo, "album.png")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a non-root user")
def test_unreadable_file(tmp_path):
    path = save_image(tmp_path / "secret.png", _rgb())
    path.chmod(0)
    with pytest.raises(ImageError, match="'secret.png': permission denied"):
        load_image(path)


# ---------------------------------------------------------------- saving

def test_failed_save_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = save_image(tmp_path / "work.png", _rgb())
    before = target.read_bytes()

    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"half an image")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(ImageError) as excinfo:
        save_image(target, _rgb(seed=5))
    assert "disk is full" in _assert_user_error(excinfo, "work.png")
    with pytest.raises(ImageError):
        save_mask(tmp_path / "new_mask.png", np.zeros((4, 4), np.uint8))
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["work.png"]


def test_save_replaces_existing_file(tmp_path):
    save_image(tmp_path / "a.png", _rgb(seed=1))
    save_image(tmp_path / "a.png", _rgb(seed=2))
    np.testing.assert_array_equal(load_image(tmp_path / "a.png").pixels,
                                  _rgb(seed=2))
    assert os.listdir(tmp_path) == ["a.png"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_saved_file_permissions_are_normal(tmp_path):
    umask = os.umask(0o022)
    try:
        new = save_image(tmp_path / "new.png", _rgb())
        assert new.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
        new.chmod(0o640)
        save_image(new, _rgb(seed=3))
        assert new.stat().st_mode & 0o777 == 0o640  # overwrite keeps mode
    finally:
        os.umask(umask)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need admin")
def test_save_through_symlink_keeps_the_link(tmp_path):
    real = save_image(tmp_path / "real.png", _rgb(seed=1))
    (tmp_path / "link.png").symlink_to(real)
    save_image(tmp_path / "link.png", _rgb(seed=2))
    assert (tmp_path / "link.png").is_symlink()
    np.testing.assert_array_equal(load_image(real).pixels, _rgb(seed=2))


@pytest.mark.parametrize("name", ["a.gif", "a.bmp", "noext"])
def test_unsupported_save_extension(tmp_path, name):
    with pytest.raises(ImageError) as excinfo:
        save_image(tmp_path / name, _rgb())
    message = _assert_user_error(excinfo, name)
    assert ".png" in message and ".webp" in message
    assert not (tmp_path / name).exists()


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(ImageError, match="'a.png': the folder .* does not"):
        save_image(tmp_path / "nope" / "a.png", _rgb())


@pytest.mark.parametrize("bad", [
    np.zeros((4, 4), np.uint8), np.zeros((4, 4, 2), np.uint8),
    np.zeros((4, 4, 3), np.float32), np.zeros((0, 4, 3), np.uint8)])
def test_save_image_rejects_bad_arrays(tmp_path, bad):
    with pytest.raises(ValueError):
        save_image(tmp_path / "a.png", bad)


def test_webp_lossy_is_close(tmp_path):
    px = _smooth()
    loaded = load_image(save_image(tmp_path / "a.webp", px, quality=90))
    assert np.abs(loaded.pixels.astype(int) - px).mean() < 4


# ------------------------------------------------------------------ masks

def test_mask_round_trip_is_8bit_grey_png(tmp_path):
    mask = np.zeros((30, 40), np.uint8)
    mask[5:10, 5:20] = 255
    path = save_mask(tmp_path / "m.PNG", mask)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.mode == "L"
    out = load_mask(path, (40, 30))
    assert out.dtype == np.uint8 and out.shape == (30, 40)
    np.testing.assert_array_equal(out, mask)


def test_save_mask_requires_png(tmp_path):
    with pytest.raises(ImageError) as excinfo:
        save_mask(tmp_path / "m.jpg", np.zeros((4, 4), np.uint8))
    assert ".png" in _assert_user_error(excinfo, "m.jpg")
    with pytest.raises(ValueError):
        save_mask(tmp_path / "m.png", np.zeros((4, 4, 3), np.uint8))


def test_mask_size_mismatch_message(tmp_path):
    save_mask(tmp_path / "m.png", np.zeros((480, 640), np.uint8))
    with pytest.raises(ImageError) as excinfo:
        load_mask(tmp_path / "m.png", (800, 600))
    assert str(excinfo.value) == (
        "Mask 'm.png' is 640x480 but the image is 800x600.")


def test_mask_uses_alpha_when_present_else_luminance(tmp_path):
    px = np.zeros((4, 4, 4), np.uint8)
    px[..., :3] = 200  # bright colour that must be ignored
    px[..., 3] = 255
    px[1, 1, 3] = 0
    Image.fromarray(px).save(tmp_path / "alpha.png")
    assert load_mask(tmp_path / "alpha.png")[1, 1] == 0
    assert load_mask(tmp_path / "alpha.png")[0, 0] == 255

    px[..., 3] = 255  # fully opaque: alpha says nothing, use the colours
    px[2, 2, :3] = (255, 0, 0)
    Image.fromarray(px).save(tmp_path / "opaque.png")
    mask = load_mask(tmp_path / "opaque.png")
    assert mask[0, 0] == 200 and mask[2, 2] == 76  # 0.299 * 255


def test_mask_from_missing_file(tmp_path):
    with pytest.raises(ImageError, match="File not found: 'm.png'"):
        load_mask(tmp_path / "m.png")


def test_module_leaves_pillow_truncation_strict():
    from PIL import ImageFile
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert Image.MAX_IMAGE_PIXELS >= imageio.MAX_PIXELS
