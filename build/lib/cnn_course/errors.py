"""The one base class for problems a user can fix.

Every error the course raises on purpose (a missing folder, a bad download, a photo that is
not a photo, a chapter that does not build) derives from :class:`CourseError`, so a notebook
or the command line can catch them all and print the message, which says what was wrong and
what to do.
"""


class CourseError(Exception):
    """A problem the user can fix; the message says what and how."""
