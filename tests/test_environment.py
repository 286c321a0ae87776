import subprocess
import sys

import pytest

from cnn_course import environment

FLOOR = environment.MINIMUM_VERSIONS


@pytest.mark.parametrize(
    ("name", "version"),
    [("keras", "2.15.0"), ("keras", "3.0.5"), ("tensorflow", "2.15.1"), ("tensorflow", "2.16.0"), ("numpy", "1.23.4")],
)
def test_below_the_floor_the_setup_stops_with_one_sentence_that_says_what_to_do(name, version):
    installed = {**FLOOR, name: version}
    with pytest.raises(environment.EnvironmentProblem) as problem:
        environment.require_versions(installed)
    message = str(problem.value)
    assert f" {version}" in message  # what is installed
    assert all(f"{minimum}" in message for minimum in FLOOR.values())  # what the course needs
    assert "Runtime > Change runtime type" in message and "pip install -U" in message  # what to do
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    # In Jupyter the sentence is all a learner sees: no traceback through the course's code.
    assert problem.value._render_traceback_() == [f"EnvironmentProblem: {message}"]


@pytest.mark.parametrize("versions", [FLOOR, {"tensorflow": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6"}])
def test_the_floor_and_anything_newer_pass(versions):
    environment.require_versions(dict(versions))


@pytest.mark.parametrize(
    ("version", "numbers"),
    [
        ("2.16.2", (2, 16, 2)),
        ("2.16.0rc1", (2, 16, 0)),
        ("3.10", (3, 10)),
        ("4.0.0.dev1", (4, 0, 0)),
        ("1.26.4+cpu", (1, 26, 4)),
    ],
)
def test_versions_compare_by_their_numbers(version, numbers):
    assert environment.version_tuple(version) == numbers


def test_the_setup_cell_refuses_an_old_keras(monkeypatch):
    import keras

    monkeypatch.setattr(keras, "__version__", "3.0.5")
    with pytest.raises(environment.EnvironmentProblem, match=r"Keras 3\.0\.5"):
        environment.prepare(verbose=False)


def test_the_floor_is_what_pyproject_declares_and_ci_installs(root):
    import tomllib

    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    for name, version in FLOOR.items():
        assert f"{name}>={version}" in declared, f"pyproject.toml should declare {name}>={version}"
    pins = dict(line.split("==") for line in (root / ".ci" / "floor.txt").read_text().split() if "==" in line)
    for name, version in FLOOR.items():
        assert pins[name] == version, f".ci/floor.txt pins {name}=={pins[name]}, the floor is {version}"


def test_only_missing_packages_are_installed_and_never_tensorflow(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, check: calls.append(command))
    packages = {"numpy": "numpy", "surely_not_installed_module_xyz": "not-installed-package"}
    assert environment.install_missing(packages) == ["not-installed-package"]
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", "not-installed-package"]]
    assert not any(name in environment.RUNTIME_PACKAGES.values() for name in ("tensorflow", "keras"))


def test_nothing_is_installed_when_nothing_is_missing(monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("pip must not run"))
    assert environment.install_missing({"numpy": "numpy"}) == []


def test_prepare_reports_versions_and_warns_without_a_gpu(monkeypatch, capsys):
    monkeypatch.setattr(environment, "gpu_names", lambda: [])
    report = environment.prepare()
    out = capsys.readouterr().out
    assert report["keras"].startswith("3") and report["gpus"] == [] and not report["colab"]
    assert "TensorFlow" in out and "Keras" in out
    assert "WARNING: No GPU" in out and "Runtime > Change runtime type" in out


def test_prepare_only_notes_a_missing_gpu_when_the_chapter_needs_none(monkeypatch, capsys):
    monkeypatch.setattr(environment, "gpu_names", lambda: [])
    environment.prepare(gpu_needed=False)
    out = capsys.readouterr().out
    assert "WARNING" not in out and "does not need one" in out


def test_prepare_names_the_gpu_when_there_is_one(monkeypatch, capsys):
    monkeypatch.setattr(environment, "gpu_names", lambda: ["/physical_device:GPU:0"])
    environment.prepare()
    assert "GPU: /physical_device:GPU:0" in capsys.readouterr().out


def test_prepare_installs_missing_packages_only_inside_colab(monkeypatch):
    installed = []
    monkeypatch.setattr(environment, "gpu_names", lambda: [])
    monkeypatch.setattr(environment, "install_missing", lambda: installed.append(True) or [])
    environment.prepare(verbose=False)
    assert installed == []
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert environment.prepare(verbose=False)["colab"] is True
    assert installed == [True]


def test_prepare_hides_tensorflows_retracing_notes_and_nothing_else(monkeypatch, caplog):
    import tensorflow as tf

    monkeypatch.setattr(environment, "gpu_names", lambda: [])
    environment.prepare(verbose=False)
    environment.prepare(verbose=False)  # a second setup run adds no second filter
    logger = tf.get_logger()
    assert sum(isinstance(f, environment._HideRetracingNotes) for f in logger.filters) == 1
    with caplog.at_level("WARNING", logger=logger.name):
        logger.warning(
            "5 out of the last 8 calls to <function f> triggered tf.function retracing. Tracing is expensive"
        )
        logger.warning("a warning a learner should see")
    assert [record.getMessage() for record in caplog.records] == ["a warning a learner should see"]


def test_the_setup_line_names_cores_memory_and_the_gpu():
    from cnn_course import environment

    line = environment.runtime_summary([])
    assert line.startswith("Your runtime: ") and "CPU cores" in line and line.endswith("no GPU")
    assert environment.runtime_summary(["Tesla T4"]).endswith("GPU: Tesla T4")
