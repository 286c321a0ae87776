"""Instructor tools for writing the course: the course on disk, reading and checking a
chapter's source, executing notebooks, ``cnn-course build`` and ``cnn-course run``.

Needs the ``instructor`` extra (nbgrader, jupytext, nbformat, nbclient); learner modules
never import from here.
"""
