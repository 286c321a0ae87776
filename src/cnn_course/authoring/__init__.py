"""Instructor tools for writing the course: ``cnn-course build`` (the student release, reference
answers, exercise times), ``run``, ``publish`` and the website.

Stands on ``course`` (the course on disk) and ``kernels`` (running notebooks), beside
``grading``. Needs the ``instructor`` extra (nbgrader, jupytext, nbformat, nbclient); learner
modules never import from here.
"""

from pathlib import Path

# ``cnn-course run``'s defaults, for the command line and run_chapter alike.
RUNS_FOLDER = Path("runs")  # where the executed copy goes
RUN_CELL_TIMEOUT = 3600  # seconds one cell may run: a chapter's longest training fits
