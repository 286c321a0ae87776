"""Checks of a learner's Keras model against the layers, shapes and size a chapter asks for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnn_course.checks.core import Mismatch


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
