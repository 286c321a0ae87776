import pytest

from cnn_course import smoke


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("", False),
        ("false", False),
        ("no", False),
    ],
)
def test_smoke_switch_reads_the_environment_variable(monkeypatch, value, expected):
    monkeypatch.setenv("CNN_COURSE_SMOKE", value)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert smoke.is_smoke() is expected
    assert smoke.full_or_quick("full", "small") == ("small" if expected else "full")


def test_grading_counts_as_a_quick_run_but_not_as_smoke(monkeypatch):
    monkeypatch.delenv("CNN_COURSE_SMOKE", raising=False)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert not smoke.is_smoke()
    assert smoke.is_grading() and smoke.is_quick()
    assert smoke.full_or_quick(30, 2) == 2
    assert "nbgrader" in smoke.describe()


def test_full_mode_when_nothing_is_set(monkeypatch):
    monkeypatch.delenv("CNN_COURSE_SMOKE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not smoke.is_quick()
    assert smoke.describe().startswith("Full mode")
