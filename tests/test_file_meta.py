"""Saving keeps what the photo came with: format, JPEG quality, EXIF, ICC profile (issue 15 "Files").

IOPaint users complain that outputs balloon into PNGs and lose their camera
data; a JPEG opened and saved here stays a JPEG of the same quality and size.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageCms

from artstudio.core.file_meta import estimate_jpeg_quality
from artstudio.core.imageio import load_image, read_source_meta, save_image
from artstudio.core.save_places import can_save_in_place, is_bundled, start_folder, suggested_name

MAKE, MODEL, ORIENTATION, EXIF_IFD, TAKEN, GPS_IFD = 0x010F, 0x0110, 0x0112, 0x8769, 0x9003, 0x8825
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _photo(h=240, w=320, seed=0):
    """Smooth gradients with grain: compresses like a photo, not like noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 0.7, y * 0.9, (x + y) * 0.4 + 20], -1)
    return np.clip(base + rng.normal(0, 6, (h, w, 3)), 0, 255).astype(np.uint8)


def _camera_exif(orientation=1):
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "ArtCam", "Model 7", orientation
    exif.get_ifd(EXIF_IFD)[TAKEN] = "2020:01:02 03:04:05"
    return exif


def _camera_jpeg(path, quality=87, orientation=1, **extra):
    Image.fromarray(_photo()).save(path, quality=quality, exif=_camera_exif(orientation), icc_profile=SRGB,
                                   subsampling=2, **extra)
    return path


def _exif_of(path):
    with Image.open(path) as im:
        exif = im.getexif()
        return im.format, dict(exif), dict(exif.get_ifd(EXIF_IFD)), im.info.get("icc_profile")


def test_a_jpeg_opened_edited_and_saved_stays_a_jpeg_with_its_exif_profile_and_size(tmp_path):
    source = _camera_jpeg(tmp_path / "holiday.jpg")
    opened = load_image(source)
    edited = opened.pixels.copy()
    edited[10, 10] = (255, 0, 0)
    out = save_image(tmp_path / "holiday_restored.jpg", edited, meta=opened.meta)
    fmt, exif, sub, icc = _exif_of(out)
    assert fmt == "JPEG" and icc == SRGB
    assert exif[MAKE] == "ArtCam" and exif[MODEL] == "Model 7" and sub[TAKEN] == "2020:01:02 03:04:05"
    png = save_image(tmp_path / "as.png", edited)
    assert 0.8 < out.stat().st_size / source.stat().st_size < 1.25     # 18.3 kB -> 18.7 kB here
    assert out.stat().st_size * 4 < png.stat().st_size                   # the PNG IOPaint writes: 125 kB
    again = load_image(out)
    assert again.meta.jpeg_quality == 87
    assert np.abs(again.pixels.astype(int) - edited).mean() < 2.5


def test_the_source_quantisation_tables_are_reused_not_pillows_default(tmp_path):
    source = _camera_jpeg(tmp_path / "q60.jpg", quality=60)
    opened = load_image(source)
    out = save_image(tmp_path / "out.jpg", opened.pixels, meta=opened.meta)
    with Image.open(source) as a, Image.open(out) as b:
        assert {k: list(v) for k, v in a.quantization.items()} == {k: list(v) for k, v in b.quantization.items()}
    plain = save_image(tmp_path / "plain.jpg", opened.pixels)               # no meta: quality 95
    assert plain.stat().st_size > 1.5 * out.stat().st_size


def test_an_explicit_quality_wins_over_the_source(tmp_path):
    opened = load_image(_camera_jpeg(tmp_path / "q60.jpg", quality=60))
    out = save_image(tmp_path / "out.jpg", opened.pixels, meta=opened.meta, quality=95)
    assert load_image(out).meta.jpeg_quality == 95


def test_orientation_is_applied_once_and_written_as_upright(tmp_path):
    source = _camera_jpeg(tmp_path / "portrait.jpg", orientation=6)
    opened = load_image(source)
    assert opened.size == (240, 320)                    # turned upright on opening
    out = save_image(tmp_path / "out.jpg", opened.pixels, meta=opened.meta)
    _, exif, sub, _ = _exif_of(out)
    assert exif[ORIENTATION] == 1 and exif[MAKE] == "ArtCam"
    again = load_image(out)
    assert again.size == (240, 320)                     # not turned a second time
    assert np.abs(again.pixels.astype(int) - opened.pixels).mean() < 2.5


@pytest.mark.parametrize("quality", [20, 50, 75, 87, 90, 95, 100])
def test_jpeg_quality_is_estimated_from_the_tables(tmp_path, quality):
    path = tmp_path / "q.jpg"
    Image.fromarray(_photo(32, 32)).save(path, quality=quality)
    assert load_image(path).meta.jpeg_quality == quality
    with Image.open(path) as im:
        assert estimate_jpeg_quality([list(im.quantization[0])]) == quality      # luminance alone too


@pytest.mark.parametrize("ext, fmt", [(".png", "PNG"), (".tif", "TIFF"), (".webp", "WEBP"), (".jpg", "JPEG")])
def test_every_written_format_keeps_exif_and_profile(tmp_path, ext, fmt):
    opened = load_image(_camera_jpeg(tmp_path / "cam.jpg", orientation=8))
    out = save_image(tmp_path / f"out{ext}", opened.pixels, meta=opened.meta)
    got_fmt, exif, sub, icc = _exif_of(out)
    assert got_fmt == fmt and icc == SRGB
    assert exif[MAKE] == "ArtCam" and exif[ORIENTATION] == 1 and sub[TAKEN] == "2020:01:02 03:04:05"
    assert load_image(out).size == opened.size


def test_a_tiffs_own_storage_tags_are_not_copied_as_exif(tmp_path):
    opened = load_image(_camera_jpeg(tmp_path / "cam.jpg"))
    tif = save_image(tmp_path / "scan.tif", opened.pixels, meta=opened.meta)
    from_tiff = load_image(tif)
    out = save_image(tmp_path / "out.jpg", from_tiff.pixels, meta=from_tiff.meta)
    _, exif, sub, _ = _exif_of(out)
    assert exif[MAKE] == "ArtCam" and sub[TAKEN] == "2020:01:02 03:04:05"
    assert not {256, 257, 273, 279} & set(exif)          # width, height, strip offsets and sizes


def test_a_grey_profile_is_not_attached_to_rgb_pixels(tmp_path):
    grey_icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()   # not RGB either
    path = tmp_path / "grey.jpg"
    Image.fromarray(_photo()[..., 0]).save(path, icc_profile=grey_icc)
    opened = load_image(path)
    assert opened.meta.icc_profile is None
    assert _exif_of(save_image(tmp_path / "out.png", opened.pixels, meta=opened.meta))[3] is None


def test_a_lossless_webp_stays_lossless(tmp_path):
    path = tmp_path / "art.webp"
    Image.fromarray(_photo()).save(path, lossless=True)
    opened = load_image(path)
    assert opened.meta.webp_lossless
    out = save_image(tmp_path / "out.webp", opened.pixels, meta=opened.meta)
    assert np.array_equal(load_image(out).pixels, opened.pixels)


def test_pixel_dimensions_in_exif_follow_an_upscale(tmp_path):
    exif = _camera_exif()
    exif.get_ifd(EXIF_IFD)[0xA002], exif.get_ifd(EXIF_IFD)[0xA003] = 320, 240
    path = tmp_path / "cam.jpg"
    Image.fromarray(_photo()).save(path, exif=exif)
    opened = load_image(path)
    big = np.repeat(np.repeat(opened.pixels, 2, 0), 2, 1)
    _, _, sub, _ = _exif_of(save_image(tmp_path / "x2.jpg", big, meta=opened.meta))
    assert (sub[0xA002], sub[0xA003]) == (640, 480)


def test_damaged_exif_never_loses_the_photo(tmp_path):
    path = tmp_path / "bad_exif.jpg"
    Image.fromarray(_photo()).save(path, exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    opened = load_image(path)
    out = save_image(tmp_path / "out.jpg", opened.pixels, meta=opened.meta)
    assert load_image(out).size == opened.size


def test_the_header_alone_gives_format_and_meta(tmp_path):
    fmt, meta = read_source_meta(_camera_jpeg(tmp_path / "cam.jpg", quality=70))
    assert fmt == "JPEG" and meta.jpeg_quality == 70 and meta.icc_profile == SRGB
    assert read_source_meta(tmp_path / "missing.jpg")[0] is None


# -- where a save goes ---------------------------------------------------------------------------

def test_a_save_dialog_starts_beside_the_photo_never_in_the_app(tmp_path):
    app = tmp_path / "site-packages" / "artstudio"
    (app / "resources" / "demo").mkdir(parents=True)
    demo = app / "resources" / "demo" / "astronaut.png"
    photos, pictures = tmp_path / "photos", tmp_path / "Pictures"
    photos.mkdir()
    pictures.mkdir()
    folders = (app, app / "resources")
    assert start_folder(photos / "gran.jpg", "", folders, pictures) == photos
    assert start_folder(demo, "", folders, pictures) == pictures                   # the demo: not its folder
    assert start_folder(demo, str(app / "resources" / "demo"), folders, pictures) == pictures
    assert start_folder(demo, str(photos), folders, pictures) == photos             # the last folder used
    assert start_folder(None, str(tmp_path / "gone"), folders, pictures) == pictures
    assert is_bundled(demo, folders) and not is_bundled(photos / "gran.jpg", folders)
    assert not can_save_in_place(demo, folders) and can_save_in_place(photos / "gran.jpg", folders)
    assert not can_save_in_place(photos / "scan.bmp", folders)                      # BMP is read, not written


@pytest.mark.parametrize("photo, fmt, name", [
    ("gran.jpeg", "JPEG", "gran_restored.jpeg"), ("gran.JPG", "JPEG", "gran_restored.JPG"),
    ("scan.tif", "TIFF", "scan_restored.tif"), ("scan.bmp", "BMP", "scan_restored.png"),
    ("art.ora", "ORA", "art_restored.ora"), (None, None, "untitled_restored.png"),
    ("cam.jpg", "MPO", "cam_restored.jpg"), ("x_restored.png", "PNG", "x_restored.png")])
def test_save_as_suggests_the_source_format(tmp_path, photo, fmt, name):
    assert suggested_name(None if photo is None else tmp_path / photo, fmt) == name


@pytest.mark.parametrize("suffix", [".png", ".tif", ".jpg"])
def test_a_greyscale_photo_is_saved_greyscale_again_unless_it_was_coloured(tmp_path, suffix):
    """A greyscale scan came back as RGB after a fill (three times the data, and a colour
    file where a grey one went in). Its meta now says grey: equal channels (or the one level
    apart a fill computed in Lab leaves) are written as one, pixels unchanged; colour stays."""
    from PIL import Image

    from artstudio.core.imageio import load_image, save_image

    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (40, 60), dtype=np.uint8)
    src = tmp_path / "scan.png"
    Image.fromarray(grey, "L").save(src)
    loaded = load_image(src)
    assert loaded.meta.grey and loaded.pixels.shape[2] == 3
    edited = loaded.pixels.copy()
    edited[10:20, 10:20, 1] = np.clip(edited[10:20, 10:20, 1].astype(int) + 1, 0, 255)   # a fill's rounding
    out = save_image(tmp_path / f"out{suffix}", edited, meta=loaded.meta)
    with Image.open(out) as im:
        assert im.mode == "L"
        if suffix != ".jpg":
            back = np.asarray(im)
            assert np.array_equal(back[:10], grey[:10]) and np.abs(back.astype(int) - grey).max() <= 1
    coloured = loaded.pixels.copy()
    coloured[..., 0] = 255 - coloured[..., 0]
    with Image.open(save_image(tmp_path / f"colour{suffix}", coloured, meta=loaded.meta)) as im:
        assert im.mode == "RGB"
    with Image.open(save_image(tmp_path / f"plain{suffix}", edited)) as im:      # no meta: as given
        assert im.mode == "RGB"
