"""Checks of a learner's Keras model against the layers, shapes and size a chapter asks for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnn_course.checks.verdict import Mismatch


def require_model(model: Any, function_name: str):
    import keras

    if not isinstance(model, keras.Model):
        raise Mismatch(f"{function_name}() should return a Keras model, got {type(model).__name__}.")
    return model


def check_structure(
    model: Any, kinds: Sequence[str], shapes: Sequence[tuple], parameters: int, last_activation: str, shape_advice: str
) -> None:
    """Layer types in order, each layer's output shape, the last activation and the parameter count."""
    got_kinds = [type(layer).__name__ for layer in model.layers]
    if got_kinds != list(kinds):
        first = next((i for i, (a, b) in enumerate(zip(got_kinds, kinds)) if a != b), min(len(got_kinds), len(kinds)))
        wanted = kinds[first] if first < len(kinds) else "nothing (the model should end here)"
        got = got_kinds[first] if first < len(got_kinds) else "nothing"
        raise Mismatch(
            f"layer {first + 1} should be {wanted}, got {got} "
            f"(expected {len(kinds)} layers: {', '.join(kinds)}; got {len(got_kinds)})."
        )
    for index, (layer, shape) in enumerate(zip(model.layers, shapes), start=1):
        got_shape = tuple(layer.output.shape[1:])
        if got_shape != tuple(shape):
            raise Mismatch(
                f"layer {index} ({type(layer).__name__}) should output {tuple(shape)}, got {got_shape}. " + shape_advice
            )
    activation = model.layers[-1].get_config().get("activation")
    if activation != last_activation:
        raise Mismatch(f"the last layer should use a {last_activation} activation, got {activation}.")
    if model.count_params() != parameters:
        raise Mismatch(f"the model should have {parameters:,} parameters, got {model.count_params():,}.")


@dataclass(frozen=True)
class LayerSpec:
    """What one layer of a model exercise must be: its type, its output shape (without the batch
    axis) and the settings the text asks for, compared with ``layer.get_config()``."""

    kind: str
    output: tuple
    settings: Mapping[str, Any] = field(default_factory=dict)


def conv(filters: int, output: tuple, kernel: int = 3, activation: str = "relu", padding: str = "valid") -> LayerSpec:
    settings = {"filters": filters, "kernel_size": (kernel, kernel), "strides": (1, 1), "padding": padding}
    return LayerSpec("Conv2D", output, {**settings, "activation": activation})


def dense(units: int, output: tuple, activation: str) -> LayerSpec:
    return LayerSpec("Dense", output, {"units": units, "activation": activation})


def max_pool(output: tuple, size: int = 2) -> LayerSpec:
    return LayerSpec("MaxPooling2D", output, {"pool_size": (size, size)})


def dropout(rate: float, output: tuple) -> LayerSpec:
    return LayerSpec("Dropout", output, {"rate": rate})


# Why a setting matters, for the message when it is wrong.
SETTING_ADVICE = {
    "activation": "Without an activation between them, stacked layers collapse into one linear map (Chapter 1): "
    "hidden layers use relu, the last layer the activation that turns scores into probabilities.",
    "kernel_size": "The text asks for 3x3 windows.",
    "padding": "'valid' (the default) means no padding, so each 3x3 convolution trims a pixel on every side.",
    "strides": "The window moves one pixel at a time (the default strides=1).",
    "rate": "The dropout rate is the share of inputs set to 0 during training.",
}


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, float):
        return isinstance(got, int | float) and abs(float(got) - expected) < 1e-6
    if isinstance(expected, tuple):
        return isinstance(got, list | tuple) and tuple(got) == expected
    return got == expected


def check_layers(model: Any, specs: Sequence[LayerSpec], parameters: int, shape_advice: str) -> None:
    """Every layer against its spec, in order: type, output shape, each setting; then the parameter count.
    The first difference raises a :class:`Mismatch` that names the layer, the setting and why it matters."""
    check_structure(
        model,
        [spec.kind for spec in specs],
        [spec.output for spec in specs],
        parameters,
        specs[-1].settings.get("activation", "linear"),
        shape_advice,
    )
    for index, (layer, spec) in enumerate(zip(model.layers, specs), start=1):
        check_settings(layer, spec, f"layer {index}")


def check_settings(layer: Any, spec: LayerSpec, label: str) -> None:
    """Each setting of ``spec`` against ``layer.get_config()``; a difference names the setting and why it matters."""
    config = layer.get_config()
    for key, expected in spec.settings.items():
        got = config.get(key)
        if not _same(expected, got):
            raise Mismatch(
                f"{label} ({spec.kind}) should have {key}={expected!r}, got {got!r}. " + SETTING_ADVICE.get(key, "")
            )


def compile_setting_name(setting: Any) -> str:
    """A compile setting as Keras names it, whether it was passed as a string, an object or a
    function (``get_compile_config`` gives objects as dicts with a config)."""
    if isinstance(setting, str):
        return setting
    if isinstance(setting, dict):
        config = setting.get("config")
        if isinstance(config, str):  # a function (keras.losses.binary_crossentropy) serialises as its name
            return config
        return str((config or {}).get("name") or setting.get("class_name", ""))
    return str(getattr(setting, "name", None) or getattr(setting, "__name__", None) or type(setting).__name__)
