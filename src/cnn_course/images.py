"""Small image utilities shared by the chapters (loading a sample photo, grayscale)."""

from __future__ import annotations

import numpy as np

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
