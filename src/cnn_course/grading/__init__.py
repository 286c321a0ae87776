"""``cnn-course grade``: instructor tools that turn a class's submissions into grades.

- :mod:`~cnn_course.grading.intake`: finding the notebooks and student ids in a folder or zip;
- :mod:`~cnn_course.grading.inspection`: a submission against the handout (repairs, notes);
- :mod:`~cnn_course.grading.batch`: the autograde batch through nbgrader;
- :mod:`~cnn_course.grading.report`, :mod:`~cnn_course.grading.feedback` and
  :mod:`~cnn_course.grading.summary`: the CSVs, the table, the feedback pages and the class summary;
- :mod:`~cnn_course.grading.sandbox` with :mod:`~cnn_course.grading.guard`: what a
  submission's kernel may touch.

Needs the ``instructor`` extra; learner modules never import from here.
"""

import os

DEFAULT_CELL_TIMEOUT = 120  # seconds one cell of a submission may run before it is stopped


def default_jobs() -> int:
    """Notebooks graded side by side by default: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)
