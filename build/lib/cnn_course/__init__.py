"""Helpers for the CNN course notebooks.

Kept light on purpose: importing ``cnn_course`` pulls in no TensorFlow, so the setup
cell can check the environment before anything heavy is loaded.
"""

__version__ = "0.1.0"
