"""Instructor tools for writing the course: ``cnn-course build`` (the student release, reference
answers, exercise times), ``run``, ``publish`` and the website.

Stands on ``course`` (the course on disk) and ``kernels`` (running notebooks), beside
``grading``. Needs the ``instructor`` extra (nbgrader, jupytext, nbformat, nbclient); learner
modules never import from here.
"""
