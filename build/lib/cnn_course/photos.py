"""Photos as arrays: one from a file or a web address, loaded safely; a sample photo; grayscale.

Learners point the chapters at their own photos, so anything can arrive: a web page
instead of an image, a 404, a huge or endless download, a server that never answers, a
tiny file that decodes to billions of pixels, a phone photo stored sideways with an EXIF
flag, a PNG with transparency, a grayscale scan, a WebP. Every failure raises one
exception, :class:`PhotoError`, whose message says what was wrong, so a notebook cell
fails politely and the kernel keeps running.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from cnn_course.errors import CourseError

MAX_BYTES = 20_000_000  # a phone photo is a few MB; anything bigger is refused
MAX_PIXELS = 50_000_000  # about 8,000 x 6,000: more is a decompression bomb, not a photo
TIMEOUT_SECONDS = 15


class PhotoError(CourseError):
    """The photo could not be loaded; the message says why."""


def _read_url(url: str, timeout: float, max_bytes: int) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "cnn-course", "Accept": "image/*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise PhotoError(
                    f"{url} is {int(declared) / 1e6:.0f} MB, more than the {max_bytes / 1e6:.0f} MB "
                    "a photo may have. Download a smaller version of the image."
                )
            kind = response.headers.get_content_type()
            if kind.startswith("text/"):
                raise PhotoError(
                    f"{url} is a web page ({kind}), not an image. Open it in a browser, right-click "
                    "the picture and copy the image address instead."
                )
            body = response.read(max_bytes + 1)  # never read more than the cap, whatever the server claims
    except PhotoError:
        raise
    except urllib.error.HTTPError as error:
        raise PhotoError(f"{url} answered HTTP {error.code} ({error.reason}): check the address") from None
    except TimeoutError:
        raise PhotoError(f"{url} did not answer within {timeout:g} s: try again later or another image") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise PhotoError(f"{url} did not answer within {timeout:g} s: try again later or another image") from None
        raise PhotoError(f"could not download {url}: {reason}") from None
    if len(body) > max_bytes:
        raise PhotoError(f"{url} sent more than {max_bytes / 1e6:.0f} MB, more than a photo may have")
    return body


def _read_file(path: Path, max_bytes: int) -> bytes:
    if not path.exists():
        raise PhotoError(f"there is no file {path}: check the path (in Colab, upload the photo first)")
    if not path.is_file():
        raise PhotoError(f"{path} is a folder, not a photo")
    if path.stat().st_size > max_bytes:
        raise PhotoError(
            f"{path} is {path.stat().st_size / 1e6:.0f} MB, more than the {max_bytes / 1e6:.0f} MB a photo may have"
        )
    return path.read_bytes()


def read_bytes(location: str | Path, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES) -> bytes:
    """The raw bytes of a photo at a file path or an http(s) address."""
    text = str(location)
    scheme = urlparse(text).scheme.lower()
    if scheme in ("http", "https"):
        return _read_url(text, timeout, max_bytes)
    if scheme and len(scheme) > 1:  # "C:" on Windows is a drive, not a scheme
        raise PhotoError(f"only http:// and https:// addresses can be loaded, not {scheme}://")
    return _read_file(Path(text).expanduser(), max_bytes)


def decode(data: bytes, source: str = "the photo", max_pixels: int = MAX_PIXELS):
    """A PIL image in RGB, upright as the camera meant it, from encoded bytes."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # PIL warns about big images; the check below refuses them itself
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise PhotoError(f"{source} is not an image file that can be read (JPEG, PNG, WebP, GIF, BMP, …)") from None
    except Image.DecompressionBombError as error:  # PIL's own limit, hit while reading the header
        raise PhotoError(
            f"{source} claims too many pixels: it is either damaged or a decompression bomb ({error})"
        ) from None
    width, height = image.size
    if width * height > max_pixels:  # checked from the header, before anything is decoded
        raise PhotoError(
            f"{source} claims {width:,} x {height:,} pixels, more than the {max_pixels:,} allowed: "
            "it is either damaged or a decompression bomb"
        )
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise PhotoError(f"{source} is damaged and cannot be decoded ({error})") from None
    if image.mode == "I" or image.mode.startswith("I;16"):
        image = _eight_bit(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels become white, as a browser would show them on a page.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")


def _eight_bit(image):
    """A 16-bit (or 32-bit integer) grayscale image as 8-bit: scaled, not clipped, so a
    scientific or medical scan keeps its shades instead of turning white."""
    from PIL import Image

    values = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
    return Image.fromarray(np.clip(np.round(values * 255.0 / top), 0, 255).astype(np.uint8), mode="L")


def load_photo(
    location: str | Path,
    size: tuple[int, int] | None = (150, 150),
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """A photo as a ``uint8`` array ``(height, width, 3)``, resized to ``size`` (height, width)
    unless ``size`` is None. Raises :class:`PhotoError` with the reason on any failure."""
    image = decode(read_bytes(location, timeout, max_bytes), str(location), max_pixels)
    if size is not None:
        height, width = size
        image = image.resize((width, height))
    return np.asarray(image, dtype=np.uint8)


# ITU-R BT.601 luma weights: how much red, green and blue each add to perceived brightness.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])


def sample_photo() -> np.ndarray:
    """A real photograph that needs no download: scikit-image's cat "Chelsea".

    Returns a ``(300, 451, 3)`` ``uint8`` array of RGB values in 0..255.
    """
    from skimage import data

    return data.chelsea()


def to_grayscale(rgb: np.ndarray) -> np.ndarray:
    """Brightness in [0, 1] from an RGB array in 0..255, shape ``(H, W)``, float32."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"expected an RGB image of shape (height, width, 3), got shape {rgb.shape}")
    return (rgb.astype(np.float32) / 255.0) @ LUMA_WEIGHTS.astype(np.float32)
