"""Figures the chapters share. Every figure gets a title and labelled axes."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np


def label_pixel_axes(ax: plt.Axes) -> None:
    ax.set_xlabel("column (pixels)")
    ax.set_ylabel("row (pixels)")


def show_image(image: np.ndarray, title: str, ax: plt.Axes | None = None, cmap: str | None = None) -> plt.Axes:
    """Draw one image with pixel axes; grayscale arrays use a gray colour map."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    image = np.asarray(image)
    if image.ndim == 2 and cmap is None:
        cmap = "gray"
    ax.imshow(image, cmap=cmap)
    ax.set_title(title)
    label_pixel_axes(ax)
    return ax


def show_images(images: Sequence[np.ndarray], titles: Sequence[str], suptitle: str, cmap: str | None = None,
                size: float = 4.0) -> plt.Figure:
    """Draw images side by side, each with its own title and pixel axes."""
    if len(images) != len(titles):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size * 0.85), squeeze=False)
    for ax, image, title in zip(axes[0], images, titles):
        show_image(image, title, ax=ax, cmap=cmap)
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_before_after(before: np.ndarray, after: np.ndarray, suptitle: str,
                      after_title: str = "after", cmap: str | None = None) -> plt.Figure:
    """The same photo before and after an operation, side by side."""
    return show_images([before, after], ["before", after_title], suptitle, cmap=cmap)


def show_values(values: np.ndarray, title: str, ax: plt.Axes | None = None, fmt: str = "{:.0f}",
                cmap: str = "gray") -> plt.Axes:
    """A small 2-D array as a heat map with every value written in its cell."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"show_values draws a 2-D array, got shape {values.shape}")
    if ax is None:
        size = max(3.0, 0.45 * max(values.shape))
        _, ax = plt.subplots(figsize=(size, size))
    ax.imshow(values, cmap=cmap)
    middle = (np.nanmax(values) + np.nanmin(values)) / 2
    for (row, col), value in np.ndenumerate(values):
        ax.text(col, row, fmt.format(value), ha="center", va="center", fontsize=8,
                color="black" if value > middle else "white")
    ax.set_title(title)
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    return ax


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, xlabel: str, ylabel: str,
              log: bool = False) -> plt.Axes:
    """A labelled bar chart, each bar annotated with its value."""
    _, ax = plt.subplots(figsize=(max(5, 0.9 * len(labels)), 4))
    bars = ax.bar(labels, values, color="tab:blue")
    ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values], fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=30)
    return ax
