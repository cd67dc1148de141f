"""A seeded corpus of hostile image files (issue 16's Measure: "a seeded fuzz corpus of a
few hundred hostile files, including every reproduction above").

:func:`corpus` yields ``(name, bytes)``: the reproductions of the issue (PostScript named
``.jpg``, an endless PostScript loop, a tiny EPS that decodes huge, a PNG whose header
claims 2,000,000 rows, a 274-byte PNG bomb, a recipe of 100,000 nested brackets, ORA
zip bombs and path traversal) and seeded mutations of small sound files in every
promised format (bit flips, truncation, spliced and repeated bytes, header fields set to
extremes, chunks shuffled, formats under the wrong name). The test suite runs a few
hundred; ``benchmarks/fuzz_decode.py`` runs 10,000 with a per-case timeout and peak RSS.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
from PIL import Image, PngImagePlugin

FORMATS = (("PNG", ".png"), ("JPEG", ".jpg"), ("TIFF", ".tif"), ("WEBP", ".webp"), ("BMP", ".bmp"))


def _sound(fmt: str, rng: np.random.Generator) -> bytes:
    h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    mode = str(rng.choice(["RGB", "RGBA", "L", "P", "I;16"] if fmt in ("PNG", "TIFF") else ["RGB", "L"]))
    if fmt == "WEBP" and mode not in ("RGB", "RGBA"):
        mode = "RGB"
    if fmt == "BMP" and mode == "I;16":
        mode = "L"
    pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65535, (h, w), dtype=np.uint16))
    out = io.BytesIO()
    options = {"quality": int(rng.integers(5, 95))} if fmt in ("JPEG", "WEBP") else {}
    if fmt == "PNG" and rng.random() < 0.3:
        info = PngImagePlugin.PngInfo()
        info.add_text("artstudio-recipe", '{"seed": 1}')
        options["pnginfo"] = info
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _png(width: int, height: int, data: bytes, depth: int = 8, colour: int = 2) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _ora(stack: str, files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), b"image/openraster")
        z.writestr("stack.xml", stack)
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def reproductions() -> list[tuple[str, bytes]]:
    """Every hostile file the reliability probe reported, rebuilt."""
    tiny_png = _sound("PNG", np.random.default_rng(0))
    bomb_rows = zlib.compress(b"\x00" * (1 + 3 * 32) * 24)
    nested = "[" * 100_000 + "]" * 100_000
    info = PngImagePlugin.PngInfo()
    info.add_text("artstudio-recipe", nested)
    recipe = io.BytesIO()
    Image.new("RGB", (4, 4)).save(recipe, format="PNG", pnginfo=info)
    layer = tiny_png
    return [
        ("postscript.jpg", b"%!PS-Adobe-3.0\n/tmp (x) (w) file closefile\nshowpage\n"),
        ("loop.png", b"%!PS\n{ } loop\n"),
        ("huge.eps", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 30000 30000\nshowpage\n"),
        ("tall_lie.png", _png(32, 2_000_000, bomb_rows)),
        ("bomb274.png", _png(20_000, 20_000, zlib.compress(b"\x00" * 200_000, 9))),
        ("nested_recipe.png", recipe.getvalue()),
        ("pdf.jpg", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"),
        ("zipbomb.ora", _ora('<image w="8" h="8"><stack><layer src="data/a.png"/></stack></image>',
                             {"data/a.png": b"\x00" * 5_000_000})),
        ("traversal.ora", _ora('<image w="8" h="8"><stack><layer src="../../etc/passwd"/></stack></image>',
                               {"data/a.png": layer})),
        ("huge_canvas.ora", _ora('<image w="2000000" h="2000000"><stack><layer src="data/a.png"/></stack></image>',
                                 {"data/a.png": layer})),
        ("entities.ora", _ora('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><image w="8" h="8">'
                              '<stack><layer name="&a;" src="data/a.png"/></stack></image>', {"data/a.png": layer})),
        ("empty.png", b""),
        ("just_magic.png", b"\x89PNG\r\n\x1a\n"),
    ]


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    buf = bytearray(data)
    kind = int(rng.integers(0, 7))
    if kind == 0 and buf:                                         # flip bits
        for _ in range(int(rng.integers(1, 12))):
            buf[int(rng.integers(len(buf)))] ^= 1 << int(rng.integers(8))
    elif kind == 1 and len(buf) > 2:                              # truncate
        buf = buf[:int(rng.integers(1, len(buf)))]
    elif kind == 2 and buf:                                       # splice random bytes in
        at = int(rng.integers(len(buf)))
        buf[at:at] = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
    elif kind == 3 and len(buf) > 24:                             # set a header word to an extreme
        at = int(rng.integers(8, min(len(buf) - 4, 64)))
        buf[at:at + 4] = struct.pack(">I", int(rng.choice([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 65535, 2_000_000])))
    elif kind == 4 and len(buf) > 16:                             # repeat a slice
        a = int(rng.integers(len(buf) - 8))
        b = min(len(buf), a + int(rng.integers(4, 256)))
        buf[b:b] = buf[a:b] * int(rng.integers(2, 50))
    elif kind == 5 and len(buf) > 32:                             # swap two slices
        a, b = sorted(int(v) for v in rng.integers(0, len(buf), 2))
        buf = buf[:a] + buf[b:] + buf[a:b]
    else:                                                         # random garbage after a real header
        buf = buf[:16] + bytearray(rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8).tobytes())
    return bytes(buf)


def corpus(count: int, seed: int = 0):
    """The reproductions, then ``count`` seeded mutants (``(name, bytes)``), some under another format's name."""
    yield from reproductions()
    rng = np.random.default_rng(seed)
    for index in range(count):
        fmt, ext = FORMATS[int(rng.integers(len(FORMATS)))]
        data = _mutate(_sound(fmt, rng), rng)
        if rng.random() < 0.15:                                   # the wrong name for its content
            ext = FORMATS[int(rng.integers(len(FORMATS)))][1]
        yield f"m{index:05d}{ext}", data
