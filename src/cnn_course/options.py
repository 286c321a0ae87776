"""A command's options are the parameters of the function it calls.

Every ``cnn-course`` command and benchmark declares its options with :func:`add_option`, which
reads each default from that function's signature: a default is written once, where the
function is, and ``--help`` shows it. :func:`options` hands the parsed values back to the call.
Standard library only: the console script builds its parser on a learner's install too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable


def add_option(parser, function: Callable, name: str, help: str, flag: str | None = None, unset: str = "", **kwargs):
    """The command-line option for ``function``'s parameter ``name`` (``--name-with-dashes``
    unless ``flag`` says otherwise). Its default is the parameter's, read from the signature;
    the help shows it, or ``unset``: what the default means, in words (say it where the default
    is None or does not read well). On/off switches and empty texts show none."""
    default = inspect.signature(function).parameters[name].default
    if default is inspect.Parameter.empty:
        raise TypeError(f"{function.__name__}({name}) has no default: declare it as a positional argument")
    if unset:
        help += f" (default: {unset})"
    elif default not in (None, "") and not isinstance(default, bool):
        shown = " ".join(map(str, default)) if isinstance(default, tuple | list) else default
        help += f" (default: {shown})"
    flag = flag or "--" + name.replace("_", "-")
    if not {"action", "choices"} & set(kwargs):  # --help names the value after the flag, not the parameter
        kwargs.setdefault("metavar", flag.lstrip("-").replace("-", "_").upper())
    parser.add_argument(flag, dest=name, default=default, help=help, **kwargs)


def options(args, function: Callable) -> dict:
    """The parsed options that are parameters of ``function``, to call it with."""
    wanted = set(inspect.signature(function).parameters) - {"course", "log"}
    return {name: value for name, value in vars(args).items() if name in wanted}
