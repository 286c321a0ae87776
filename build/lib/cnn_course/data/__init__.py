"""The chapters' datasets, reached the ordinary way or from a local copy.

Notebooks write ``from cnn_course import data`` and call

- ``data.load_cifar10(source=None)`` (Chapter 2): arrays shaped like
  ``keras.datasets.cifar10.load_data()``, see :mod:`cnn_course.data.cifar10`;
- ``data.load_cats_vs_dogs(source=None, full=False)`` (Chapters 3 and 4): folders of photos
  split into ``train/``, ``validation/`` and ``test/``, see :mod:`cnn_course.data.cats_vs_dogs`.

The parts behind them: :mod:`~cnn_course.data.downloads` (cache, hash check, mirrors),
:mod:`~cnn_course.data.photo_folders` (layout checks, unusable photos) and
:mod:`~cnn_course.data.splits` (the one stratified splitter).
"""

from cnn_course.data.cats_vs_dogs import PhotoSet, PhotoSetError, load_cats_vs_dogs
from cnn_course.data.cifar10 import CIFAR10_ARCHIVE, CIFAR10_CLASSES, DataError, load_cifar10

__all__ = [
    "CIFAR10_ARCHIVE",
    "CIFAR10_CLASSES",
    "DataError",
    "PhotoSet",
    "PhotoSetError",
    "load_cats_vs_dogs",
    "load_cifar10",
]
