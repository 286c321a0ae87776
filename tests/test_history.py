"""The history reads: `git log --oneline` is a list of what changed, not minutes of a meeting.

Since the rule came in (after commit 982beea, whose subjects ran to 1,323 characters), every
commit's subject is at most 72 characters, and the why goes in the body after a blank line."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.helpers import ROOT

RULE_STARTS_AFTER = "982beea"
LONGEST_SUBJECT = 72


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def messages() -> list[tuple[str, str]]:
    if shutil.which("git") is None or _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout (a source archive has no history to read)")
    if _git("cat-file", "-e", f"{RULE_STARTS_AFTER}^{{commit}}").returncode != 0:
        pytest.skip(f"a shallow clone without {RULE_STARTS_AFTER}: the history to read is not here")
    log = _git("log", "--format=%h%x00%B%x01", f"{RULE_STARTS_AFTER}..HEAD").stdout
    return [tuple(entry.strip("\n").split("\0", 1)) for entry in log.split("\1") if entry.strip()]


def test_every_subject_fits_on_one_short_line_and_the_why_follows_a_blank_line(messages):
    problems = []
    for commit, message in messages:
        subject, _, rest = message.partition("\n")
        if len(subject) > LONGEST_SUBJECT:
            problems.append(f"{commit}: subject of {len(subject)} characters (at most {LONGEST_SUBJECT})")
        if rest and not rest.startswith("\n"):
            problems.append(f"{commit}: no blank line between the subject and the body")
    assert not problems, "\n".join(problems) + "\n(reword them with `git rebase -i` before they land)"
