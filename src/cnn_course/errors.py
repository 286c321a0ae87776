"""The one base class for problems a user can fix.

Every error the course raises on purpose (a missing folder, a bad download, a photo that is
not a photo, a chapter that does not build, versions too old to run the course) derives from
:class:`CourseError`, so a notebook or the command line can catch them all and print the
message, which says what was wrong and what to do.
"""


class CourseError(Exception):
    """A problem the user can fix; the message says what and how.

    In Jupyter and Colab it shows as its message alone: IPython asks an exception for
    ``_render_traceback_`` before drawing a traceback, and a walk through the course's own code
    would only hide the sentence that says what to do. Plain Python still prints the traceback.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]
