# nbgrader's configuration for grading a chapter of the course with plain nbgrader
# (docs/instructor-guide.md, section 9). Copy it into the nbgrader course folder.
c = get_config()  # noqa: F821 - nbgrader provides get_config when it reads this file

c.CourseDirectory.course_id = "cnn-course"

# Each cell of a submission may run this many seconds; a cell that runs longer (an infinite
# loop) is stopped and counts as failed, and the notebook carries on.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# zip_collect reads the student id and the notebook's name from each file name. Canvas:
# smithalice_12345_67890_01_convolution_maths.ipynb (LATE_ before the id when late; a file
# uploaded again ends in -1). For other platforms, change the pattern: it needs the groups
# student_id and file_id, and file_id must be the handed-out notebook's name. nbgrader
# matches it against the whole path of the extracted file, hence the leading folders.
#
# Of two uploads of one notebook, zip_collect keeps the one with the later timestamp, and
# without timestamps it stops the whole collection ("Duplicate submission file"). Canvas's
# file id (67890) grows with each upload, so the collector below hands it to nbgrader as a
# time: the latest upload wins, as in `cnn-course grade`.
import datetime  # noqa: E402

from nbgrader.plugins.zipcollect import FileNameCollectorPlugin  # noqa: E402


class UploadOrderCollector(FileNameCollectorPlugin):
    """The file name's upload number, as a timestamp nbgrader can compare."""

    def collect(self, submitted_file):
        found = super().collect(submitted_file)
        if found and found.get("upload"):
            upload = int(found.pop("upload"))
            found["timestamp"] = datetime.datetime.fromtimestamp(upload, tz=datetime.UTC).isoformat()
        return found


c.ZipCollectApp.collector_plugin = UploadOrderCollector
c.FileNameCollectorPlugin.named_regexp = (
    r"^(?:.*/)?[^_/]+_(?:LATE_)?(?P<student_id>\d+)_(?P<upload>\d+)_(?P<file_id>.+?)(?:-\d+)?\.ipynb$"
)
