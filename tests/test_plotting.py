"""Every figure the helpers draw has a title and labelled axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnn_course import plotting

IMAGE = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)


HISTORY = {"loss": [2.0, 1.5], "accuracy": [0.3, 0.5], "val_loss": [1.8, 1.6], "val_accuracy": [0.35, 0.45]}
# Each figure is drawn when its test runs, and closed after it: drawn while the tests are
# collected, they would all be open at once (and matplotlib warns past 20).
DRAW = {
    "show_image": lambda: plotting.show_image(IMAGE, "a photo").figure,
    "show_images": lambda: plotting.show_images([IMAGE, IMAGE[..., 0]], ["a", "b"], "two"),
    "show_before_after": lambda: plotting.show_before_after(
        IMAGE[..., 0], IMAGE[..., 1] - 128.0, "op", cmap="coolwarm"
    ),
    "show_values": lambda: plotting.show_values(np.arange(9.0).reshape(3, 3), "values").figure,
    "bar_chart": lambda: plotting.bar_chart(["a", "b"], [1, 10], "bars", "x", "y", log=True).figure,
    "show_heatmap": lambda: plotting.show_heatmap(IMAGE, np.random.default_rng(1).random((5, 7)), "where it looks"),
    "show_feature_maps": lambda: plotting.show_feature_maps(np.random.default_rng(2).random((6, 6, 10)), "maps"),
    "show_receptive_fields": lambda: plotting.show_receptive_fields(IMAGE, {"conv1": 3, "pool1": 6}, "fields"),
    "show_window_positions": lambda: plotting.show_window_positions(5, 3, 1, 2, "padding 1, stride 2"),
    "show_history": lambda: plotting.show_history({"first": HISTORY, "better": HISTORY}, "curves"),
    "line_chart": lambda: plotting.line_chart([0, 1, 2], [0.0, 0.4, 0.1], "schedule", "step", "learning rate").figure,
    "show_confusion_matrix": lambda: (
        plotting.show_confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1], ["a", "b", "c"], "mistakes").figure
    ),
}


@pytest.fixture(params=list(DRAW))
def drawn(request):
    """(the helper's name, the figure it drew)"""
    figure = DRAW[request.param]()
    yield request.param, figure
    plt.close(figure)


def test_every_figure_has_a_title_and_labelled_axes(drawn):
    name, figure = drawn
    titled = bool(figure._suptitle and figure._suptitle.get_text()) or all(ax.get_title() for ax in figure.axes[:1])
    assert titled, f"{name} draws a figure without a title"
    image_axes = [ax for ax in figure.axes if ax.images or ax.patches or ax.lines]
    for ax in image_axes:
        labelled = (ax.get_xlabel() and ax.get_ylabel()) or (figure._supxlabel and figure._supylabel)
        assert labelled, f"{name}: an axes without axis labels"


def test_no_title_overlaps_another(drawn):
    name, figure = drawn
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    titles = [ax.title for ax in figure.axes if ax.get_title()]
    if figure._suptitle:
        titles.append(figure._suptitle)
    boxes = [title.get_window_extent(renderer) for title in titles]
    for first in range(len(boxes)):
        for second in range(first + 1, len(boxes)):
            assert not boxes[first].overlaps(boxes[second]), (
                f"{name}: '{titles[first].get_text()}' overlaps '{titles[second].get_text()}'"
            )


def test_a_photo_shown_for_what_it_is_has_a_title_but_no_pixel_axes():
    ax = plotting.show_image(IMAGE, "my cat", pixel_axes=False)
    assert ax.get_title() == "my cat"
    assert not ax.get_xticks().size and not ax.get_yticks().size and not ax.get_xlabel()
    plt.close(ax.figure)


def test_a_mark_is_drawn_on_both_panels():
    history = {"loss": [2.0, 1.5, 1.2, 1.1], "accuracy": [0.3, 0.5, 0.6, 0.7]}
    figure = plotting.show_history({"run": history}, "two phases", marks={"fine-tuning starts": 2.5})
    for ax in figure.axes:
        marked = [line for line in ax.get_lines() if line.get_label() == "fine-tuning starts"]
        assert len(marked) == 1 and list(marked[0].get_xdata()) == [2.5, 2.5]
    plt.close(figure)


def test_a_photo_grid_has_captions_and_a_title_but_no_pixel_axes():
    figure = plotting.show_grid([IMAGE] * 7, [f"cat {i}" for i in range(7)], "grid", columns=4)
    assert figure._suptitle.get_text() == "grid" and not (figure._supxlabel or figure._supylabel)
    shown = [ax for ax in figure.axes if ax.images]
    assert [ax.get_title() for ax in shown] == [f"cat {i}" for i in range(7)]
    assert all(not ax.get_xticks().size and not ax.get_xlabel() for ax in shown)
    plt.close(figure)


def test_the_window_figure_shows_every_output_position_of_the_first_row_up_to_four():
    figure = plotting.show_window_positions(5, 3, 1, 2, "padding 1, stride 2")
    assert len(figure.axes) == 4, "3 window positions (a 3x3 output) and the output"
    assert figure.axes[-1].get_title() == "output: 3×3"
    windows = [patch.get_x() for ax in figure.axes[:-1] for patch in ax.patches]
    assert windows == [-0.5, 1.5, 3.5], "the window moves 2 columns at a time"
    plt.close(figure)


def test_mismatched_titles_are_refused():
    with pytest.raises(ValueError, match="2 images but 1 titles"):
        plotting.show_images([IMAGE, IMAGE], ["only one"], "x")


def test_validation_every_few_epochs_is_drawn_at_those_epochs():
    history = {
        "loss": [3.0, 2.0, 1.5, 1.2, 1.0, 0.9],
        "accuracy": [0.1] * 6,
        "val_loss": [1.9, 1.1],
        "val_accuracy": [0.4, 0.6],
    }
    figure = plotting.show_history({"run": history}, "validated every third epoch")
    validation = figure.axes[0].get_lines()[1]
    assert list(validation.get_xdata()) == [3, 6]
    plt.close(figure)


def test_a_signed_heat_map_is_centred_on_zero_so_tiny_drops_stay_pale():
    """Occlusion's drops: a map whose largest drop is 0.0002 must not be painted red all over
    (auto-scaled colours did that); the colour scale is symmetric around 0, with a colour bar."""
    drops = np.full((5, 7), 1e-5)
    drops[2, 3], drops[0, 0] = 2.0, -0.5
    figure = plotting.show_heatmap(IMAGE, drops, "occlusion", heatmap_title="score drop", signed=True)
    shown = figure.axes[1].images[0]
    assert shown.get_cmap().name == "RdBu_r" and shown.get_clim() == (-2.0, 2.0)
    assert len(figure.axes) == 4 and "score drop" in figure.axes[-1].get_ylabel(), "a labelled colour bar"
    plt.close(figure)


def test_a_heat_map_of_magnitudes_starts_at_zero_on_a_uniform_colour_map():
    figure = plotting.show_heatmap(IMAGE, np.linspace(0, 0.5, 35).reshape(5, 7), "grad-cam")
    shown = figure.axes[1].images[0]
    assert shown.get_cmap().name != "jet" and shown.get_clim()[0] == 0.0
    plt.close(figure)


def test_feature_maps_share_one_colour_scale_and_count_the_silent_channels():
    maps = np.zeros((6, 6, 10))
    maps[..., 3] = 5.0
    maps[..., 7] = 0.01  # faint: must look faint, not as bright as channel 3
    figure = plotting.show_feature_maps(maps, "maps", count=4, columns=4)
    panels = [ax for ax in figure.axes if ax.images and ax.get_title()]
    assert [ax.get_title() for ax in panels][:2] == ["channel 3", "channel 7"], "the most active first"
    assert {ax.images[0].get_clim() for ax in panels} == {(0.0, 5.0)}
    assert "8 of 10 are 0 everywhere" in figure._suptitle.get_text()
    plt.close(figure)


def test_right_and_wrong_captions_carry_a_symbol_and_no_red_against_green():
    import matplotlib.colors as mcolors

    from cnn_course.plotting import RIGHT_MARK, WRONG_MARK

    images = [np.zeros((4, 4, 3), dtype="uint8")] * 2
    figure = plotting.show_grid(images, ["cat → cat", "cat → dog"], "two predictions", right=[True, False])
    titles = [ax.title for ax in figure.axes[:2]]
    assert titles[0].get_text().startswith("✓") and titles[1].get_text().startswith("✗")
    hues = [mcolors.rgb_to_hsv(mcolors.to_rgb(colour))[0] * 360 for _, colour in (RIGHT_MARK, WRONG_MARK)]
    reddish, greenish = (lambda h: h < 20 or h > 340), (lambda h: 90 < h < 150)
    assert not (any(map(reddish, hues)) and any(map(greenish, hues))), f"hues {hues}: red against green"
    plt.close(figure)


# Colour maps a reader with any kind of colour vision can read: perceptually uniform ones (and
# single-hue ramps) for magnitudes, diverging ones centred on 0 for signed values.
SEQUENTIAL_MAPS = {"viridis", "cividis", "magma", "inferno", "plasma", "gray", "Greys", "Blues", "Reds"}


def test_magnitudes_use_a_uniform_map_and_signed_values_a_diverging_map_centred_on_zero(drawn):
    name, figure = drawn
    for ax in figure.axes:
        for image in ax.get_images():
            data = np.asarray(image.get_array())
            if data.ndim == 3:  # a photo in its own colours: no colour map is involved
                continue
            cmap, (low, high) = image.get_cmap().name, image.get_clim()
            if float(np.nanmin(data)) < 0 < float(np.nanmax(data)):
                assert cmap in plotting.DIVERGING_MAPS, f"{name}: signed values on {cmap}, not a diverging map"
                assert np.isclose(low, -high), f"{name}: a diverging map from {low} to {high}, not centred on 0"
            else:
                assert cmap in SEQUENTIAL_MAPS | plotting.DIVERGING_MAPS, f"{name}: magnitudes on {cmap}"
                if cmap in plotting.DIVERGING_MAPS:
                    assert np.isclose(low, -high), f"{name}: a diverging map off centre ({low} to {high})"


def test_signed_values_on_the_diverging_maps_drawn_by_show_image_and_show_values():
    signed = np.linspace(-1.0, 3.0, 16).reshape(4, 4)
    for ax in (plotting.show_image(signed, "signed", cmap="coolwarm"), plotting.show_values(signed, "v", cmap="RdBu")):
        (image,) = ax.get_images()
        low, high = image.get_clim()
        assert np.isclose(low, -high) and high > 2.5, f"0 must sit at the map's neutral middle, not {low}..{high}"
        plt.close(ax.figure)


def test_verdicts_and_marks_use_the_same_colour_blind_safe_pair_and_a_word_or_symbol():
    import matplotlib.colors as mcolors

    from cnn_course.checks.progress import _SYMBOLS
    from cnn_course.checks.verdict import HEADINGS, VERDICT_COLOURS, Status

    right, wrong = VERDICT_COLOURS[Status.CORRECT], VERDICT_COLOURS[Status.INCORRECT]
    assert (right, wrong) == (plotting.RIGHT_MARK[1], plotting.WRONG_MARK[1]), "one pair of colours for right/wrong"
    hues = [mcolors.rgb_to_hsv(mcolors.to_rgb(colour))[0] * 360 for colour in (right, wrong)]
    reddish, greenish = (lambda h: h < 20 or h > 340), (lambda h: 90 < h < 150)
    assert not (any(map(reddish, hues)) and any(map(greenish, hues))), f"hues {hues}: red against green"
    assert len(set(HEADINGS.values())) == len(Status) and len({s.split()[0] for s in _SYMBOLS.values()}) == len(Status)


def test_every_figure_has_a_text_alternative_that_starts_with_its_title(drawn):
    name, figure = drawn
    text = plotting.alt_text(figure)
    titles = [figure._suptitle.get_text() if figure._suptitle else "", *(ax.get_title() for ax in figure.axes)]
    first = next(" ".join(line.split()) for title in titles for line in title.splitlines() if line.strip())
    assert text.startswith(first), f"{name}: {text!r} does not start with the title {first!r}"
    if name not in {"show_image", "show_images", "show_before_after", "show_receptive_fields", "show_window_positions"}:
        # A helper that knows what its figure is for says the one thing to see, past the titles.
        assert len(text) > len(first) + 30, f"{name}: {text!r} names nothing to see"


def test_a_figure_shown_in_a_notebook_carries_its_text_alternative_in_the_output():
    backend_inline = pytest.importorskip("matplotlib_inline.backend_inline")
    ax = plotting.show_confusion_matrix([0, 1, 1], [0, 0, 1], ["cat", "dog"], "two classes")
    metadata = backend_inline._fetch_figure_metadata(ax.figure)
    assert metadata["image/png"]["alt"] == plotting.alt_text(ax.figure)
    assert "dog taken for cat (1 images)" in metadata["image/png"]["alt"]
    plt.close(ax.figure)


def test_the_helpers_take_what_the_chapters_pass_pandas_series_and_numpy_masks():
    """The chapters pass DataFrame columns (indexed by name) and boolean arrays; describing the
    figure must not index a Series by position or ask an array for its truth."""
    import pandas as pd

    accuracy = pd.Series([0.7, 0.9], index=["first CNN", "better CNN"])
    ax = plotting.bar_chart(list(accuracy.index), accuracy, "Test accuracy", "model", "accuracy", value_format="{:.0%}")
    assert plotting.alt_text(ax.figure).endswith("the largest is better CNN (90%)")
    plt.close(ax.figure)
    images = [np.zeros((4, 4, 3), dtype="uint8")] * 3
    figure = plotting.show_grid(images, ["a", "b", "c"], "three", right=np.array([True, False, True]))
    assert "2 marked right (✓), 1 wrong (✗)" in plotting.alt_text(figure)
    plt.close(figure)
    ax = plotting.line_chart(
        pd.Series([0, 1, 2], index=[5, 6, 7]), pd.Series([0.0, 2.0, 1.0], index=[5, 6, 7]), "t", "s", "v"
    )
    assert plotting.alt_text(ax.figure).endswith("highest (2) at 1")
    plt.close(ax.figure)
