"""The website (`cnn-course site`): built from the kept runs like a fresh clone would, no
answer on any page, a run from an older chapter refused, and every page whole in a real
browser (headless Chromium): images, links, anchors, console, math, code, two widths."""

from __future__ import annotations

import functools
import html.parser
import json
import os
import re
import shutil
import urllib.parse
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import nbformat
import pytest

from cnn_course.authoring.site.build import build_site, prepare_out
from cnn_course.authoring.site.pages import failed, first_error, without_native_log
from cnn_course.authoring.site.runs import StaleRunError, check_current, read_run
from cnn_course.course.course import Course
from cnn_course.errors import CourseError
from tests.authoring.test_publish import secret_lines
from tests.helpers import ROOT, serving

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)

COURSE = Course.at(ROOT)
# Full-page screenshots of every page at both widths, to look at (about 10 s): only when asked,
# e.g. CNN_COURSE_SCREENSHOTS=build/site-screenshots.
SCREENSHOTS = Path(os.environ["CNN_COURSE_SCREENSHOTS"]) if os.environ.get("CNN_COURSE_SCREENSHOTS") else None
WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}
# axe-core's impacts that fail the audit; "moderate" and "minor" findings are listed in the output.
FAILING_IMPACTS = {"serious", "critical"}
# Findings the audit accepts, and why: neither comes from the course's own templates or styles.
ACCEPTED = {
    # The book theme's sidebar puts its search button outside any landmark (<nav>, <main>).
    "region": "the theme's sidebar layout",
    # pandas writes an empty header cell above a table's index column.
    "empty-table-header": "pandas' table of a DataFrame",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(tmp_path_factory.mktemp("site") / "html", COURSE, log=lambda *_: None)


class PageText(html.parser.HTMLParser):
    """A page's visible text (what a reader could copy) and the ids its anchors can target."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.ids: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name in ("id", "name") and value)
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    @classmethod
    def of(cls, path: Path) -> PageText:
        return cls.of_text(path.read_text(encoding="utf-8"))

    @classmethod
    def of_text(cls, text: str) -> PageText:
        parser = cls()
        parser.feed(text)
        return parser

    @property
    def text(self) -> str:
        return "".join(self.parts)


def chapter_pages(site):
    return [site.out / f"{chapter.name}.html" for chapter in COURSE.chapters]


def test_every_chapter_has_a_page_with_its_figures_and_a_colab_link(site):
    assert (site.out / "index.html").is_file()
    for chapter, page in zip(COURSE.chapters, chapter_pages(site)):
        text = page.read_text(encoding="utf-8")
        colab = COURSE.config.colab_url(f"notebooks/{chapter.name}.ipynb")
        assert colab in text, f"{page.name}: no Open in Colab link"
        run, record = read_run(ROOT, chapter)
        assert record.date in text and record.machine in text, f"{page.name}: the page does not say where it ran"
        figures = sum(
            1 for cell in run.cells for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
        )
        if first_error(run) is None and "plotting." in chapter.source.read_text(encoding="utf-8"):
            assert figures >= 1, f"the kept run of {chapter.name} drew no figure"
        # Every figure of the run is on the page (a cell that failed has none to show).
        assert text.count('class="cell_output') and text.count("<img") >= figures, f"{page.name}: figures missing"


def test_every_figure_on_the_site_has_a_text_alternative(site):
    """Each figure's alt text is its title and what to see in it (plotting.alt_text, kept with the
    run's outputs), never myst-nb's default, the file's name."""
    missing = []
    for page in chapter_pages(site):
        for alt in re.findall(r'<img alt="([^"]*)"', page.read_text(encoding="utf-8")):
            if alt.startswith("_images/") or len(alt) < 10:
                missing.append(f"{page.name}: {alt!r}")
    assert not missing, "figures without a text alternative (remake the chapter's run):\n" + "\n".join(missing)


def test_chapter_4_shows_no_output_of_what_needs_the_missing_weights_and_says_why(site):
    page = (site.out / "04_vgg16_transfer_learning.html").read_text(encoding="utf-8")
    before, _, after = page.partition("could not run the next cell")
    assert after, "Chapter 4's page does not say where its run failed"
    assert "URL fetch failure" in after.split("</div>", 1)[0], "the note does not give the reason"
    assert before.count('class="cell_output') >= 3, "the cells before the VGG16 base lost their outputs"
    cells = after.split('<div class="cell docutils container">')
    vgg_cell = next(cell for cell in cells if "keras.applications.VGG16(" in PageText.of_text(cell).text)
    assert 'class="cell_output' not in vgg_cell, "the VGG16 cell shows an output"
    run, _ = read_run(ROOT, COURSE.chapter("04"))
    ran_later = [cell for cell in run.cells[first_error(run) + 1 :] if cell.get("outputs") and not failed(cell)]
    shown_later = sum('class="cell_output' in cell for cell in cells)
    assert ran_later and shown_later == len(ran_later), "cells that ran without the weights lost their outputs"
    assert "Traceback" not in page


def test_no_answer_and_no_hidden_test_is_on_the_site(site):
    # A line that the handed-out text itself states (an exercise quoting `layers.Rescaling(1 / 255)`,
    # whose backticks the page drops) is no leak.
    stated = "\n".join(
        cell.source.replace("`", "")
        for chapter in COURSE.chapters
        for cell in nbformat.read(ROOT / "notebooks" / f"{chapter.name}.ipynb", as_version=4).cells
    )
    secrets = {line for line in secret_lines(ROOT) if line not in stated}
    assert len(secrets) > 100, "the leak test needs lines to look for"
    leaks = {}
    for page in sorted(site.out.rglob("*.html")):
        text = PageText.of(page).text
        found = [line for line in secrets if line in text]
        if found:
            leaks[page.name] = found[:3]
    # The site also ships its sources' search index and any notebook copies: search them as files.
    for path in sorted(site.out.rglob("*")):
        if path.suffix in (".js", ".ipynb", ".txt", ".json"):
            raw = path.read_text(encoding="utf-8", errors="replace")
            found = [line for line in secrets if line in raw or json.dumps(line)[1:-1] in raw]
            if found:
                leaks[str(path.relative_to(site.out))] = found[:3]
    assert not leaks, f"answers or hidden tests on the website: {leaks}"


def test_a_run_of_an_older_chapter_is_refused_by_name():
    chapter = COURSE.chapter("01")
    run, record = read_run(ROOT, chapter)
    check_current(COURSE, chapter, run, record)  # the kept run is current
    changed = nbformat.from_dict(json.loads(json.dumps(run)))
    code = next(cell for cell in changed.cells if cell.cell_type == "code" and "plotting" in cell.source)
    code.source += "\nprint('changed')"
    with pytest.raises(
        StaleRunError, match=r"01_convolution_maths.ipynb was made from an older .*cnn-course run 01 --site"
    ):
        check_current(COURSE, chapter, changed, record)


def test_tensorflows_native_log_is_left_out_and_real_warnings_kept():
    noise = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796270081.232570    5436 port.cc:153] oneDNN custom operations are on.\n"
        "E0000 00:00:1796270087.103572    5436 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n"
    )
    warning = "saving_lib.py:869: UserWarning: Skipping variable loading for optimizer 'adam'\n"
    outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=noise),
        nbformat.v4.new_output("stream", name="stdout", text="I0000 is printed by the chapter\n"),
        nbformat.v4.new_output("stream", name="stderr", text=noise + warning),
    ]
    kept = without_native_log(outputs)
    assert [output.text for output in kept] == ["I0000 is printed by the chapter\n", warning]
    assert outputs[2].text == noise + warning, "the run itself must not change"


def test_the_site_never_replaces_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CourseError, match="not empty and not a site built before"):
        build_site(tmp_path, COURSE, log=lambda *_: None)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_rebuild_replaces_the_old_site_but_keeps_its_git_history(tmp_path):
    (tmp_path / ".buildinfo").write_text("# Sphinx build info\n")
    (tmp_path / "old-page.html").write_text("<p>gone</p>")
    (tmp_path / "_static").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    prepare_out(tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == [".git"]
    assert (tmp_path / ".git" / "HEAD").read_text() == "ref: refs/heads/gh-pages\n"


# --- in a real browser ---------------------------------------------------------------------


def browser_or_skip():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        chromium = None
    if not (chromium and driver):
        message = (
            "no headless Chromium here: the browser test needs Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver) and selenium (pip install -e '.[dev]')"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI installs them in .ci/run")
        pytest.skip(message)
    return chromium, driver


def served(folder: Path):
    """The built site on 127.0.0.1, as a web server would serve it."""
    return serving(functools.partial(QuietHandler, directory=str(folder)))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    chromium, chromedriver = browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(120)  # axe-core audits a long chapter page in a few seconds
    try:
        yield driver
    finally:
        driver.quit()


def link_problem(href: str, base: str, site_out: Path) -> str | None:
    """Why a link on the site is broken, or None. Links within the site must reach a file
    (and an element, for an anchor); links into the course repository must name a file it has."""
    parsed = urllib.parse.urlparse(href)
    if href.startswith(base):
        target = site_out / (urllib.parse.unquote(parsed.path).lstrip("/") or "index.html")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return "no such page"
        anchor = urllib.parse.unquote(parsed.fragment)
        if anchor and target.suffix == ".html" and anchor not in PageText.of(target).ids:
            return f"no element #{parsed.fragment}"
        return None
    if parsed.scheme in ("mailto", "javascript"):
        return None
    if parsed.scheme != "https" or not parsed.netloc:
        return "not an https address"
    repository = urllib.parse.urlparse(COURSE.config.repository).path.rstrip("/")
    colab = f"/github{repository}/blob/{COURSE.config.branch}/"
    for prefix in (f"{repository}/blob/{COURSE.config.branch}/", f"{repository}/tree/{COURSE.config.branch}/", colab):
        if parsed.path.startswith(prefix):
            inside = urllib.parse.unquote(parsed.path[len(prefix) :])
            if not (ROOT / inside).exists():
                return f"the course repository has no {inside}"
    return None


def test_every_page_is_whole_in_a_real_browser(site, browser):
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = sorted(path.name for path in site.out.glob("*.html"))
    problems: list[str] = []
    listed: set[str] = set()
    with served(site.out) as base:
        for name in pages:
            for width_name, (width, height) in WIDTHS.items():
                browser.set_window_size(width, height)
                browser.get(f"{base}/{name}")
                found = page_problems(browser, base, site.out)
                failing, others = accessibility_audit(browser)
                problems += [f"{name} ({width_name}): {problem}" for problem in found + failing]
                listed.update(others)
                if SCREENSHOTS:
                    full = browser.execute_script("return document.documentElement.scrollHeight")
                    browser.set_window_size(width, min(full, 12000))
                    browser.save_screenshot(str(SCREENSHOTS / f"{Path(name).stem}-{width_name}.png"))
    assert len(pages) >= len(COURSE.chapters) + 1, "the home page and a page per chapter"
    assert not problems, "\n".join(problems)
    print("accessibility findings below 'serious' (axe-core):", *sorted(listed) or ["none"], sep="\n  ")
    if SCREENSHOTS:
        print(f"screenshots of {len(pages)} pages at {', '.join(WIDTHS)} widths: {SCREENSHOTS}")
        assert len(list(SCREENSHOTS.glob("*.png"))) >= 2 * len(pages)


def accessibility_audit(browser) -> tuple[list[str], list[str]]:
    """axe-core's audit of the open page: (what fails the test, what is only listed)."""
    from selenium_axe_python import Axe

    axe = Axe(browser)
    axe.inject()
    failing, others = [], []
    # No preloading of style sheets: axe would fetch the theme's @import-ed ones relative to the
    # page, not the sheet, and log 404s (only the orientation-lock rule reads them that way).
    for violation in axe.run(options='{"preload": false}')["violations"]:
        nodes = violation["nodes"]
        where = ", ".join(" ".join(node["target"]) for node in nodes[:3])
        text = f"{violation['id']} [{violation['impact']}]: {violation['help']} ({len(nodes)}x, e.g. {where})"
        if violation["id"] in ACCEPTED:
            others.append(f"{violation['id']} [{violation['impact']}], accepted: {ACCEPTED[violation['id']]}")
        elif violation["impact"] in FAILING_IMPACTS:
            failing.append(f"accessibility: {text}")
        else:
            others.append(text)
    return failing, others


def page_problems(browser, base: str, site_out: Path) -> list[str]:
    problems = []
    broken = browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    problems += [f"broken image {src}" for src in broken]
    for href in set(browser.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")):
        why = link_problem(href, base, site_out)
        if why:
            problems.append(f"broken link {href}: {why}")
    for entry in browser.get_log("browser"):
        if entry["level"] == "SEVERE":
            problems.append(f"console error: {entry['message']}")
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        problems.append(f"the page is {overflow} px wider than the window")
    empty_math = browser.execute_script(
        "return [...document.querySelectorAll('math')]"
        ".filter(m => m.getBoundingClientRect().width === 0 || m.getBoundingClientRect().height === 0).length"
    )
    if empty_math:
        problems.append(f"{empty_math} formulas not drawn")
    plain_code = browser.execute_script(
        "return [...document.querySelectorAll('.cell_input div.highlight pre')].filter(p => p.textContent.trim()"
        " && !p.querySelector('span[class]')).length"
    )
    if plain_code:
        problems.append(f"{plain_code} code blocks without syntax highlighting")
    if browser.execute_script("return window.innerWidth") >= WIDTHS["laptop"][0]:
        # At a laptop's width every line of code, and every printed sentence, reads without
        # scrolling sideways (tables may scroll: they keep their layout).
        scrolling = browser.execute_script(
            "return [...document.querySelectorAll('.cell_input pre, .cell_output .output.stream pre')]"
            ".filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.textContent.trim().split('\\n')[0])"
        )
        problems += [f"code scrolls sideways: {first_line[:80]!r}" for first_line in scrolling]
    return problems


def test_chapter_1_draws_its_formulas_and_highlights_its_code(site, browser):
    with served(site.out) as base:
        browser.set_window_size(*WIDTHS["laptop"])
        browser.get(f"{base}/01_convolution_maths.html")
        formulas = browser.execute_script(
            "return [...document.querySelectorAll('math')].map(m => m.getBoundingClientRect().height)"
        )
        code = browser.execute_script("return document.querySelectorAll('div.highlight pre span[class]').length")
    assert len(formulas) >= 2 and min(formulas) > 5, f"formulas drawn with heights {formulas}"
    assert code > 100, "Chapter 1's code is not highlighted"


def test_a_wrapped_code_line_reads_as_one_line_and_copies_as_written(site, browser):
    """Long lines wrap (no sideways scrolling); the wrapped part starts deeper than its line, so
    it cannot pass for a new line, and copying the cell gives the code exactly as written."""
    with served(site.out) as base:
        browser.set_window_size(*WIDTHS["laptop"])
        browser.get(f"{base}/02_cifar10_cnn.html")
        copied, wrapped = browser.execute_script(
            "const pre = [...document.querySelectorAll('.cell_input pre')]"
            ".find(p => p.textContent.includes('def build_better_cnn'));"
            "const lines = [...pre.querySelectorAll('.code-line')];"
            "const wrapped = lines.filter(l => l.getClientRects().length && l.getBoundingClientRect().height > 30)"
            ".map(l => [l.textContent, parseFloat(getComputedStyle(l).paddingLeft),"
            " parseFloat(getComputedStyle(l).textIndent)]);"
            "const range = document.createRange(); range.selectNodeContents(pre);"
            "getSelection().removeAllRanges(); getSelection().addRange(range);"
            "return [getSelection().toString(), wrapped];"
        )
    source = (ROOT / "solutions" / "02_cifar10_cnn.py").read_text(encoding="utf-8")
    copied_lines = copied.rstrip("\n").split("\n")
    assert len(copied_lines) > 20 and "\n".join(copied_lines) in source, "the copied cell differs from the chapter"
    assert wrapped, "no line of the better CNN's cell wraps at 1280 px: the test no longer tests wrapping"
    for text, padding, indent in wrapped:
        assert padding > 0 and indent == -padding, f"the wrapped part of {text[:60]!r} starts at the margin"
