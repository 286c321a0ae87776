"""The benchmark command trains the chapter's own two models side by side and reports them."""

from __future__ import annotations

import json

import pytest

from cnn_course.cli import main
from cnn_course.course.namespace import chapter_namespace
from tests.helpers import COURSE, ROOT

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)


def test_the_benchmark_uses_the_chapter_s_own_models():
    namespace = chapter_namespace(COURSE, "02", ("build_first_cnn",), tags=("benchmark",))
    assert namespace["build_first_cnn"]().count_params() == 477_994
    better = namespace["build_better_cnn"]()
    assert better.count_params() > 477_994 and better.name == "better_cnn"


def test_a_short_run_reports_both_models_and_the_hardware(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")  # the small stand-in data: no download
    out = tmp_path / "figures.json"
    assert (
        main(
            [
                "--root",
                str(ROOT),
                "benchmark",
                "cifar10",
                "--epochs-first",
                "1",
                "--epochs-better",
                "1",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "first CNN" in printed and "better CNN" in printed and "images/s" in printed and "hardware:" in printed
    figures = json.loads(out.read_text())
    assert [r["model"] for r in figures["results"]] == ["better CNN", "first CNN"]
    assert all(r["epochs"] == 1 and r["images_per_second"] > 0 for r in figures["results"])
    assert "TensorFlow" in figures["hardware"] and figures["test_images"] > 0 and figures["commit"]
    better = figures["better"]
    assert list(better["test_accuracy_by_epoch"]) == ["1"], "the last epoch is always validated"
    assert better["test_accuracy_with_flips_and_shifts"] > 0 and len(better["train_accuracy_per_epoch"]) == 1


def test_the_views_benchmark_times_the_earlier_cell_and_the_chapter_s_own(capsys, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")  # the small stand-in data; the course's trained weights
    assert main(["--root", str(ROOT), "benchmark", "views"]) == 0
    printed = capsys.readouterr().out
    assert "earlier cell:" in printed and "chapter's cell (CPU path" in printed and "hardware:" in printed
    assert "x the earlier cell's time" in printed and "gain over flips alone" in printed


def test_the_ablation_trains_the_recipe_and_each_variant_side_by_side(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")  # the small stand-in data: no download
    out = tmp_path / "ablation.json"
    command = ["--root", str(ROOT), "benchmark", "ablation", "--epochs", "1", "--limit", "200", "--json", str(out)]
    assert main([*command, "--variants", "no warm-up"]) == 0  # every variant is built in the test below
    printed = capsys.readouterr().out
    assert "ablation at 200 images x 1 epochs" in printed and "hardware:" in printed
    rows = json.loads(out.read_text())["rows"]
    assert [row["variant"] for row in rows] == ["full recipe", "no warm-up"]
    assert all(0.0 <= row["test_accuracy"] <= 1.0 and row["seconds"] > 0 for row in rows)
    table = printed[printed.index("variant") :]
    assert "+0.00" in table.splitlines()[1], "the full recipe's row is the baseline"


def test_every_ablation_variant_builds_and_compiles():
    from cnn_course.benchmarks.ablation import VARIANTS

    chapter = chapter_namespace(COURSE, "02", (), tags=("benchmark",))
    for name, variant in VARIANTS.items():
        model = chapter["build_better_cnn"](**variant.get("build", {}))
        chapter["compile_better_cnn"](model, total_steps=10, **variant.get("compile", {}))
        kinds = {type(layer).__name__ for layer in model.layers}
        if name == "no batch normalisation":
            assert "BatchNormalization" not in kinds
        if name == "no flip or shift augmentation":
            assert not kinds & {"RandomFlip", "RandomTranslation"}
    schedule = chapter["warmup_cosine"](100, warmup_fraction=0.0)
    assert float(schedule(0)) == 1.0, "without warm-up the rate starts at its peak"


def test_the_cats_vs_dogs_benchmark_trains_the_chapter_s_models_and_times_the_pipelines(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")  # generated photos: no download
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "figures.json"
    assert (
        main(
            [
                "--root",
                str(ROOT),
                "benchmark",
                "catsdogs",
                "--epochs-first",
                "1",
                "--epochs-better",
                "1",
                "--epochs",
                "1",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert (
        "held-out acc." in printed
        and "tf.data pipeline vs naive loader, the same work per photo:" in printed
        and "hardware:" in printed
    )
    figures = json.loads(out.read_text())
    assert [r["model"] for r in figures["results"]] == ["better CNN", "first CNN", "no augment."]
    assert figures["results"][1]["parameters"] == figures["results"][2]["parameters"] == 4_791_809
    assert all(0.0 <= r["validation_accuracy"] <= 1.0 and r["epochs"] == 1 for r in figures["results"])
    assert figures["pipeline_ratio"] > 0 and len(figures["pipelines"]) == 3


def test_the_vgg16_benchmark_times_both_trainings_and_the_extraction(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")  # generated photos
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "vgg16.json"
    assert (
        main(
            [
                "--root",
                str(ROOT),
                "benchmark",
                "vgg16",
                "--weights",
                "none",
                "--batches",
                "1",
                "--epochs",
                "1",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    figures = json.loads(out.read_text())
    assert figures["weights"] == "none" and figures["train_photos_per_epoch"] == 32
    assert figures["frozen"]["seconds_per_epoch"] > 0 and figures["fine_tuning"]["seconds_per_epoch"] > 0
    tuning = figures["fine_tuning"]
    assert (
        len(tuning["epoch_seconds"]) == len(tuning["validation_seconds"]) == 1 and figures["commit"] and figures["date"]
    )
    assert 0 < tuning["validation_seconds"][0] < tuning["epoch_seconds"][0] < tuning["seconds_per_epoch_full_splits"]
    assert figures["extraction"]["photos"] == 32 + 16 + 16 and figures["extraction"]["photos_per_second"] > 0
    assert "bottleneck extraction:" in capsys.readouterr().out


def test_benchmarks_are_registered_by_name_and_shadow_no_package_module():
    import pkgutil

    import cnn_course
    from cnn_course import benchmarks

    here = {info.name for info in pkgutil.iter_modules(benchmarks.__path__)}
    assert here - set(benchmarks.REGISTERED) == {"common"}, "a benchmark module that is not registered"
    for module in benchmarks.modules():
        assert callable(module.add_arguments) and callable(module.run) and callable(module.MEASURE) and module.SUMMARY
    package = {info.name for info in pkgutil.iter_modules(cnn_course.__path__)}
    assert not here & package, f"benchmark modules named like the package's own: {sorted(here & package)}"


def test_every_option_default_is_the_measuring_function_s_own():
    """A default is written once, in the signature of the function a benchmark calls; the
    command line takes it from there and its help shows it."""
    import argparse
    import inspect

    from cnn_course import benchmarks

    for module in benchmarks.modules():
        name = module.__name__.rsplit(".", 1)[1]
        signature = inspect.signature(module.MEASURE).parameters
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        for option, value in vars(parser.parse_args([])).items():
            assert option in signature, f"{name}: --{option} is no parameter of {module.MEASURE.__name__}"
            assert value == signature[option].default, f"{name} --{option}: a default of its own"
        for action in parser._actions[1:]:  # after --help
            default = signature[action.dest].default
            if default is not None and not isinstance(default, tuple | list):
                assert f"(default: {default})" in action.help, f"{name}: {action.help}"


def test_the_chapters_settings_are_the_benchmarks():
    import re

    from cnn_course.benchmarks import chapter04

    chapter = chapter_namespace(COURSE, "02", ("build_first_cnn",), tags=("benchmark",))
    model = chapter["compile_first_cnn"](chapter["build_first_cnn"]())
    assert type(model.optimizer).__name__ == "Adam" and chapter["FIRST_BATCH_SIZE"] == 64
    source = (ROOT / "solutions" / "04_vgg16_transfer_learning.py").read_text(encoding="utf-8")
    rate = re.search(r"^HEAD_LEARNING_RATE = (\S+)", source, re.MULTILINE)
    assert rate and float(rate[1]) == chapter04.HEAD_LEARNING_RATE, "Chapter 4's head learning rate changed"
