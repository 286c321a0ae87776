import numpy as np
import pytest

from cnn_course.checks.calling import call
from cnn_course.checks.compare import compare_arrays, compare_numbers
from cnn_course.checks.core import Exercise
from cnn_course.checks.shortcuts import ShortcutFlagged
from cnn_course.checks.verdict import Mismatch, Status


def test_shape_mismatch_says_expected_and_got():
    with pytest.raises(Mismatch, match=r"should have shape \(30, 30\), got shape \(28, 28\)"):
        compare_arrays(np.zeros((28, 28)), np.zeros((30, 30)), "the output")


def test_value_mismatch_names_the_first_differing_index_and_the_tolerance():
    got = np.zeros((3, 4))
    got[1, 2] = 0.5
    got[2, 3] = 9.0
    with pytest.raises(Mismatch) as error:
        compare_arrays(got, np.zeros((3, 4)), "the output", atol=1e-3, rtol=1e-4)
    message = str(error.value)
    assert "at index (1, 2)" in message and "expected 0, got 0.5" in message
    assert "2 of 12 values differ" in message and "atol=0.001" in message and "rtol=0.0001" in message


def test_values_within_tolerance_pass():
    compare_arrays(np.full(3, 1.0 + 1e-8), np.ones(3), "x")


def test_missing_return_is_pointed_out():
    with pytest.raises(Mismatch, match="without a `return`"):
        compare_arrays(None, np.zeros(2), "x")
    with pytest.raises(Mismatch, match="without a `return`"):
        compare_numbers(None, 3, "x")


def test_numbers_compare_exactly_unless_a_tolerance_is_given():
    compare_numbers(896, 896, "x")
    with pytest.raises(Mismatch, match="should be 896, got 864"):
        compare_numbers(864, 896, "x")
    with pytest.raises(Mismatch, match="should be a number"):
        compare_numbers("896", 896, "x")
    compare_numbers(0.7864, 0.786432, "x", rtol=1e-3)
    with pytest.raises(Mismatch, match="relative tolerance 1e-06"):
        compare_numbers(0.7864, 0.786432, "x", rtol=1e-6)


def test_call_turns_an_exception_into_a_mismatch_that_names_the_call():
    def broken(image, size=2):
        raise IndexError("index 5 is out of bounds")

    with pytest.raises(Mismatch, match=r"broken\(<array of shape \(4, 4\)>, size=3\) raised IndexError: index 5"):
        call(broken, np.zeros((4, 4)), size=3)


def test_call_protects_the_caller_s_arrays():
    original = np.ones(3)
    call(lambda x: x.fill(0), original)
    assert original.tolist() == [1, 1, 1]


def _checker(answer):
    compare_numbers(call(answer, 2), 4, "double(2)")


def test_exercise_reports_the_three_outcomes():
    exercise = Exercise("double", _checker, ["multiply by two"])

    def stub(x):
        raise NotImplementedError()

    assert exercise.evaluate(stub).status is Status.NOT_ATTEMPTED
    wrong = exercise.evaluate(lambda x: x + 1)
    assert wrong.status is Status.INCORRECT and "should be 4, got 3" in wrong.message and ".hint()" in wrong.message
    right = exercise.evaluate(lambda x: 2 * x)
    assert right.passed and str(right).startswith("Correct")
    assert "Not quite" in wrong._repr_html_()
    assert repr(wrong) == str(wrong) == "Not quite (double): double(2) should be 4, got 3. Stuck? Call .hint()."


def test_check_and_hint_print_outside_jupyter(capsys):
    exercise = Exercise("double", _checker, ["multiply by two", "use *"])
    exercise.check(lambda x: 2 * x)
    exercise.hint()
    exercise.hint(2)
    exercise.hint(7)
    out = capsys.readouterr().out
    assert "Correct (double)" in out
    assert "Hint 1 for double: multiply by two (more: .hint(2))" in out
    assert "Hint 2 for double: use *" in out
    assert "has hints 1 to 2" in out


def test_an_exercise_without_hints_is_refused():
    with pytest.raises(ValueError, match="at least one hint"):
        Exercise("x", _checker, [])


def test_grade_passes_quietly_or_stops_with_the_self_check_s_sentence():
    def checker(answer):
        if answer(2) != 4:
            raise Mismatch("double(2) should be 4.")

    exercise = Exercise("double", checker, ["Multiply by two."])
    exercise.grade(lambda x: 2 * x)
    with pytest.raises(AssertionError, match=r"Not quite \(double\): double\(2\) should be 4"):
        exercise.grade(lambda x: x)

    def stub(x):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="Not attempted yet"):
        exercise.grade(stub)


SHORTCUT_SOURCES = {
    # The helper holds no reference to import: a shortcut reads its stored results instead.
    "an imported lookup": (
        "from cnn_course.checks.chapter01 import expected\n"
        "def answer(size, kernel_size, padding=0, stride=1):\n"
        "    return expected()['conv_output_size'][0]\n"
    ),
    "the checks module in the notebook": (
        "from cnn_course.checks import chapter01 as ex\n"
        "def answer(size, kernel_size, padding=0, stride=1):\n"
        "    return ex.expected()['conv_output_size'][0]\n"
    ),
    "an import inside the function": (
        "def answer(size, kernel_size, padding=0, stride=1):\n"
        "    from cnn_course.checks.chapter01 import expected\n"
        "    return expected()['conv_output_size'][0]\n"
    ),
    "through a helper of the notebook": (
        "import cnn_course.checks.chapter01 as reference\n"
        "def helper(*args):\n"
        "    return reference.expected()['conv_output_size'][0]\n"
        "def answer(size, kernel_size, padding=0, stride=1):\n"
        "    return helper(size, kernel_size, padding, stride)\n"
    ),
    "from the package": (
        "def answer(size, kernel_size, padding=0, stride=1):\n"
        "    from cnn_course import checks\n"
        "    return checks.chapter01.expected()['conv_output_size'][0]\n"
    ),
}


@pytest.mark.parametrize("source", SHORTCUT_SOURCES.values(), ids=list(SHORTCUT_SOURCES))
def test_an_answer_that_uses_the_checking_code_is_refused(source):
    from cnn_course.checks import chapter01

    namespace = {"__name__": "__main__"}  # as in a notebook
    exec(source, namespace)
    result = chapter01.conv_output_size.evaluate(namespace["answer"])
    assert result.status is Status.INCORRECT and "needs manual grading" in result.message and result.shortcut
    # The grader flags it by the exception's type, not by its sentence.
    with pytest.raises(ShortcutFlagged, match="course's own checking code"):
        chapter01.conv_output_size.grade(namespace["answer"])


def test_a_plain_mistake_is_no_shortcut():
    from cnn_course.checks import chapter01

    result = chapter01.conv_output_size.evaluate(lambda size, kernel, padding=0, stride=1: size)
    assert result.status is Status.INCORRECT and not result.shortcut
    with pytest.raises(AssertionError) as raised:
        chapter01.conv_output_size.grade(lambda size, kernel, padding=0, stride=1: size)
    assert type(raised.value) is AssertionError


def test_an_honest_answer_using_libraries_and_helpers_is_not_taken_for_a_shortcut():
    from cnn_course.checks import chapter01

    namespace = {"__name__": "__main__"}
    exec(
        "import numpy as np\n"
        "def span(size, padding):\n"
        "    return size + 2 * padding\n"
        "def answer(size, kernel_size, padding=0, stride=1):\n"
        "    return int(np.floor((span(size, padding) - kernel_size) / stride)) + 1\n",
        namespace,
    )
    assert chapter01.conv_output_size.evaluate(namespace["answer"]).passed


# --- What a learner met (issue 23): each of these failed before and passes now. ----------


def _from_source(source: str, name: str = "answer"):
    namespace = {"__name__": "__main__"}  # as in a notebook
    exec(source, namespace)
    return namespace[name]


BLANKS_ANYWHERE = {
    "inside a call": "import keras\ndef answer():\n    return keras.layers.____()\n",
    "as an argument": "import keras\ndef answer():\n    return keras.layers.Dense(____)\n",
    "in a line the checks never reach": "def answer(x):\n    if x > 1e9:\n        return ____\n    return 2 * x\n",
    "as an attribute in a nested function": (
        "def answer(x):\n    def inner(y):\n        return y.____\n    return 2 * x\n"
    ),
}


@pytest.mark.parametrize("source", BLANKS_ANYWHERE.values(), ids=list(BLANKS_ANYWHERE))
def test_a_blank_anywhere_in_an_answer_reads_as_still_having_blanks(source):
    exercise = Exercise("double", lambda answer: answer(2), ["Multiply by two."])
    result = exercise.evaluate(_from_source(source))
    assert result.status is Status.NOT_ATTEMPTED
    assert "still has blanks" in result.message and "AttributeError" not in result.message


def test_a_failed_grade_is_an_assertion_error_that_jupyter_shows_as_its_sentence_alone():
    exercise = Exercise("double", lambda answer: answer(2), ["Multiply by two."])

    def stub(x):
        raise NotImplementedError()

    with pytest.raises(AssertionError) as caught:  # what plain Python and nbgrader see
        exercise.grade(stub)
    assert type(caught.value) is AssertionError
    # IPython asks an exception for _render_traceback_ before it formats a traceback.
    assert caught.value._render_traceback_() == [f"AssertionError: {caught.value}"]
    assert "checks/core.py" not in "\n".join(caught.value._render_traceback_())


def test_the_course_s_own_helper_for_the_exercise_is_a_flagged_shortcut():
    from cnn_course.checks import chapter02

    for source in (
        "from cnn_course import interpret\ndef answer(maps, gradients):\n"
        "    return interpret.heatmap_from_gradients(maps, gradients)\n",
        "from cnn_course.interpret import heatmap_from_gradients as h\ndef answer(maps, gradients):\n"
        "    return h(maps, gradients)\n",
    ):
        result = chapter02.grad_cam_heatmap.evaluate(_from_source(source))
        assert result.status is Status.INCORRECT
        assert "interpret.heatmap_from_gradients" in result.message and "needs manual grading" in result.message


def test_an_error_that_prints_an_array_is_cut_to_a_readable_message():
    """Keras quotes a whole input in its error (an unbatched photo: about 7,800 characters)."""
    import keras

    from cnn_course.checks.calling import MESSAGE_LIMIT, call
    from cnn_course.checks.verdict import Mismatch

    model = keras.Sequential([keras.Input((12, 14, 3)), keras.layers.Flatten(), keras.layers.Dense(1)])

    def unbatched(photo):
        return model(photo)

    with pytest.raises(Mismatch) as raised:
        call(unbatched, np.random.default_rng(0).uniform(0, 255, (12, 14, 3)))
    message = str(raised.value)
    assert "<array>" in message and "incompatible shape (12, 14, 3)" in message
    assert len(message) < MESSAGE_LIMIT + 100 and "\n" not in message


def test_every_chapter_s_check_is_named_as_the_function_it_checks():
    # ex.grad_cam_heatmap.check(grad_cam_heatmap): the learner never has to guess a second name.

    from cnn_course.course.settings import chapters
    from tests.helpers import ROOT

    for chapter in chapters(ROOT):
        module = chapter.checks()
        named = {name: value for name, value in vars(module).items() if isinstance(value, Exercise)}
        assert {name for name, exercise in named.items() if name != exercise.name} == set(), chapter.number
