"""Shared fixtures; the helpers themselves live in ``tests/helpers.py``."""

from __future__ import annotations

import os

import pytest

from tests.helpers import ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def root():
    return ROOT
