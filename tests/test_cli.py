"""The command line: one way to declare an option, each default written once, lazy imports."""

import argparse
import inspect

import pytest

from cnn_course.cli import COMMANDS, make_parser, named_command
from cnn_course.options import add_option, options


def train(source: str | None = None, epochs: int = 3, quick: bool = False, log=print):
    return source, epochs, quick


def parsed(*words):
    parser = argparse.ArgumentParser()
    add_option(parser, train, "source", "the data", unset="download")
    add_option(parser, train, "epochs", "passes over the data", type=int)
    add_option(parser, train, "quick", "fewer images", action="store_true")
    return parser, parser.parse_args(words)


def test_an_option_takes_its_default_from_the_signature_and_says_it():
    parser, args = parsed()
    assert train(**options(args, train)) == (None, 3, False)
    text = parser.format_help()
    assert "passes over the data (default: 3)" in text
    assert "the data (default: download)" in text
    assert "fewer images\n" in text, "a switch's flag says what it does; (default: False) says nothing"
    assert "--epochs EPOCHS" in text
    _, args = parsed("--epochs", "5", "--quick", "--source", "here")
    assert train(**options(args, train)) == ("here", 5, True)


def test_an_option_for_a_parameter_without_a_default_is_refused():
    def grade(submissions, jobs=1):
        return submissions, jobs

    with pytest.raises(TypeError, match="submissions"):
        add_option(argparse.ArgumentParser(), grade, "submissions", "the folder")


# The function each command calls: its options' defaults must be that function's.
CALLS = {
    "build": ("cnn_course.authoring.build", "build"),
    "run": ("cnn_course.authoring.run", "run_chapter"),
    "publish": ("cnn_course.authoring.publish", "publish"),
    "site": ("cnn_course.authoring.publish", "public_config"),
    "grade": ("cnn_course.grading.batch", "grade_path"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_command_option_has_its_function_s_default(name):
    import importlib

    module, function = CALLS[name]
    signature = inspect.signature(getattr(importlib.import_module(module), function)).parameters
    commands = make_parser()._subparsers._group_actions[0].choices
    checked = 0
    for action in commands[name]._actions:
        parameter = signature.get(action.dest)
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            assert action.default == parameter.default, f"cnn-course {name} {action.option_strings}"
            checked += 1
    assert checked >= 2, f"cnn-course {name}: its options are not its function's parameters"


def test_every_command_is_listed_without_importing_its_tools():
    parser = make_parser([])
    commands = parser._subparsers._group_actions[0].choices
    assert set(commands) == set(COMMANDS)
    assert all(len(sub._actions) == 1 for sub in commands.values()), "only --help: nothing declared"


@pytest.mark.parametrize(
    ("words", "command"),
    [
        (["grade", "class.zip", "--jobs", "2"], "grade"),
        (["--root", "build", "grade", "class.zip"], "grade"),  # a course folder named like a command
        (["--root=course", "run", "01"], "run"),
        (["--help"], None),
        ([], None),
    ],
)
def test_the_command_named_is_the_first_word_that_is_not_an_option(words, command):
    assert named_command(words) == command
