"""load_photo against a server on 127.0.0.1 and local files: good photos in every format, and every failure."""

from __future__ import annotations

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from cnn_course.photos import PhotoError, load_photo


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def red_left_blue_right(width=60, height=40, mode="RGB"):
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = (255, 0, 0)
    pixels[:, width // 2 :] = (0, 0, 255)
    return Image.fromarray(pixels).convert(mode)


def sideways_jpeg() -> bytes:
    """Stored 60 wide x 40 high, with the EXIF flag 'rotate 90° clockwise to view' (6)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(red_left_blue_right(), "JPEG", exif=exif, quality=95)


def transparent_png() -> bytes:
    pixels = np.zeros((20, 20, 4), dtype=np.uint8)
    pixels[:, :10] = (0, 128, 0, 255)  # opaque green left half, fully transparent right half
    return encoded(Image.fromarray(pixels, "RGBA"), "PNG")


def bomb_png() -> bytes:
    return encoded(Image.new("1", (12_000, 12_000)), "PNG")  # 144 Mpx in a few kB


FILES = {
    "/photo.jpg": ("image/jpeg", encoded(red_left_blue_right(), "JPEG", quality=95)),
    "/sideways.jpg": ("image/jpeg", sideways_jpeg()),
    "/transparent.png": ("image/png", transparent_png()),
    "/gray.png": ("image/png", encoded(red_left_blue_right(mode="L"), "PNG")),
    "/photo.webp": ("image/webp", encoded(red_left_blue_right(), "WEBP", lossless=True)),
    "/no-type": ("application/octet-stream", encoded(red_left_blue_right(), "PNG")),
    "/page.html": ("text/html; charset=utf-8", b"<html><body><img src='cat.jpg'></body></html>"),
    "/fake.jpg": ("image/jpeg", b"\x00\x01 this is not a jpeg at all"),
    "/bomb.png": ("image/png", bomb_png()),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path in FILES:
            kind, body = FILES[self.path]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/huge-declared":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(500_000_000))
            self.end_headers()
        elif self.path == "/huge-undeclared":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            chunk = b"\xff" * 65536
            try:
                for _ in range(64):  # 4 MB, bounded: the client stops reading at its cap
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif self.path == "/slow":
            time.sleep(2)
            try:
                self.send_response(200)
                self.end_headers()
            except OSError:
                pass
        else:
            self.send_error(404, "Not Found")


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.parametrize("path", ["/photo.jpg", "/photo.webp", "/no-type"])
def test_a_photo_from_a_url_comes_back_as_rgb_at_the_requested_size(server, path):
    photo = load_photo(server + path, size=(30, 50))
    assert photo.shape == (30, 50, 3) and photo.dtype == np.uint8
    assert photo[15, 5, 0] > 200 and photo[15, 45, 2] > 200, "red stays left, blue stays right"


def test_size_none_keeps_the_original_size(server):
    assert load_photo(server + "/photo.jpg", size=None).shape == (40, 60, 3)


def test_exif_orientation_is_applied(server):
    photo = load_photo(server + "/sideways.jpg", size=None)
    assert photo.shape == (60, 40, 3), "rotated upright: now 40 wide and 60 high"
    assert photo[5, 20, 0] > 200 and photo[55, 20, 2] > 200, "left half (red) is now on top"


def test_transparency_becomes_white_and_grayscale_becomes_rgb(server):
    transparent = load_photo(server + "/transparent.png", size=None)
    assert transparent.shape == (20, 20, 3)
    assert tuple(transparent[10, 2]) == (0, 128, 0) and tuple(transparent[10, 17]) == (255, 255, 255)
    gray = load_photo(server + "/gray.png", size=None)
    assert gray.shape == (40, 60, 3) and (gray[..., 0] == gray[..., 1]).all()


@pytest.mark.parametrize(
    "path, fragment",
    [
        ("/page.html", "is a web page (text/html), not an image"),
        ("/missing.jpg", "answered HTTP 404"),
        ("/fake.jpg", "is not an image file that can be read"),
        ("/huge-declared", "is 500 MB, more than the 20 MB"),
        ("/bomb.png", "decompression bomb"),
    ],
)
def test_every_bad_url_raises_one_clear_error(server, path, fragment):
    with pytest.raises(PhotoError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        load_photo(server + path)


def test_a_body_larger_than_the_cap_is_cut_off(server):
    with pytest.raises(PhotoError, match="sent more than 1 MB"):
        load_photo(server + "/huge-undeclared", max_bytes=1_000_000)


def test_a_server_that_does_not_answer_times_out(server):
    started = time.monotonic()
    with pytest.raises(PhotoError, match=r"did not answer within 0\.5 s"):
        load_photo(server + "/slow", timeout=0.5)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "location, fragment",
    [
        ("ftp://example.com/cat.jpg", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
    ],
)
def test_other_schemes_are_refused(location, fragment):
    with pytest.raises(PhotoError, match=fragment):
        load_photo(location)


def test_local_files_load_and_fail_clearly(tmp_path):
    (tmp_path / "mine.png").write_bytes(FILES["/photo.jpg"][1])
    assert load_photo(tmp_path / "mine.png", size=(10, 10)).shape == (10, 10, 3)
    with pytest.raises(PhotoError, match="there is no file"):
        load_photo(tmp_path / "nope.jpg")
    with pytest.raises(PhotoError, match="is a folder"):
        load_photo(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(PhotoError, match="not an image file"):
        load_photo(tmp_path / "notes.txt")


def png_claiming(width: int, height: int) -> bytes:
    """A real PNG whose header claims another size (its CRC fixed so PIL reads the header)."""
    import struct
    import zlib

    data = bytearray(encoded(Image.new("L", (4, 4)), "PNG"))
    header = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF)
    return bytes(data)


def test_a_header_claiming_billions_of_pixels_is_a_photo_error(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_claiming(100_000, 100_000))
    with pytest.raises(PhotoError, match="decompression bomb"):
        load_photo(path)


def test_a_16_bit_grayscale_png_is_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 32).reshape(32, 64).astype(np.uint16)
    path = tmp_path / "scan.png"
    Image.fromarray(ramp).save(path)
    assert Image.open(path).mode.startswith("I"), "PIL reads it as 16-bit"
    pixels = load_photo(path, size=None)
    assert pixels.shape == (32, 64, 3) and pixels.dtype == np.uint8
    assert pixels[0, 0, 0] == 0 and pixels[-1, -1, 0] == 255
    assert 120 <= np.median(pixels) <= 135, "mid-grey stays mid-grey (clipping would make it white)"
