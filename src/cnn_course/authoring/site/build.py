"""Write the website: a page per chapter and the home page, rendered by Sphinx and MyST-NB.

Nothing is executed here: the pages come from the release notebooks and the runs kept in
``site/runs/``, so a fresh clone builds the site in a minute without data or a GPU."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cnn_course.authoring.publish import for_the_class_notebook
from cnn_course.authoring.release import release_chapter
from cnn_course.authoring.site.home import HOME_SOURCE, home_page
from cnn_course.authoring.site.pages import chapter_page, figure_alt_texts, with_figure_alt_texts
from cnn_course.authoring.site.runs import check_current, read_run
from cnn_course.course.course import Course
from cnn_course.course.settings import CourseConfig
from cnn_course.errors import CourseError

STATIC_SOURCE = Path("site") / "static"
# Sphinx leaves this file in every folder it builds: the mark of a folder that may be replaced.
SPHINX_MARK = ".buildinfo"

CONF = """\
# Written by `cnn-course site`; the settings of the course's website.
project = {title!r}
author = "the course's authors"
copyright = "the course's authors"
extensions = ["myst_nb", "cnn_course.authoring.site.mathml"]
html_math_renderer = "mathml"
myst_enable_extensions = ["dollarmath"]
nb_execution_mode = "off"  # the pages show the kept runs; nothing runs while the site builds
nb_merge_streams = True
html_theme = "sphinx_book_theme"
html_title = {title!r}
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_js_files = ["code-lines.js"]
html_favicon = "_static/favicon.svg"
# The theme reads the reader's light/dark choice from the page; without a default it logs an error.
html_context = {{"default_mode": "light"}}
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {{
    "repository_url": {repository!r},
    "repository_branch": {branch!r},
    "use_repository_button": True,
    "use_download_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
}}
exclude_patterns = ["_build"]
"""


@dataclass
class SiteResult:
    out: Path
    pages: list[Path]
    seconds: float


def prepare_out(out: Path) -> None:
    """An empty folder, or one an earlier build wrote: emptied but for its ``.git`` (a
    ``gh-pages`` clone keeps its history); anything else is refused."""
    if out.exists() and any(path.name != ".git" for path in out.iterdir()):
        if not (out / SPHINX_MARK).is_file():
            raise CourseError(
                f"{out} is not empty and not a site built before (no {SPHINX_MARK}); "
                "give an empty or new folder so nothing of yours is overwritten"
            )
        for path in out.iterdir():
            if path.name != ".git":
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def write_sources(course: Course, links: CourseConfig, folder: Path) -> dict[str, dict[str, str]]:
    """The pages as Sphinx reads them. ``links``: the repository whose notebooks the pages open
    in Colab (the public student tree of a graded class, else the course itself). Returns each
    chapter's figure texts (:func:`~cnn_course.authoring.site.pages.figure_alt_texts`)."""
    rows, alt_texts = [], {}
    published = course.with_repository(links)
    for chapter in course.chapters:
        run, record = read_run(course.root, chapter)
        check_current(course, chapter, run, record)
        released = release_chapter(published, chapter)  # exactly as `publish` writes it for that repository
        for_the_class_notebook(released.release, course.config, links)
        page = chapter_page(chapter, links, released.release, run, record)
        nbformat.write(page, folder / f"{chapter.name}.ipynb")
        rows.append((chapter, released.title, record))
        alt_texts[chapter.name] = figure_alt_texts(run)
    (folder / "index.md").write_text(home_page(course.root, links, rows, course.config), encoding="utf-8")
    shutil.copytree(course.root / STATIC_SOURCE, folder / "_static")
    title = _home_title(course.root / HOME_SOURCE)
    (folder / "conf.py").write_text(
        CONF.format(title=title, repository=links.repository, branch=links.branch), encoding="utf-8"
    )
    return alt_texts


def _home_title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise CourseError(f"{path} needs a title line ('# ...')")


def build_site(out: Path, course: Course, links: CourseConfig | None = None, log=print) -> SiteResult:
    from sphinx.cmd.build import build_main

    links = links or course.config
    started = time.perf_counter()
    out = Path(out).resolve()
    prepare_out(out)  # first: a folder that is not ours is refused before any work
    with tempfile.TemporaryDirectory(prefix="cnn-course-site-") as work:
        sources, doctrees = Path(work) / "pages", Path(work) / "doctrees"
        sources.mkdir()
        alt_texts = write_sources(course, links, sources)
        # -W: a warning (a broken reference, an unknown lexer) fails the build instead of a page.
        status = build_main(["-b", "html", "-q", "-W", "--keep-going", "-d", str(doctrees), str(sources), str(out)])
    if status:
        raise CourseError(f"Sphinx could not build the site (its messages are above); {out} is incomplete")
    for name, texts in alt_texts.items():
        page = out / f"{name}.html"
        page.write_text(with_figure_alt_texts(page.read_text(encoding="utf-8"), texts), encoding="utf-8")
    # GitHub Pages runs Jekyll unless told not to, and Jekyll drops Sphinx's _static/ and _images/.
    (out / ".nojekyll").write_text("")
    pages = sorted(out.glob("*.html"))
    result = SiteResult(out, pages, time.perf_counter() - started)
    log(f"website written to {out}: {len(pages)} pages in {result.seconds:.0f} s; open {out / 'index.html'}")
    return result
