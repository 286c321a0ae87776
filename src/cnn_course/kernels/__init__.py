"""Running notebooks, for the instructor's tools: nbgrader's temporary course folders, executing
a notebook cell by cell, kernels started warm from a fork server and over private sockets, and
the filter that keeps their start-up noise off the terminal.

``authoring`` (build, run, publish, the website) and ``grading`` both stand on this room and on
``course``; nothing here imports either of them. Needs the ``instructor`` extra.
"""
