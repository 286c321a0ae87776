# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 1: Convolution maths
#
# A convolutional network sees a photo as a grid of numbers and slides small filters over
# it. In this chapter you build every piece of a convolution layer by hand in NumPy, check
# your pieces against TensorFlow, try classic filters (blur, edges) on a real photo, and
# count parameters to see why convolutions beat dense layers on images.
#
# **You will write:** the output-size formula, 2-D convolution, a multi-channel convolution
# layer with bias, ReLU, max pooling, and parameter counts up to LeNet-5.
#
# **How long it takes.** A CPU is enough and nothing is downloaded: the whole notebook
# runs in under half a minute on a 2-core CPU
# ([measurements](https://github.com/cnn-course/cnn-course/blob/main/docs/benchmarks.md)).
# The nine exercises take about 70 minutes (an estimate).
#
# **Exercises.** Each exercise has a cell marked `YOUR CODE HERE`: replace
# `raise NotImplementedError()` (or fill in each `____`) with your code and run the cell.
# The graded cell below it tests your answer, and the check cell after that says what is
# right or wrong. Stuck? `.hint(1)`, `.hint(2)`, ... give nudges, not the answer;
# `.solution()` shows a reference answer with a short explanation (unless your instructor
# has turned solutions off for a graded class). **Run all** stops at the first exercise
# you have not finished, with a sentence saying what is missing: finish it, then run on
# from there.

# %% [markdown]
# ## Setup
#
# Run this cell first. In Colab it installs the course helper (and leaves TensorFlow,
# Keras and NumPy as Colab ships them); everywhere it prints the versions. This chapter
# needs no GPU.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
COURSE_REPOSITORY = "https://github.com/cnn-course/cnn-course"
COURSE_BRANCH = "main"

import importlib.util
import subprocess
import sys

if "google.colab" in sys.modules and importlib.util.find_spec("cnn_course") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    f"cnn-course @ git+{COURSE_REPOSITORY}@{COURSE_BRANCH}"], check=True)

from cnn_course.environment import prepare

environment = prepare(gpu_needed=False)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import keras
import tensorflow as tf

from cnn_course import photos, plotting, seeding
from cnn_course.checks import chapter01 as ex

SEED = seeding.set_seed()  # one call seeds Python, NumPy and TensorFlow
print(f"random seed {SEED} (set CNN_COURSE_SEED to try another)")

# %% [markdown]
# ## 1. A photo is an array of numbers
#
# To a computer a colour photo is a 3-D array: height × width × 3, one number per pixel
# for each of red, green and blue, from 0 (none) to 255 (full). Our photo is Chelsea the
# cat, which ships with scikit-image, so nothing needs downloading.

# %%
photo = photos.sample_photo()
print("shape:", photo.shape, " dtype:", photo.dtype, " values from", photo.min(), "to", photo.max())
print("the pixel at row 100, column 200 is (R, G, B) =", tuple(int(v) for v in photo[100, 200]))
plotting.show_image(photo, f"Chelsea the cat: a {photo.shape[0]}×{photo.shape[1]}×{photo.shape[2]} array")
plt.show()

# %% [markdown]
# Each colour channel on its own is a grayscale picture. Orange fur is bright in the red
# channel and dark in the blue one.

# %%
plotting.show_images([photo[:, :, c] for c in range(3)], ["red channel", "green channel", "blue channel"],
                     "The three channels of the photo", cmap="gray")
plt.show()

# %% [markdown]
# Most of this chapter works on one channel. We turn the photo into brightness values in
# [0, 1] (a weighted sum of R, G and B) and zoom into a 10×10 patch of the face (fur
# between the eyes) to see the numbers themselves.

# %%
gray = photos.to_grayscale(photo)
face_patch = gray[90:100, 270:280]
print("grayscale shape:", gray.shape, " dtype:", gray.dtype)
plotting.show_values(face_patch * 255, "Brightness (0–255) of a 10×10 patch of fur between the eyes")
plt.show()

# %% [markdown]
# ## 2. How big is the output?
#
# A convolution slides a small **kernel** (say 3×3) over the image. At each position it
# multiplies the kernel with the pixels under it and adds everything up into one output
# value. Two settings change how many positions there are:
#
# - **padding** adds a border of zeros around the input, so the kernel can also sit over
#   the edges;
# - **stride** is the step between two positions: stride 2 skips every other one.
#
# Here a 3×3 window slides over a 5×5 input (dark) framed by one ring of zero padding
# (light), with stride 2: it jumps two columns at a time, so the first output row has 3
# values, and so does every column: the output is 3×3.

# %%
plotting.show_window_positions(size=5, kernel=3, padding=1, stride=2,
                               title="A 3×3 window over a 5×5 input with padding 1 and stride 2")
plt.show()

# %% [markdown]
# Along one side, the kernel's first position starts at 0 and its last must still fit
# inside the padded input.
#
# ### Exercise 1: output size
#
# Write `conv_output_size(size, kernel_size, padding=0, stride=1)` that returns the length
# of one side of the output. For example a 32-pixel side with a 3-pixel kernel gives 30.

# %% nbgrader={"grade": false, "grade_id": "conv_output_size", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_output_size(size, kernel_size, padding=0, stride=1):
    """Length of one side of a convolution's output."""
    ### BEGIN SOLUTION
    # Why: The window starts at 0 and its last position must still fit inside the padded input
    # (size + 2 * padding); keeping every stride-th position and rounding down with // gives the
    # formula the layers use.
    return (size + 2 * padding - kernel_size) // stride + 1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_output_size_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
ex.conv_output_size.grade(conv_output_size)
assert conv_output_size(32, 3) == 30, "a 3-pixel kernel fits 30 times along a 32-pixel side"
assert conv_output_size(5, 3, padding=1) == 5, "padding 1 with a 3-pixel kernel keeps the size"
assert conv_output_size(7, 3, stride=2) == 3
### BEGIN HIDDEN TESTS
assert conv_output_size(227, 11, stride=4) == 55
assert conv_output_size(64, 3, padding=1, stride=2) == 32
assert conv_output_size(9, 2, stride=2) == 4
assert conv_output_size(13, 4, padding=1, stride=3) == 4
assert conv_output_size(28, 5, padding=2) == 28
### END HIDDEN TESTS

# %%
ex.conv_output_size.check(conv_output_size)
# ex.conv_output_size.hint()
# ex.conv_output_size.solution()

# %% [markdown]
# ## 3. Convolution from scratch
#
# Now the operation itself, for a single-channel image. For output position (i, j), take
# the window of the (padded) image that starts at row `i * stride` and column
# `j * stride`, multiply it element by element with the kernel, and sum.
#
# One detail: in signal processing a convolution flips the kernel first. Deep-learning
# libraries skip the flip (strictly, they compute a *cross-correlation*) and still call it
# convolution. Since the network learns its kernels, the flip makes no difference to it.
# Follow the libraries: **no flip**.
#
# ### Exercise 2: `convolve2d`
#
# Write `convolve2d(image, kernel, padding=0, stride=1)` for a 2-D `image` and a 2-D
# `kernel`, with zero padding. Return a float array.

# %% nbgrader={"grade": false, "grade_id": "convolve2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def convolve2d(image, kernel, padding=0, stride=1):
    """Slide `kernel` over `image` (no flip), with zero padding and a stride."""
    ### BEGIN SOLUTION
    # Why: Pad once, then visit every output position: its window starts at row i * stride and
    # column j * stride. Multiplying element by element and summing is a cross-correlation,
    # which is what deep learning calls convolution: the kernel is not flipped.
    padded = np.pad(np.asarray(image, dtype=np.float64), padding)
    kernel_height, kernel_width = kernel.shape
    out_height = (padded.shape[0] - kernel_height) // stride + 1
    out_width = (padded.shape[1] - kernel_width) // stride + 1
    result = np.zeros((out_height, out_width))
    for i in range(out_height):
        for j in range(out_width):
            top, left = i * stride, j * stride
            window = padded[top:top + kernel_height, left:left + kernel_width]
            result[i, j] = np.sum(window * kernel)
    return result
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "convolve2d_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
ex.convolve2d.grade(convolve2d)
tiny_image = np.arange(9.0).reshape(3, 3)
tiny_kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
assert convolve2d(tiny_image, tiny_kernel).shape == (2, 2)
np.testing.assert_allclose(convolve2d(tiny_image, tiny_kernel), [[-4.0, -4.0], [-4.0, -4.0]])
np.testing.assert_allclose(convolve2d(np.ones((4, 4)), np.ones((3, 3)), padding=1)[0, 0], 4.0)
### BEGIN HIDDEN TESTS
from scipy.signal import correlate2d

hidden_rng = np.random.default_rng(7)
hidden_image = hidden_rng.normal(size=(11, 8))
hidden_kernel = hidden_rng.normal(size=(3, 2))
np.testing.assert_allclose(convolve2d(hidden_image, hidden_kernel), correlate2d(hidden_image, hidden_kernel, mode="valid"), atol=1e-9)
hidden_padded = np.pad(hidden_image, 2)
np.testing.assert_allclose(convolve2d(hidden_image, hidden_kernel, padding=2, stride=3), correlate2d(hidden_padded, hidden_kernel, mode="valid")[::3, ::3], atol=1e-9)
assert convolve2d(np.zeros((10, 10)), np.ones((4, 4)), stride=2).shape == (4, 4)
### END HIDDEN TESTS

# %%
ex.convolve2d.check(convolve2d)
# ex.convolve2d.hint()
# ex.convolve2d.solution()

# %% [markdown]
# Here is the arithmetic on a small example: a 5×5 image with a bright vertical stripe,
# and a kernel that responds where brightness changes from left to right.

# %%
stripe = np.zeros((5, 5))
stripe[:, 2] = 9.0
left_to_right = np.array([[-1.0, 0.0, 1.0]] * 3)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), layout="constrained")
plotting.show_values(stripe, "input (5×5)", ax=axes[0])
plotting.show_values(left_to_right, "kernel (3×3)", ax=axes[1])
plotting.show_values(convolve2d(stripe, left_to_right), "output (3×3)", ax=axes[2], cmap="coolwarm")
fig.suptitle("One convolution by hand: positive where it gets brighter, negative where darker")
plt.show()

# %% [markdown]
# ## 4. Classic kernels on a real photo
#
# Before networks learned their kernels, people designed them by hand. Each of these
# turns the cat into something new using only your `convolve2d`.
#
# **Box blur.** Every output pixel is the mean of its neighbourhood: the kernel is all
# ones divided by the number of cells. A bigger box blurs more.

# %%
blur_3x3 = np.ones((3, 3)) / 9
blur_8x8 = np.ones((8, 8)) / 64
plotting.show_before_after(gray, convolve2d(gray, blur_3x3), "3×3 box blur", after_title="blurred (3×3)")
plt.show()
plotting.show_before_after(gray, convolve2d(gray, blur_8x8), "8×8 box blur: stronger smoothing",
                           after_title="blurred (8×8)")
plt.show()

# %% [markdown]
# **Sobel kernels** estimate how fast brightness changes: `sobel_x` from left to right
# (it finds vertical edges such as the whiskers' roots and the eye outline), `sobel_y`
# from top to bottom (horizontal edges). The output is negative where the change goes
# the other way, so we show it with a diverging colour map.

# %%
sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
sobel_y = sobel_x.T
edges_x = convolve2d(gray, sobel_x)
edges_y = convolve2d(gray, sobel_y)
plotting.show_before_after(gray, edges_x, "Sobel x: change from left to right", after_title="Sobel x response",
                           cmap="coolwarm")
plt.show()
plotting.show_before_after(gray, edges_y, "Sobel y: change from top to bottom", after_title="Sobel y response",
                           cmap="coolwarm")
plt.show()

# %% [markdown]
# **Gradient magnitude.** Combining both directions as $\sqrt{g_x^2 + g_y^2}$ measures how
# strong an edge is whatever its direction. Note that this step is not a convolution: a
# network gets the same kind of non-linear combination by stacking convolutions with
# activation functions.

# %%
edge_strength = np.hypot(edges_x, edges_y)
plotting.show_before_after(gray, edge_strength, "Gradient magnitude: edges in every direction",
                           after_title="edge strength")
plt.show()

# %% [markdown]
# ## 5. Many channels, many filters
#
# A colour image has 3 channels, so a filter in the first layer is 3-D too: 3×3×3. At
# each position it multiplies a 3×3×3 block of the image with its 27 weights, sums
# everything and adds one **bias**: one number per position. A 32×32×3 image and one
# 3×3×3 filter give a 30×30×1 map. A layer has many filters, each giving its own map,
# stacked along the last axis: 32 filters give 30×30×32.
#
# We store filters the way TensorFlow does: `filters[kh, kw, in_channels, n_filters]`.
#
# ### Exercise 3: a convolution layer
#
# Write `conv_layer(image, filters, bias)` for an `image` of shape (H, W, C), `filters` of
# shape (kh, kw, C, F) and `bias` of shape (F,). No padding, stride 1. The result has shape
# (H − kh + 1, W − kw + 1, F).

# %% nbgrader={"grade": false, "grade_id": "conv_layer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_layer(image, filters, bias):
    """Multi-channel convolution (valid padding, stride 1) plus one bias per filter."""
    ### BEGIN SOLUTION
    # Why: Each filter spans all input channels, so one window times one filter, summed over
    # height, width and channels, gives one number; tensordot over those three axes does that
    # for every filter at once, then each filter's bias is added.
    kh, kw, _, n_filters = filters.shape
    rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    feature_maps = np.zeros((rows, cols, n_filters))
    for i in range(rows):
        for j in range(cols):
            block = image[i:i + kh, j:j + kw, :]
            feature_maps[i, j, :] = np.tensordot(block, filters, axes=3) + bias
    return feature_maps
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_layer_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
ex.conv_layer.grade(conv_layer)
ones_image = np.ones((5, 5, 3))
ones_filters = np.ones((3, 3, 3, 2))
assert conv_layer(ones_image, ones_filters, np.array([0.0, 1.0])).shape == (3, 3, 2)
np.testing.assert_allclose(conv_layer(ones_image, ones_filters, np.array([0.0, 1.0]))[0, 0], [27.0, 28.0])
### BEGIN HIDDEN TESTS
hidden_rng = np.random.default_rng(11)
hidden_batch = hidden_rng.normal(size=(1, 9, 7, 3)).astype(np.float32)
hidden_filters = hidden_rng.normal(size=(3, 2, 3, 4)).astype(np.float32)
hidden_bias = hidden_rng.normal(size=4).astype(np.float32)
hidden_reference = tf.nn.conv2d(hidden_batch, hidden_filters, strides=1, padding="VALID")[0].numpy() + hidden_bias
np.testing.assert_allclose(conv_layer(hidden_batch[0], hidden_filters, hidden_bias), hidden_reference, atol=1e-4)
assert conv_layer(np.zeros((32, 32, 3)), np.zeros((3, 3, 3, 32)), np.zeros(32)).shape == (30, 30, 32)
### END HIDDEN TESTS

# %%
ex.conv_layer.check(conv_layer)
# ex.conv_layer.hint()
# ex.conv_layer.solution()

# %% [markdown]
# Let's confirm the shapes from the text, and that your layer computes exactly what
# TensorFlow's `tf.nn.conv2d` computes (TensorFlow works on batches, hence the extra first
# axis).

# %%
rng = np.random.default_rng(SEED)
small_image = rng.random((32, 32, 3)).astype(np.float32)
one_filter = rng.normal(size=(3, 3, 3, 1)).astype(np.float32)
many_filters = rng.normal(size=(3, 3, 3, 32)).astype(np.float32)
many_biases = rng.normal(size=32).astype(np.float32)

print("one 3×3×3 filter:", conv_layer(small_image, one_filter, np.zeros(1)).shape)
ours = conv_layer(small_image, many_filters, many_biases)
theirs = tf.nn.conv2d(small_image[np.newaxis], many_filters, strides=1, padding="VALID")[0].numpy() + many_biases
print("32 filters:", ours.shape, "| TensorFlow:", theirs.shape)
print("largest difference from tf.nn.conv2d:", float(np.abs(ours - theirs).max()))

# %% [markdown]
# ## 6. ReLU: keep what was found
#
# A convolution is linear, and stacking linear steps gives just another linear step. An
# **activation function** between layers breaks that. The most common is ReLU,
# $\max(0, x)$: a positive response means "this pattern is here", and everything else
# becomes 0. ReLU does not change the shape.
#
# ### Exercise 4: ReLU
#
# Write `relu(x)` for an array of any shape. Return a new array; leave `x` unchanged.

# %% nbgrader={"grade": false, "grade_id": "relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu(x):
    """Element-wise max(0, x), as a new array."""
    ### BEGIN SOLUTION
    # Why: np.maximum compares element by element and returns a new array: negative values
    # become 0, the shape stays and the input is not changed.
    return np.maximum(x, 0.0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "relu_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
ex.relu.grade(relu)
np.testing.assert_array_equal(relu(np.array([-3.0, 0.0, 2.5])), [0.0, 0.0, 2.5])
assert relu(np.zeros((2, 3, 4))).shape == (2, 3, 4)
### BEGIN HIDDEN TESTS
hidden_values = np.linspace(-5, 5, 41).reshape(41, 1)
np.testing.assert_allclose(relu(hidden_values), tf.nn.relu(hidden_values).numpy())
hidden_input = np.array([-1.0, 4.0])
relu(hidden_input)
np.testing.assert_array_equal(hidden_input, [-1.0, 4.0])
### END HIDDEN TESTS

# %%
ex.relu.check(relu)
# ex.relu.hint()
# ex.relu.solution()

# %% [markdown]
# On the Sobel-x response, ReLU keeps only the edges where the photo gets brighter from
# left to right.

# %%
plotting.show_images([edges_x, relu(edges_x)], ["Sobel x response", "after ReLU"],
                     "ReLU sets every negative response to 0", cmap="coolwarm")
plt.show()

# %% [markdown]
# ## 7. Max pooling: keep the strongest response
#
# **Max pooling** shrinks a feature map by keeping the largest value of each 2×2 block
# (window 2, stride 2), which halves height and width. It has nothing to learn; it makes
# later layers cheaper and lets them see a wider part of the image. Rows or columns that
# do not fill a whole block are dropped, as Keras does by default. Each channel is pooled
# on its own.
#
# ### Exercise 5: max pooling
#
# Write `max_pool(x, size=2)` for an array of shape (H, W) or (H, W, C) that returns the
# maximum of each `size`×`size` block.

# %% nbgrader={"grade": false, "grade_id": "max_pool", "locked": false, "schema_version": 3, "solution": true, "task": false}
def max_pool(x, size=2):
    """Max over non-overlapping size×size blocks (leftover rows and columns dropped)."""
    ### BEGIN SOLUTION
    # Why: Cropping to whole windows and reshaping to (rows, size, columns, size, ...) puts each
    # window on its own two axes; the maximum over them is the pooled value, and channels are
    # never mixed.
    pooled_height, pooled_width = x.shape[0] // size, x.shape[1] // size
    trimmed = x[:pooled_height * size, :pooled_width * size]
    blocks = trimmed.reshape(pooled_height, size, pooled_width, size, *x.shape[2:])
    return blocks.max(axis=(1, 3))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "max_pool_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
ex.max_pool.grade(max_pool)
counting = np.arange(16.0).reshape(4, 4)
np.testing.assert_array_equal(max_pool(counting), [[5.0, 7.0], [13.0, 15.0]])
assert max_pool(np.zeros((5, 7))).shape == (2, 3), "leftover rows and columns are dropped"
### BEGIN HIDDEN TESTS
hidden_maps = np.random.default_rng(5).normal(size=(1, 9, 6, 3)).astype(np.float32)
hidden_pooled = keras.layers.MaxPooling2D(2)(hidden_maps)[0].numpy()
np.testing.assert_allclose(max_pool(hidden_maps[0]), hidden_pooled)
assert max_pool(np.zeros((9, 9)), size=3).shape == (3, 3)
### END HIDDEN TESTS

# %%
ex.max_pool.check(max_pool)
# ex.max_pool.hint()
# ex.max_pool.solution()

# %% [markdown]
# Pooling the photo twice keeps its content at a quarter of the width and height, with
# one sixteenth of the numbers.

# %%
pooled_once = max_pool(photo)
pooled_twice = max_pool(pooled_once)
plotting.show_images([photo, pooled_once, pooled_twice],
                     [f"original {photo.shape}", f"pooled once {pooled_once.shape}", f"pooled twice {pooled_twice.shape}"],
                     "2×2 max pooling halves height and width each time")
plt.show()

# %% [markdown]
# ## 8. Counting parameters: why convolutions?
#
# Why not feed the pixels straight into a **dense** (fully connected) layer? In a dense
# layer every input connects to every unit, with one weight per connection, plus one bias
# per unit. Take a 256×256 colour photo (196,608 numbers) and a first layer of 1,000
# units.
#
# ### Exercise 6: dense layer parameters
#
# Write `dense_params(n_inputs, units, use_bias=True)` that returns the number of
# parameters of a dense layer.

# %% nbgrader={"grade": false, "grade_id": "dense_params", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dense_params(n_inputs, units, use_bias=True):
    """Weights (plus biases) of a fully connected layer."""
    ### BEGIN SOLUTION
    # Why: Every input meets every unit through its own weight (inputs x units), plus one bias
    # per unit.
    return n_inputs * units + (units if use_bias else 0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "dense_params_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
ex.dense_params.grade(dense_params)
assert dense_params(4, 3, use_bias=False) == 12
assert dense_params(4, 3) == 15
### BEGIN HIDDEN TESTS
assert dense_params(32 * 32 * 3, 100, use_bias=False) == 307_200
assert dense_params(120, 84) == 10_164
assert dense_params(1600, 256) == 409_856
### END HIDDEN TESTS

# %%
ex.dense_params.check(dense_params)
# ex.dense_params.hint()
# ex.dense_params.solution()

# %% [markdown]
# A convolution layer's filters do not depend on the image size: one 3×3×3 filter is
# reused at every position of the photo. This **weight sharing** is the whole trick. A
# pattern (an edge, an eye) looks the same wherever it appears, so one set of weights can
# look for it everywhere.
#
# ### Exercise 7: convolution layer parameters
#
# Write `conv_params(kernel_size, in_channels, filters, use_bias=True)` for a layer of
# `filters` square kernels of side `kernel_size` over `in_channels` input channels.

# %% nbgrader={"grade": false, "grade_id": "conv_params", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_params(kernel_size, in_channels, filters, use_bias=True):
    """Weights (plus biases) of a 2-D convolution layer with square kernels."""
    ### BEGIN SOLUTION
    # Why: A filter's weights do not depend on the image size: kernel x kernel x input channels
    # per filter, times the number of filters, plus one bias each.
    weights_per_filter = kernel_size * kernel_size * in_channels
    return filters * (weights_per_filter + (1 if use_bias else 0))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv_params_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
ex.conv_params.grade(conv_params)
assert conv_params(3, 3, 32) == 896
assert conv_params(3, 3, 32, use_bias=False) == 864
### BEGIN HIDDEN TESTS
hidden_conv = keras.Sequential([keras.Input((20, 20, 32)), keras.layers.Conv2D(64, 3)])
assert conv_params(3, 32, 64) == hidden_conv.count_params() == 18_496
assert conv_params(5, 1, 6) == 156
### END HIDDEN TESTS

# %%
ex.conv_params.check(conv_params)
# ex.conv_params.hint()
# ex.conv_params.solution()

# %% [markdown]
# ### Exercise 8: how much memory?
#
# Each parameter is stored as a floating-point number: 4 bytes in `float32` (what Keras
# uses by default), 8 in `float64`. Write `memory_gb(n_numbers, dtype)` that returns how
# many gigabytes (10⁹ bytes) `n_numbers` values of that dtype take.

# %% nbgrader={"grade": false, "grade_id": "memory_gb", "locked": false, "schema_version": 3, "solution": true, "task": false}
def memory_gb(n_numbers, dtype):
    """Gigabytes (10**9 bytes) needed to store n_numbers values of the given dtype."""
    ### BEGIN SOLUTION
    # Why: Bytes per number (the dtype's itemsize) times the count, divided by 10**9 for decimal
    # gigabytes.
    return n_numbers * np.dtype(dtype).itemsize / 1e9
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "memory_gb_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
ex.memory_gb.grade(memory_gb)
assert abs(memory_gb(10**9, "float32") - 4.0) < 1e-9
assert abs(memory_gb(10**9, "float64") - 8.0) < 1e-9
### BEGIN HIDDEN TESTS
assert abs(memory_gb(4_791_809, "float32") - 0.019167236) < 1e-12
assert abs(memory_gb(16_812_353, "float64") - 0.134498824) < 1e-12
assert abs(memory_gb(500, "float16") - 1e-6) < 1e-15
### END HIDDEN TESTS

# %%
ex.memory_gb.check(memory_gb)
# ex.memory_gb.hint()
# ex.memory_gb.solution()

# %% [markdown]
# Put together, for that 256×256×3 photo:

# %%
photo_inputs = 256 * 256 * 3
dense_weights = dense_params(photo_inputs, 1000, use_bias=False)
conv_weights = conv_params(3, 3, 32, use_bias=False)
print(f"dense layer, 1,000 units: {dense_weights:,} weights = "
      f"{memory_gb(dense_weights, 'float32'):.2f} GB in float32, {memory_gb(dense_weights, 'float64'):.2f} GB in float64")
print(f"conv layer, 32 filters of 3×3×3: {conv_weights:,} weights = {memory_gb(conv_weights, 'float32') * 1e6:.1f} kB")
print(f"the dense layer has {dense_weights / conv_weights:,.0f} times the weights of the conv layer")
plotting.bar_chart(["dense, 1,000 units", "conv, 32 filters 3×3"], [dense_weights, conv_weights],
                   "Weights of a first layer on a 256×256×3 photo", "layer", "weights (log scale)", log=True)
plt.show()

# %% [markdown]
# The dense layer needs about 0.79 GB for its first layer alone (1.57 GB in float64), and
# about 227,556 times the weights of the convolution layer (printed above), which looks at
# the whole photo with 864 weights. Watch the units when you do this sum: 1,572,864,000 bytes is 1.57
# *gigabytes*, not terabytes. The dense layer also treats neighbouring pixels no
# differently from distant ones, so it throws away the layout of the image.

# %% [markdown]
# ## 9. LeNet-5, layer by layer
#
# LeNet-5 (LeCun et al., 1998) read handwritten digits from 32×32 grayscale images and
# set the pattern CNNs still follow: convolutions and pooling first, dense layers at the
# end. In its modern form:
#
# | layer | what it is | output |
# |---|---|---|
# | C1 | 6 filters 5×5 | 28×28×6 |
# | S2 | 2×2 pooling | 14×14×6 |
# | C3 | 16 filters 5×5 | 10×10×16 |
# | S4 | 2×2 pooling | 5×5×16 |
# | C5 | 120 filters 5×5 | 1×1×120 |
# | F6 | dense, 84 units | 84 |
# | output | dense, 10 units | 10 |
#
# (The 1998 paper wired C3 to only some of S2's maps and gave its pooling layers a
# trainable scale and bias; the modern form connects everything and pools with no
# parameters.)
#
# ### Exercise 9: LeNet-5's parameters
#
# Write `lenet5_params()` that returns a dict from layer name (`"C1"`, `"S2"`, `"C3"`,
# `"S4"`, `"C5"`, `"F6"`, `"output"`, in this order) to its number of parameters. Use
# your `conv_params` and `dense_params`.

# %% nbgrader={"grade": false, "grade_id": "lenet5_params", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lenet5_params():
    """Parameters of each layer of the modern LeNet-5, in order."""
    ### BEGIN SOLUTION
    # Why: The two counting functions, layer by layer; what changes is each layer's input depth
    # (1, then C1's 6 maps, then C3's 16) and pooling layers have nothing to learn.
    return {
        "C1": conv_params(5, 1, 6),
        "S2": 0,
        "C3": conv_params(5, 6, 16),
        "S4": 0,
        "C5": conv_params(5, 16, 120),
        "F6": dense_params(120, 84),
        "output": dense_params(84, 10),
    }
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "lenet5_params_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
ex.lenet5_params.grade(lenet5_params)
lenet5_counts = lenet5_params()
assert list(lenet5_counts) == ["C1", "S2", "C3", "S4", "C5", "F6", "output"]
assert lenet5_counts["C1"] == 156
### BEGIN HIDDEN TESTS
assert lenet5_counts["S2"] == lenet5_counts["S4"] == 0
assert lenet5_counts["C3"] == 2416
assert lenet5_counts["C5"] == 48120
assert lenet5_counts["F6"] == 10164 and lenet5_counts["output"] == 850
assert sum(lenet5_counts.values()) == 61706
### END HIDDEN TESTS

# %%
ex.lenet5_params.check(lenet5_params)
# ex.lenet5_params.hint()
# ex.lenet5_params.solution()

# %% [markdown]
# Keras agrees. Here is the same network built with layers; `summary()` lists each layer's
# output shape and parameters.

# %%
lenet5 = keras.Sequential([
    keras.Input(shape=(32, 32, 1)),
    keras.layers.Conv2D(6, 5, activation="tanh", name="C1"),
    keras.layers.AveragePooling2D(2, name="S2"),
    keras.layers.Conv2D(16, 5, activation="tanh", name="C3"),
    keras.layers.AveragePooling2D(2, name="S4"),
    keras.layers.Conv2D(120, 5, activation="tanh", name="C5"),
    keras.layers.Flatten(name="flatten"),
    keras.layers.Dense(84, activation="tanh", name="F6"),
    keras.layers.Dense(10, activation="softmax", name="output"),
], name="LeNet5")
lenet5.summary()

# %%
keras_counts = {layer.name: layer.count_params() for layer in lenet5.layers if layer.name != "flatten"}
comparison = pd.DataFrame({"your count": lenet5_params(), "Keras": keras_counts})
comparison.loc["total"] = comparison.sum()
total = sum(keras_counts.values())
print(f"C5 and the dense layers: {(keras_counts['C5'] + keras_counts['F6'] + keras_counts['output']) / total:.1%} "
      f"of the parameters; C5 alone {keras_counts['C5'] / total:.1%}; C1 and C3: {keras_counts['C1'] + keras_counts['C3']:,}")
comparison

# %% [markdown]
# 95.8% of LeNet-5's 61,706 parameters sit in C5 and the dense layers at the end (C5
# alone holds 78%); the first two convolution layers, which scan the whole image, need
# only 2,572 (all printed above).

# %%
plotting.bar_chart(list(keras_counts), list(keras_counts.values()), "LeNet-5: parameters per layer",
                   "layer", "parameters")
plt.show()

# %% [markdown]
# ## Summary
#
# - An image is an array: height × width × channels.
# - A convolution slides a kernel over it and takes a weighted sum at each position;
#   padding and stride set the output size, `(n + 2p − k) // s + 1`.
# - A layer's filters span all input channels; each filter adds a bias and makes one map.
# - ReLU keeps positive responses; max pooling keeps the strongest per block and halves
#   the size.
# - Weight sharing makes convolution layers tiny next to dense layers on images.
#
# **Next:** Chapter 2 puts these layers together into a CNN and trains it on CIFAR-10.

# %% [markdown]
# ## Your progress
#
# Every exercise of this chapter, checked again on your answers (nothing is retrained).
# After a break or a kernel restart, run the setup cell and the import cell, then this one:
# answers the kernel no longer holds are read from the saved notebook.

# %%
ex.progress()
