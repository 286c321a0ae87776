"""The feedback page a student receives: their score, each failed check's message, their notebook.

nbgrader's own feedback renders the autograded notebook as it ran, hidden tests included,
with every output and a few hundred kilobytes of styles: 1.6 to 3.5 MB a page, and the
hidden tests word for word. This page is built from the same autograded notebook, but

- a test cell shows only what the student was handed (the hidden part is left out, unless
  the instructor asks for it with ``show_hidden``), and its error shows only the message,
  never the traceback, which would quote the hidden line that failed;
- text outputs are cut to a few thousand characters and images to a budget, so a page
  stays small whatever a submission prints or plots.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from cnn_course.cells import cell_source, grade_id, is_test_cell, visible_source
from cnn_course.grading.report import NOT_COUNTED, GradeRow
from cnn_course.kernels.nbgrader_course import cut_text
from cnn_course.kernels.quiet import is_noise

MAX_IMAGE_BYTES = 200_000  # of base64 text, per image
IMAGE_BUDGET_BYTES = 1_000_000  # of base64 text, per page
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60em;margin:auto;padding:1em;line-height:1.4}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap}
.out{background:#fff;border-left:3px solid #d0d7de}
.err{background:#fff5f5;border-left:3px solid #cf222e}
.cell{margin:1em 0}.tag{color:#57606a;font-size:.85em}
"""


SUMMARY_START, SUMMARY_END = "<!-- summary -->", "<!-- /summary -->"


def refresh_summary(page: Path, row: GradeRow) -> None:
    """Write the page's summary again from the row as it ends up: notes made after grading (which
    notebook counts, the roster) and the score the gradebook takes."""
    text = page.read_text(encoding="utf-8")
    start, end = text.find(SUMMARY_START), text.find(SUMMARY_END)
    if start < 0 or end < start:
        return
    page.write_text(text[: start + len(SUMMARY_START)] + summary_block(row) + text[end:], encoding="utf-8")


def finish_pages(rows: list[GradeRow]) -> None:
    """Give each page its final name and summary. Of several notebooks of one chapter, the one
    that counts gets the plain ``<chapter>.html`` (the page the guide says to send); the others
    ``<chapter>-not-counted-N.html``, or ``<chapter>-choose-one-N.html`` where a person chooses."""
    paged = [row for row in rows if row.feedback and Path(row.feedback).is_file()]
    groups: dict[tuple[str, str], list[GradeRow]] = {}
    for row in paged:
        groups.setdefault((row.student_id, row.chapter), []).append(row)
    moves: list[tuple[GradeRow, Path]] = []
    for (_, chapter), group in groups.items():
        if len(group) < 2:
            continue
        others = 0
        for row in group:
            if row.counts:
                name = f"{chapter}.html"
            else:
                others += 1
                kind = "not-counted" if row.status == NOT_COUNTED else "choose-one"
                name = f"{chapter}-{kind}-{others}.html"
            moves.append((row, Path(row.feedback).with_name(name)))
    # Two steps, so that no page is overwritten by another's new name.
    for index, (row, _) in enumerate(moves):
        row.feedback = str(Path(row.feedback).rename(Path(row.feedback).with_name(f".renaming-{index}.html")))
    for row, target in moves:
        row.feedback = str(Path(row.feedback).rename(target))
    for row in paged:
        refresh_summary(Path(row.feedback), row)


def summary_block(row: GradeRow) -> str:
    """Score, notes and each graded cell with the message of its failed check."""
    items = []
    for name, (score, max_score) in row.exercises.items():
        message = row.failures.get(name) or ("" if score == max_score else "did not pass")
        detail = f" — <code>{html.escape(message)}</code>" if score != max_score else ""
        mark = "&#10003;" if score == max_score else "&#10007;"
        items.append(f"<li>{mark} <b>{html.escape(name)}</b>: {score:g} / {max_score:g}{detail}</li>")
    notes = f"<p><b>{html.escape(row.counting)}</b></p>" if row.counting else ""
    notes += f"<p><b>Notes:</b> {html.escape(row.reason)}</p>" if row.reason else ""
    if row.cells:
        links = ", ".join(f"<a href='#cell-{number}'>{html.escape(name)}</a>" for name, number in row.cells.items())
        notes += f"<p><b>Cells to look at:</b> {links}</p>"
    values = row.as_csv()
    return (
        f'<div style="border:2px solid #0969da;padding:1em;margin:1em 0">'
        f"<h2>{html.escape(row.student_id)} — {html.escape(row.chapter)}: {values['score']} / "
        f"{values['max_score']}</h2><p>Graded file: <code>{html.escape(row.file)}</code></p>"
        f"{notes}<ul>{''.join(items)}</ul>"
        f"<p>Your notebook as it ran while being graded follows.</p></div>"
    )


def _text(value: str | list) -> str:
    return cut_text("".join(value) if isinstance(value, list) else str(value))


class _Images:
    def __init__(self) -> None:
        self.left = IMAGE_BUDGET_BYTES

    def tag(self, data: str) -> str:
        data = data.replace("\n", "")
        if len(data) > MAX_IMAGE_BYTES or len(data) > self.left:
            return (
                f"<p class='tag'>[an image of {len(data) * 3 // 4 // 1024:,} KB left out to keep this page small]</p>"
            )
        self.left -= len(data)
        return f'<img alt="output" src="data:image/png;base64,{data}">'


def _outputs(cell: dict, is_test: bool, images: _Images) -> str:
    parts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            # TensorFlow's start-up log (a "failed call to cuInit" on a machine without a GPU) is the
            # grading machine's, not the student's output.
            text = _text(output.get("text", ""))
            kept = "".join(line for line in text.splitlines(keepends=True) if not is_noise(line.rstrip("\n")))
            if kept.strip():
                parts.append(f"<pre class='out'>{html.escape(kept)}</pre>")
        elif kind == "error":
            message = f"{output.get('ename', '')}: {output.get('evalue', '')}".strip(": ")
            if not is_test:  # a test's traceback would quote the hidden line that failed
                lines = [_ANSI.sub("", line) for line in output.get("traceback", [])]
                message = "\n".join(lines[-6:]) or message
            parts.append(f"<pre class='err'>{html.escape(_text(message))}</pre>")
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "image/png" in data:
                parts.append(images.tag(data["image/png"]))
            elif "text/plain" in data:
                parts.append(f"<pre class='out'>{html.escape(_text(data['text/plain']))}</pre>")
    return "".join(parts)


def _markdown(text: str) -> str:
    try:
        from nbconvert.filters.markdown import markdown2html

        return markdown2html(text)
    except Exception:  # an old or odd nbconvert: plain text still reads fine
        return f"<pre>{html.escape(text)}</pre>"


def handed_out_tests(source) -> dict[str, str]:
    """Each test cell's source as the students received it, from the chapter's source notebook."""
    return {grade_id(cell): visible_source(cell) for cell in source.cells if is_test_cell(cell)}


def feedback_page(autograded: dict, row: GradeRow, handed_out: dict[str, str], show_hidden: bool = False) -> str:
    """The whole HTML page for one student's notebook (see the module's docs).

    ``handed_out`` maps each test cell to its source as the students got it
    (:func:`handed_out_tests`): what the page shows in place of the test that ran."""
    images = _Images()
    cells = []
    for number, cell in enumerate(autograded.get("cells", []), start=1):
        source = cell_source(cell)
        is_test = is_test_cell(cell)
        if cell.get("cell_type") == "markdown":
            cells.append(f"<div class='cell' id='cell-{number}'>{_markdown(source)}</div>")
            continue
        if cell.get("cell_type") != "code":
            continue
        if is_test and not show_hidden:
            source = handed_out.get(grade_id(cell), "")
        label = f"<div class='tag'>{html.escape(grade_id(cell))}</div>" if grade_id(cell) else ""
        cells.append(
            f"<div class='cell' id='cell-{number}'>{label}<pre>{html.escape(source)}</pre>"
            f"{_outputs(cell, is_test, images)}</div>"
        )
    title = html.escape(f"{row.student_id} — {row.chapter}")
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title><style>{_STYLE}</style></head>"
        f"<body>{SUMMARY_START}{summary_block(row)}{SUMMARY_END}{''.join(cells)}</body></html>\n"
    )
