"""Looking inside a trained CNN: what it sees, and where it looks.

- :func:`feature_maps`: the outputs of convolution layers for one image;
- :func:`visualize_filter`: the input pattern a filter responds to most (gradient ascent);
- :func:`occlusion_map`: how much the score drops when each part of the image is hidden;
- :func:`grad_cam`: class-specific heat map from the gradients at a convolution layer
  (:func:`heatmap_from_gradients` is its last step).

Grad-CAM and occlusion explain the class score *before* the softmax or sigmoid
(:func:`class_logits`), as Selvaraju et al. do: a confident prediction's probability is
exactly 1.0 in float32, and its gradient exactly 0, so a probability would explain nothing.

Each works for models built with ``keras.Sequential`` and with the functional API. The
model must be one flat model (a base and a head joined with ``keras.Model(base.input,
head(base.output))``), so every layer can be reached by name.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from cnn_course.errors import CourseError


class LayerError(CourseError):
    """The layer asked for is not a usable layer of this model."""


def conv_layer_names(model: keras.Model) -> list[str]:
    """Names of the layers whose output is a stack of feature maps (batch, height, width, channels)."""
    names = []
    for layer in model.layers:
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        if len(shape) == 4 and "conv" in type(layer).__name__.lower():
            names.append(layer.name)
    return names


def _layer(model: keras.Model, name: str | None) -> keras.layers.Layer:
    convs = conv_layer_names(model)
    if not convs:
        raise LayerError(f"model {model.name!r} has no convolution layer to look at")
    if name is None:
        name = convs[-1]
    try:
        return model.get_layer(name)
    except ValueError:
        raise LayerError(f"model {model.name!r} has no layer {name!r}; its convolution layers are {convs}") from None


def _with_outputs(model: keras.Model, layers: list[keras.layers.Layer]) -> keras.Model:
    """A model with the same input that returns the given layers' outputs and, last, the input of
    the model's final layer (from which :func:`_logits` computes the class scores)."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise LayerError(
            f"model {model.name!r} has no defined input yet: build it with keras.Input(shape=...) "
            "or call it on a batch first"
        )
    return keras.Model(
        inputs[0] if len(inputs) == 1 else inputs, [layer.output for layer in layers] + [model.layers[-1].input]
    )


def _logits(classifier: keras.layers.Layer, features: tf.Tensor) -> tf.Tensor:
    """The final layer's output without its softmax or sigmoid: the class scores (logits)."""
    if isinstance(classifier, (keras.layers.Activation, keras.layers.Softmax)):
        return tf.cast(features, tf.float32)
    activation = getattr(classifier, "activation", None)
    if activation is None:
        return tf.cast(classifier(features, training=False), tf.float32)
    # keras.io's Grad-CAM example sets the activation to None for good; we put it back.
    classifier.activation = None
    try:
        return tf.cast(classifier(features, training=False), tf.float32)
    finally:
        classifier.activation = activation


def _logit_function(model: keras.Model):
    """``batch -> logits`` for ``model``, its sub-model built once (occlusion calls it often)."""
    explainer, classifier = _with_outputs(model, []), model.layers[-1]
    # A model with a one-item list of outputs gives back the tensor itself, not a list.
    return lambda batch: _logits(classifier, explainer(_batch(batch), training=False)).numpy()


def class_logits(model: keras.Model, batch: np.ndarray) -> np.ndarray:
    """The class scores before the final softmax or sigmoid for a batch: (batch, classes) logits.

    With one sigmoid unit the single column is the logit of class 1 (its score for class 0 is
    the negative). These move with the evidence however confident the model is; probabilities
    stop at exactly 0 or 1 in float32."""
    return _logit_function(model)(batch)


def _batch(image: np.ndarray) -> tf.Tensor:
    image = np.asarray(image, dtype=np.float32)
    return tf.convert_to_tensor(image[np.newaxis] if image.ndim == 3 else image)


def _class_score(logits: tf.Tensor, class_index: int | None) -> tuple[tf.Tensor, int]:
    """The score to explain, a logit. One sigmoid unit: class 1's score is the logit, class 0's
    its negative (as 1 - sigmoid(z) = sigmoid(-z))."""
    if logits.shape[-1] == 1:
        logit = logits[:, 0]
        if class_index is None:
            class_index = int(logit[0] >= 0)
        return (logit if class_index == 1 else -logit), class_index
    if class_index is None:
        class_index = int(tf.argmax(logits[0]))
    return logits[:, class_index], class_index


def examples_to_explain(labels: np.ndarray, dog_scores: np.ndarray, low: float = 0.7, high: float = 0.95) -> list[int]:
    """For each class of a one-sigmoid classifier, the first photo it got right with a middling
    probability (``low`` to ``high`` for its true class) and the first it got wrong: the photos
    whose explanations teach something (Chapter 3 shows the loop)."""
    labels, dog_scores = np.asarray(labels).ravel(), np.asarray(dog_scores).ravel()
    true_class_probability = np.where(labels == 1, dog_scores, 1 - dog_scores)
    wrong = (dog_scores > 0.5).astype(int) != labels
    examples = []
    for label in (0, 1):
        middling = np.flatnonzero(
            (labels == label) & ~wrong & (true_class_probability >= low) & (true_class_probability <= high)
        )
        examples += [int(found[0]) for found in (middling, np.flatnonzero((labels == label) & wrong)) if len(found)]
    return examples


def feature_maps(model: keras.Model, image: np.ndarray, layer_names: list[str] | None = None) -> dict[str, np.ndarray]:
    """``{layer name: (height, width, channels) array}`` for one image (default: every conv layer)."""
    layers = [_layer(model, name) for name in (layer_names or conv_layer_names(model) or [None])]
    outputs = _with_outputs(model, layers)(_batch(image), training=False)
    return {layer.name: np.asarray(output[0]) for layer, output in zip(layers, outputs[:-1])}


def grad_cam(
    model: keras.Model, image: np.ndarray, layer_name: str | None = None, class_index: int | None = None
) -> tuple[np.ndarray, int]:
    """Grad-CAM heat map in [0, 1] at the layer's resolution, and the class it explains.

    The gradients of the class score (its logit) with respect to the layer's maps, averaged over each
    map, weigh the maps; their ReLU'd sum shows where evidence for the class lies
    (Selvaraju et al., 2017). The default layer is the last convolution layer and the
    default class the predicted one.
    """
    layer = _layer(model, layer_name)
    explainer = _with_outputs(model, [layer])
    with tf.GradientTape() as tape:
        maps, features = explainer(_batch(image), training=False)
        score, class_index = _class_score(_logits(model.layers[-1], features), class_index)
    gradients = tape.gradient(score, maps)
    return heatmap_from_gradients(maps[0], gradients[0]), class_index


def heatmap_from_gradients(maps: np.ndarray | tf.Tensor, gradients: np.ndarray | tf.Tensor) -> np.ndarray:
    """Grad-CAM's last step for one image: (height, width, channels) maps and the class score's
    gradients with respect to them give a (height, width) heat map in [0, 1]."""
    weights = tf.reduce_mean(tf.cast(gradients, tf.float32), axis=(0, 1))  # one weight per map
    cam = tf.nn.relu(tf.reduce_sum(tf.cast(maps, tf.float32) * weights, axis=-1)).numpy()
    peak = cam.max()
    return cam / peak if peak > 0 else cam


def occlusion_map(
    model: keras.Model,
    image: np.ndarray,
    patch: int = 8,
    stride: int = 4,
    class_index: int | None = None,
    fill: float | None = None,
    batch_size: int = 64,
) -> tuple[np.ndarray, int]:
    """How much the class score (its logit) falls when a ``patch`` square (the image's mean
    colour by default) hides each place.

    Returns ``(drops, class_index)``; ``drops[i, j]`` is the fall in score with the patch at
    row ``i * stride``, column ``j * stride``. Large values mark what the model relies on;
    negative ones, places whose hiding makes the model surer of the class.
    """
    image = np.asarray(image, dtype=np.float32)
    height, width = image.shape[:2]
    if patch > min(height, width):
        raise ValueError(f"patch {patch} is larger than the image ({height}x{width})")
    fill = float(image.mean()) if fill is None else fill
    logits_of = _logit_function(model)
    baseline, class_index = _class_score(logits_of(image), class_index)
    rows = range(0, height - patch + 1, stride)
    cols = range(0, width - patch + 1, stride)
    hidden = []
    for top in rows:
        for left in cols:
            copy = image.copy()
            copy[top : top + patch, left : left + patch] = fill
            hidden.append(copy)
    scores = []
    for start in range(0, len(hidden), batch_size):
        logits = logits_of(np.stack(hidden[start : start + batch_size]))
        scores.append(np.asarray(_class_score(logits, class_index)[0]))
    drops = float(baseline[0]) - np.concatenate(scores)
    return drops.reshape(len(rows), len(cols)), class_index


def visualize_filter(
    model: keras.Model, layer_name: str, filter_index: int, steps: int = 40, step_size: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, float, float]:
    """The input that excites one filter most, found by gradient ascent from faint noise.

    Returns ``(image in [0, 1], mean activation before, mean activation after)``.
    """
    layer = _layer(model, layer_name)
    channels = layer.output.shape[-1]
    if not 0 <= filter_index < channels:
        raise LayerError(f"layer {layer.name!r} has filters 0 to {channels - 1}, not {filter_index}")
    probe = _with_outputs(model, [layer])
    shape = tuple(model.inputs[0].shape[1:])
    if None in shape:
        raise LayerError("visualize_filter needs a model with a fixed input size")
    rng = np.random.default_rng(seed)
    image = tf.Variable(rng.uniform(0.4, 0.6, size=(1, *shape)).astype(np.float32))

    def activation() -> tf.Tensor:
        # Skip the border, where padding effects dominate.
        maps = probe(image, training=False)[0][..., filter_index]
        return tf.reduce_mean(maps[:, 2:-2, 2:-2] if maps.shape[1] > 4 else maps)

    before = float(activation())
    for _ in range(steps):
        with tf.GradientTape() as tape:
            value = activation()
        gradient = tape.gradient(value, image)
        gradient /= tf.norm(gradient) + 1e-8
        image.assign_add(step_size * gradient)
    after = float(activation())
    pattern = image.numpy()[0]
    pattern = (pattern - pattern.mean()) / (pattern.std() + 1e-8) * 0.15 + 0.5  # visible contrast around grey
    return np.clip(pattern, 0, 1), before, after
