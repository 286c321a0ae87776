"""The course on disk, for the instructor's tools: its settings and chapters (``settings``), the
:class:`~cnn_course.course.course.Course` that reads each chapter once (``course``), a chapter's
source checked for what nbgrader would mishandle (``source``), and chosen cells run outside
Jupyter (``namespace``).

``authoring`` and ``grading`` stand on this room; nothing here imports either of them.
"""
