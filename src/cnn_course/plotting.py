"""Figures the chapters share. Every figure gets a title and labelled axes, and a text
alternative for readers who cannot see it: its titles and the one thing to see in it."""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# What each helper's figure shows, in words (the titles say the rest): see alt_text.
_TO_SEE: weakref.WeakKeyDictionary[Figure, list[str]] = weakref.WeakKeyDictionary()


def describe(fig: Figure, to_see: str) -> None:
    """Keep ``to_see``, the one thing a reader should see in ``fig``, for its text alternative
    (after what other panels of the same figure said)."""
    _TO_SEE.setdefault(fig, []).append(to_see)


def alt_text(fig: Figure) -> str:
    """The figure in words: its overall title, its panels' titles, then what to see in it."""
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    titles = [suptitle, *(ax.get_title() for ax in fig.axes[:6])]
    lines = [" ".join(line.split()) for title in titles for line in title.splitlines()]
    named = "; ".join(dict.fromkeys(line for line in lines if line))
    return ". ".join(part for part in (named, *_TO_SEE.get(fig, [])) if part)


def _alt_text_in_notebook_figures() -> None:
    """Give every figure a notebook shows its text alternative, in the output's metadata
    (``image/png`` -> ``alt``), where the course's website (myst-nb) and front ends that
    support it find it. A no-op without Jupyter's inline backend."""
    try:
        from matplotlib_inline import backend_inline
    except ImportError:
        return
    original = backend_inline._fetch_figure_metadata
    if getattr(original, "adds_alt_text", False):
        return

    def with_alt_text(fig):
        metadata = original(fig) or {}
        text = alt_text(fig)
        return {**metadata, "image/png": {"alt": text}} if text else (metadata or None)

    with_alt_text.adds_alt_text = True
    backend_inline._fetch_figure_metadata = with_alt_text


_alt_text_in_notebook_figures()


def _extreme(values: np.ndarray) -> str:
    """Where a 2-D map is largest, in words a reader can find on the picture."""
    row, col = np.unravel_index(int(np.argmax(values)), values.shape)
    vertical = ("top", "middle", "bottom")[min(2, 3 * row // values.shape[0])]
    horizontal = ("left", "centre", "right")[min(2, 3 * col // values.shape[1])]
    return f"{vertical} {horizontal}"


def label_pixel_axes(ax: plt.Axes) -> None:
    ax.set_xlabel("column (pixels)")
    ax.set_ylabel("row (pixels)")


DIVERGING_MAPS = {"coolwarm", "bwr", "seismic", "RdBu", "RdBu_r"}


def show_image(
    image: np.ndarray, title: str, ax: plt.Axes | None = None, cmap: str | None = None, pixel_axes: bool = True
) -> plt.Axes:
    """Draw one image, with pixel axes where positions matter (``pixel_axes=False`` for a
    photo shown for what it is). Grayscale arrays use a gray colour map; a diverging map is
    centred on 0 so that zero stays neutral and signs read as colours."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    image = np.asarray(image)
    if image.ndim == 2 and cmap is None:
        cmap = "gray"
    limits = {}
    if cmap in DIVERGING_MAPS:
        # A few very strong edges would wash everything else out: scale to the 99.5th percentile.
        largest = float(np.percentile(np.abs(image), 99.5)) or 1.0
        limits = {"vmin": -largest, "vmax": largest}
    drawn = ax.imshow(image, cmap=cmap, **limits)
    if limits:  # the colour carries the sign: say which colour is which
        ax.figure.colorbar(drawn, ax=ax, shrink=0.8, label="value (blue < 0 < red)")
    ax.set_title(title)
    if pixel_axes:
        label_pixel_axes(ax)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    return ax


def show_images(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    suptitle: str,
    cmap: str | Sequence[str | None] | None = None,
    size: float = 4.0,
) -> plt.Figure:
    """Draw images side by side, each with its own title and pixel axes. ``cmap`` is one
    colour map for all, or one per image."""
    if len(images) != len(titles):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    cmaps = list(cmap) if isinstance(cmap, (list, tuple)) else [cmap] * len(images)
    fig, axes = plt.subplots(
        1, len(images), figsize=(size * len(images), size * 0.85), squeeze=False, layout="constrained"
    )
    for ax, image, title, image_cmap in zip(axes[0], images, titles, cmaps):
        show_image(image, title, ax=ax, cmap=image_cmap)
    fig.suptitle(suptitle)
    return fig


def show_before_after(
    before: np.ndarray, after: np.ndarray, suptitle: str, after_title: str = "after", cmap: str | None = None
) -> plt.Figure:
    """The same photo before and after an operation; ``cmap`` applies to the result only."""
    return show_images([before, after], ["before", after_title], suptitle, cmap=[None, cmap])


def show_values(
    values: np.ndarray, title: str, ax: plt.Axes | None = None, fmt: str = "{:.0f}", cmap: str = "gray"
) -> plt.Axes:
    """A small 2-D array as a heat map with every value written in its cell."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"show_values draws a 2-D array, got shape {values.shape}")
    if ax is None:
        size = max(3.0, 0.45 * max(values.shape))
        _, ax = plt.subplots(figsize=(size, size))
    limits = {}
    if cmap in DIVERGING_MAPS:
        largest = float(np.abs(values).max()) or 1.0
        limits = {"vmin": -largest, "vmax": largest}
    ax.imshow(values, cmap=cmap, **limits)
    middle = (np.nanmax(values) + np.nanmin(values)) / 2
    for (row, col), value in np.ndenumerate(values):
        ax.text(
            col,
            row,
            fmt.format(value),
            ha="center",
            va="center",
            fontsize=8,
            color="black" if value > middle else "white",
        )
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    ax.set_title(title)
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    low, high = fmt.format(np.nanmin(values)), fmt.format(np.nanmax(values))
    describe(
        ax.figure,
        f"{title}: a {values.shape[0]}×{values.shape[1]} grid of values from {low} to {high}, "
        f"the largest at the {_extreme(values)}",
    )
    return ax


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    xlabel: str,
    ylabel: str,
    log: bool = False,
    value_format: str = "{:,.0f}",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """A labelled bar chart, each bar annotated with its value (``value_format``, e.g. ``"{:.1%}"``)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5, 0.9 * len(labels)), 4))
    bars = ax.bar(labels, values, color="tab:blue")
    ax.bar_label(bars, labels=[value_format.format(v) for v in values], fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=30)
    numbers = np.asarray(values, dtype=float)  # a pandas Series would index by label
    largest = int(np.argmax(numbers))
    shown = value_format.format(numbers[largest])
    if np.allclose(numbers, numbers[largest]):
        describe(ax.figure, f"{len(values)} bars of {ylabel}, all equal ({shown})")
    else:
        describe(ax.figure, f"{len(values)} bars of {ylabel}; the largest is {list(labels)[largest]} ({shown})")
    return ax


def line_chart(
    x: Sequence[float], y: Sequence[float], title: str, xlabel: str, ylabel: str, ax: plt.Axes | None = None
) -> plt.Axes:
    """One labelled curve, e.g. a learning-rate schedule over the training steps."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(x, y, color="tab:blue")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    x, y = list(x), np.asarray(y, dtype=float)  # positions, not a pandas Series' labels
    peak = int(np.argmax(y))
    at = f"{x[peak]:.3g}" if isinstance(x[peak], int | float | np.number) else x[peak]
    describe(ax.figure, f"{ylabel} against {xlabel}: from {y[0]:.3g} to {y[-1]:.3g}, highest ({y[peak]:.3g}) at {at}")
    return ax


def show_heatmap(
    image: np.ndarray,
    heatmap: np.ndarray,
    title: str,
    heatmap_title: str = "heat map",
    alpha: float = 0.45,
    signed: bool = False,
) -> plt.Figure:
    """A photo, its heat map and the two overlaid.

    A map of magnitudes (Grad-CAM, 0 to its peak) uses a perceptually uniform colour map from
    0. A ``signed`` map (occlusion's score drops, which can be negative) uses a diverging map
    centred on 0: red where hiding lowers the score, blue where it raises it, white where it
    changes nothing, so a map with no real drop is not painted red by auto-scaling."""
    image = np.asarray(image)
    heatmap = np.asarray(heatmap, dtype=np.float64)
    shown = image / 255.0 if image.dtype == np.uint8 else np.clip(image, 0, 1)
    height, width = shown.shape[:2]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), layout="constrained")
    show_image(shown, "photo", ax=axes[0])
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)  # stretch a coarse map over the photo's pixels
    if signed:
        largest = float(np.abs(heatmap).max()) or 1.0
        style = {"cmap": "RdBu_r", "vmin": -largest, "vmax": largest}
        label = "score drop (red: hiding lowers it, blue: raises it)"
    else:
        style = {"cmap": "magma", "vmin": 0.0, "vmax": max(float(heatmap.max()), 1e-12)}
        label = heatmap_title
    colours = axes[1].imshow(heatmap, extent=extent, **style)
    axes[1].set_title(heatmap_title)
    label_pixel_axes(axes[1])
    fig.colorbar(colours, ax=axes[1], shrink=0.8, label=label)
    axes[2].imshow(shown)
    axes[2].imshow(heatmap, alpha=alpha, extent=extent, **style)
    axes[2].set_title("overlay")
    label_pixel_axes(axes[2])
    fig.suptitle(title)
    strongest = "score drop" if signed else "heat"
    describe(
        fig,
        f"The photo, its {heatmap_title} and the two overlaid; the {strongest} is strongest at the "
        f"{_extreme(heatmap)} of the photo",
    )
    return fig


def show_feature_maps(maps: np.ndarray, title: str, count: int = 16, columns: int = 8) -> plt.Figure:
    """The ``count`` most active channels of a (height, width, channels) stack, on one shared
    colour scale from 0, so that a weak map looks weak (each panel auto-scaled would make
    faint noise look as strong as a real response). The title says how many channels are 0
    everywhere: after a ReLU, a filter that nothing in this image excites."""
    maps = np.asarray(maps, dtype=np.float64)
    channels = maps.shape[-1]
    count = min(count, channels)
    activity = maps.reshape(-1, channels).mean(axis=0)
    shown = np.argsort(-activity, kind="stable")[:count]
    silent = int((np.abs(maps).reshape(-1, channels).max(axis=0) == 0).sum())
    largest = float(maps.max()) if maps.max() > 0 else 1.0
    rows = -(-count // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(1.6 * columns, 1.7 * rows + 0.9), squeeze=False, layout="constrained"
    )
    drawn = None
    for position, ax in enumerate(axes.flat):
        if position < count:
            index = int(shown[position])
            drawn = ax.imshow(maps[..., index], cmap="viridis", vmin=min(0.0, float(maps.min())), vmax=largest)
            ax.set_title(f"channel {index}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    if drawn is not None:
        fig.colorbar(drawn, ax=axes, shrink=0.8, label="activation (one scale for all)")
    fig.supxlabel("column (pixels)")
    fig.supylabel("row (pixels)")
    fig.suptitle(f"{title}\nthe {count} most active of {channels} channels; {silent} of {channels} are 0 everywhere")
    describe(fig, f"{count} small maps, one per channel, brighter where the channel responds more")
    return fig


# Right and wrong in pictures: a symbol and a colour pair that colour-blind readers tell apart.
RIGHT_MARK = ("✓", "#0969da")  # blue
WRONG_MARK = ("✗", "#bc4c00")  # orange


def show_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    suptitle: str,
    columns: int = 6,
    right: Sequence[bool] | None = None,
) -> plt.Figure:
    """Small images in a grid, each with a caption (e.g. true and predicted class). With
    ``right``, each caption is marked ✓ (blue) or ✗ (orange): a symbol, so that no reader
    depends on telling two colours apart, and two colours that every kind of colour vision
    separates (not red against green)."""
    count = len(images)
    if count == 0:
        raise ValueError("show_grid needs at least one image")
    rows = -(-count // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(1.9 * columns, 2.1 * rows + 0.6), squeeze=False, layout="constrained"
    )
    for index, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if index >= count:
            ax.axis("off")
            continue
        ax.imshow(np.asarray(images[index]))
        if right is None:
            ax.set_title(titles[index], fontsize=8)
        else:
            mark, colour = RIGHT_MARK if right[index] else WRONG_MARK
            ax.set_title(f"{mark} {titles[index]}", fontsize=8, color=colour)
    fig.suptitle(suptitle)  # photos: no pixel axes, the captions say what matters
    right_count = None if right is None else sum(map(bool, right))
    marks = "" if right is None else f": {right_count} marked right (✓), {count - right_count} wrong (✗)"
    describe(fig, f"{count} small photos with captions{marks}")
    return fig


def show_receptive_fields(image: np.ndarray, fields: dict[str, int], title: str) -> plt.Figure:
    """Squares of each layer's receptive field (name -> side in pixels), centred on the image."""
    from matplotlib.patches import Rectangle

    image = np.asarray(image)
    height, width = image.shape[:2]
    fig, ax = plt.subplots(figsize=(6, 5.5), layout="constrained")
    ax.imshow(image)
    colours = plt.cm.plasma(np.linspace(0.1, 0.9, len(fields)))
    for (name, side), colour in zip(fields.items(), colours):
        corner = ((width - side) / 2 - 0.5, (height - side) / 2 - 0.5)
        ax.add_patch(
            Rectangle(corner, side, side, fill=False, linewidth=2, edgecolor=colour, label=f"{name}: {side}×{side}")
        )
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, title="one value of")
    ax.set_title(title)
    label_pixel_axes(ax)
    return fig


def show_window_positions(size: int, kernel: int, padding: int, stride: int, title: str) -> plt.Figure:
    """Where a ``kernel`` x ``kernel`` window lands on a ``size`` x ``size`` input framed by ``padding``
    zeros and moved by ``stride``: one panel per position along the first row, plus the output."""
    from matplotlib.patches import Rectangle

    padded = size + 2 * padding
    out = (padded - kernel) // stride + 1
    positions = min(out, 4)
    fig, axes = plt.subplots(1, positions + 1, figsize=(2.6 * (positions + 1), 3.0), layout="constrained")
    for step, ax in enumerate(axes[:-1]):
        grid = np.zeros((padded, padded))
        grid[padding : padding + size, padding : padding + size] = 1  # the input; 0 marks padding
        ax.imshow(grid, cmap="Blues", vmin=-0.6, vmax=1.4)
        ax.add_patch(Rectangle((step * stride - 0.5, -0.5), kernel, kernel, fill=False, edgecolor="red", linewidth=2.5))
        ax.set_title(f"output (0, {step}): window at column {step * stride}", fontsize=8)
        ax.set_xticks(range(padded))
        ax.set_yticks(range(padded))
        ax.tick_params(labelsize=6)
        ax.set_xlabel("column (padded input)")
        ax.set_ylabel("row (padded input)")
    grid = np.zeros((out, out))
    grid[0, :positions] = 1
    axes[-1].imshow(grid, cmap="Reds", vmin=0, vmax=1.5)
    axes[-1].set_title(f"output: {out}×{out}", fontsize=9)
    axes[-1].set_xticks(range(out))
    axes[-1].set_yticks(range(out))
    axes[-1].set_xlabel("output column")
    axes[-1].set_ylabel("output row")
    fig.suptitle(title)
    return fig


def show_history(
    histories: dict[str, dict[str, list[float]]], title: str, marks: dict[str, float] | None = None
) -> plt.Figure:
    """Loss and accuracy per epoch, training and validation, for one or more runs (a run that
    validated every k-th epoch, ``validation_freq=k``, shows its validation points there).
    ``marks`` draws a labelled vertical line at each given epoch (e.g. where fine-tuning starts)."""
    fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
    for name, history in histories.items():
        epochs = range(1, len(history["loss"]) + 1)
        for ax, key in ((loss_ax, "loss"), (accuracy_ax, "accuracy")):
            (line,) = ax.plot(epochs, history[key], marker="o", markersize=3, label=f"{name}: training")
            if f"val_{key}" in history:
                validated = history[f"val_{key}"]
                # With validation_freq=k, Keras validates after every k-th epoch only.
                every = max(1, len(epochs) // max(1, len(validated)))
                ax.plot(
                    [every * (i + 1) for i in range(len(validated))],
                    validated,
                    "--",
                    marker="o",
                    markersize=3,
                    color=line.get_color(),
                    label=f"{name}: validation",
                )
    for ax, key in ((loss_ax, "loss"), (accuracy_ax, "accuracy")):
        for label, epoch in (marks or {}).items():
            ax.axvline(epoch, color="grey", linestyle=":", label=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    describe(
        fig,
        "Loss (left) and accuracy (right) per epoch. "
        + " ".join(
            f"{name}: accuracy {history['accuracy'][-1]:.2f} after {len(history['accuracy'])} epochs"
            + (f", validation {history['val_accuracy'][-1]:.2f}." if history.get("val_accuracy") else ".")
            for name, history in histories.items()
        ),
    )
    return fig


def show_confusion_matrix(
    y_true: Sequence[int], y_pred: Sequence[int], class_names: Sequence[str], title: str
) -> plt.Axes:
    """scikit-learn's confusion matrix with class names, one row per true class."""
    from sklearn.metrics import ConfusionMatrixDisplay

    _, ax = plt.subplots(figsize=(7.5, 6.5), layout="constrained")
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=list(range(len(class_names))),
        display_labels=list(class_names),
        ax=ax,
        colorbar=False,
        xticks_rotation=45,
    )
    ax.set_title(title)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    counts = np.asarray(ax.images[0].get_array(), dtype=float)
    mistakes = counts * (1 - np.eye(len(class_names)))
    true, predicted = np.unravel_index(int(np.argmax(mistakes)), mistakes.shape)
    describe(
        ax.figure,
        f"Counts of each true class (rows) by predicted class (columns); the most frequent "
        f"mistake: {class_names[true]} taken for {class_names[predicted]} ({mistakes.max():.0f} images)",
    )
    return ax
