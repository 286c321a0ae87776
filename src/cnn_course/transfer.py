"""Transfer learning helpers: VGG16's convolutional base, with a clear way out when its
ImageNet weights cannot be downloaded.

Keras downloads the weights once (58 MB), checks their hash and caches them in
``~/.keras/models``. Where that is impossible (no network, a firewall), :func:`vgg16_base`
says so and how to use a copy of the file you bring yourself.
"""

from __future__ import annotations

from pathlib import Path

from cnn_course.errors import CourseError

VGG16_NO_TOP_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG16_NO_TOP_URL = f"https://storage.googleapis.com/tensorflow/keras-applications/vgg16/{VGG16_NO_TOP_FILE}"


class VGG16WeightsError(CourseError):
    """The pretrained weights could not be had; the message says how to provide them."""


def vgg16_base(input_shape: tuple[int, int, int] = (150, 150, 3), weights: str | Path | None = "imagenet"):
    """VGG16 without its classifier: 19 layers ending in ``block5_pool``.

    ``weights`` is ``"imagenet"`` (download once, then the cache), a path to a local copy of
    the no-top weights file, or ``None`` for random weights (quick runs on a CPU).
    """
    import keras

    if weights not in ("imagenet", None):
        path = Path(weights).expanduser()
        if not path.is_file():
            raise VGG16WeightsError(
                f"there is no weights file at {path}. Download {VGG16_NO_TOP_URL} and pass its path."
            )
        weights = str(path)
    try:
        return keras.applications.VGG16(include_top=False, weights=weights, input_shape=input_shape)
    except Exception as error:  # get_file wraps every network failure in its own Exception
        if weights != "imagenet":
            raise VGG16WeightsError(f"could not load the VGG16 weights from {weights}: {error}") from None
        raise VGG16WeightsError(
            f"could not download VGG16's ImageNet weights ({type(error).__name__}: {error}). "
            f"Download {VGG16_NO_TOP_URL} (58 MB) where you have internet, then either put it in "
            f"~/.keras/models/{VGG16_NO_TOP_FILE} or pass its path: "
            f"vgg16_base(weights='/path/to/{VGG16_NO_TOP_FILE}'). "
            "For a quick run without pretrained weights, use weights=None."
        ) from None
