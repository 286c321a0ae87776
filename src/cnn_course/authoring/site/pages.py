"""One chapter's web page: the chapter as handed out, with the outputs of a kept full run.

Code the learner writes must not appear, so answer and test cells show the release's source
(scaffold, visible tests) and no output; every other cell is the same in both notebooks and
shows what the run printed and drew. Where a cell of the run failed (Chapter 4 without
ImageNet's weights), that cell and every later one that failed for want of its result show
no output, and a note at the first says why: pictures from stand-in weights would teach the
wrong thing. Later cells that ran keep their outputs: they needed nothing the failure took."""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import re

import nbformat

from cnn_course.authoring.site.runs import RunRecord
from cnn_course.cells import is_exercise_cell
from cnn_course.course.settings import Chapter, CourseConfig
from cnn_course.errors import CourseError
from cnn_course.kernels.quiet import is_noise

COLAB_BADGE = "_static/colab-badge.svg"


def failed(cell: nbformat.NotebookNode) -> bool:
    return any(output.get("output_type") == "error" for output in cell.get("outputs", []))


def first_error(run: nbformat.NotebookNode) -> int | None:
    """The index of the first cell whose run ended in an error, or None."""
    return next((index for index, cell in enumerate(run.cells) if failed(cell)), None)


def duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def without_native_log(outputs: list) -> list:
    """The outputs less TensorFlow's native start-up log (the machine's noise, not the chapter's
    output: :func:`cnn_course.kernels.quiet.is_noise`); a stream left empty is dropped."""
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            lines = [line for line in output.text.splitlines(keepends=True) if not is_noise(line.rstrip("\n"))]
            if not "".join(lines).strip():
                continue
            output = copy.deepcopy(output)
            output["text"] = "".join(lines)
        kept.append(output)
    return kept


def header(chapter: Chapter, config: CourseConfig, record: RunRecord) -> nbformat.NotebookNode:
    notebook = f"notebooks/{chapter.name}.ipynb"
    links = (
        f'<a class="colab-link" href="{html.escape(config.colab_url(notebook))}">'
        f'<img src="{COLAB_BADGE}" alt="Open in Colab" width="117" height="20"></a> '
        f'<a href="{html.escape(config.repository)}/blob/{config.branch}/{notebook}">the notebook on GitHub</a>'
    )
    run = "one run of its solution on the default path, which stopped early (the note where it stopped says why)"
    about = (
        "This page is the chapter as learners get it, with the printed results and figures of "
        f"{run if record.stopped else 'one full run of its solution on the default path'}; exercise cells show "
        f"what you fill in, not the answers. The run: {record.date}, commit {record.commit}, on {record.machine}, "
        f"{duration(record.seconds)} in all."
    )
    if record.note:
        about += f" {record.note}"
    return nbformat.v4.new_markdown_cell(f"{links}\n\n```{{note}}\n{about}\n```", id="site-header")


def stopped_note(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    error = next(output for output in cell.outputs if output.get("output_type") == "error")
    reason = error.get("evalue", "").strip().splitlines()[0] if error.get("evalue", "").strip() else error.ename
    return nbformat.v4.new_markdown_cell(
        "```{important}\n"
        f"The run that made this page could not run the next cell ({error.ename}: {reason}). "
        "That cell and the later ones that need its result are shown without outputs: made without "
        "it, they would show pictures and numbers that mean nothing. Open the chapter in Colab to see them.\n"
        "```",
        id="site-stopped",
    )


def chapter_page(
    chapter: Chapter,
    config: CourseConfig,
    release: nbformat.NotebookNode,
    run: nbformat.NotebookNode,
    record: RunRecord,
) -> nbformat.NotebookNode:
    if len(release.cells) != len(run.cells):
        raise CourseError(
            f"notebooks/{chapter.name}.ipynb has {len(release.cells)} cells, its run {len(run.cells)}: "
            "run `cnn-course build`, then check the run is current"
        )
    stop = first_error(run)
    cells = []
    for index, (handed_out, ran) in enumerate(zip(release.cells, run.cells)):
        if index == stop:
            cells.append(stopped_note(ran))
        cell = nbformat.NotebookNode(
            {key: copy.deepcopy(value) for key, value in handed_out.items() if key != "metadata"}
        )
        cell["metadata"] = {}
        if cell.cell_type == "code":
            keep = not is_exercise_cell(handed_out) and not failed(ran)
            cell["outputs"] = without_native_log(copy.deepcopy(ran.get("outputs", []))) if keep else []
            cell["execution_count"] = ran.get("execution_count") if keep else None
        cells.append(cell)
        if index == 0:
            cells.append(header(chapter, config, record))
    # A page is rendered, never run; the kernel's name only tells MyST-NB how to highlight code.
    kernelspec = release.metadata.get("kernelspec") or {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    page = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec})
    page.metadata["language_info"] = {"name": "python"}
    return page


# myst-nb names a figure's file by the SHA-256 of its bytes, and sets its alt text to that name:
# it reads alt text from cell metadata only, one for all the figures of a cell.
FIGURE_ALT = re.compile(r'alt="_images/([0-9a-f]{64})\.png"')


def figure_alt_texts(run: nbformat.NotebookNode) -> dict[str, str]:
    """Each figure's text alternative in a run (``plotting.alt_text``, kept in the output's
    metadata), by the SHA-256 of the figure's bytes."""
    found = {}
    for cell in run.cells:
        for output in cell.get("outputs", []):
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            data = output.get("data", {}).get("image/png")
            if alt and data:
                found[hashlib.sha256(base64.b64decode(data)).hexdigest()] = alt
    return found


def with_figure_alt_texts(page: str, alt_texts: dict[str, str]) -> str:
    """The built page with each figure's file name in its alt attribute replaced by its text."""
    return FIGURE_ALT.sub(
        lambda match: f'alt="{html.escape(alt_texts[match[1]])}"' if match[1] in alt_texts else match[0], page
    )
