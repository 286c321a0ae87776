import subprocess
import sys

import pytest

from cnn_course import environment


@pytest.mark.parametrize("version", ["2.15.0", "2.4.3", "1.2.2"])
def test_keras_older_than_3_stops_with_a_message_that_says_what_to_do(version):
    with pytest.raises(environment.EnvironmentProblem) as problem:
        environment.require_keras3(version)
    message = str(problem.value)
    assert version in message and "Keras 3" in message and "pip install -U tensorflow" in message


@pytest.mark.parametrize("version", ["3.0.0", "3.15.1", "4.0.0.dev1"])
def test_keras_3_and_later_pass(version):
    environment.require_keras3(version)


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


@pytest.mark.parametrize(
    "flags, vector",
    [
        ({"avx2", "avx512f", "avx512_bf16"}, "AVX-512 with bfloat16"),
        ({"avx2", "avx512f"}, "AVX-512, no bfloat16"),
        ({"avx2", "fma"}, "AVX2, no AVX-512"),
        ({"sse4_2"}, "no AVX2"),
    ],
)
def test_the_cpu_is_described_by_the_instructions_that_set_its_speed(monkeypatch, flags, vector):
    monkeypatch.setattr(environment, "_cpu_flags", lambda: flags)
    assert environment.cpu_description().endswith(f"; {vector})")


def test_the_setup_line_names_cores_memory_and_the_gpu():
    from cnn_course import environment

    line = environment.runtime_summary([])
    assert line.startswith("Your runtime: ") and "CPU cores" in line and line.endswith("no GPU")
    assert environment.runtime_summary(["Tesla T4"]).endswith("GPU: Tesla T4")
