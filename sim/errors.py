"""The errors orgsim raises on purpose, in library words; the command line maps them to flags and exit status 2.

A notebook user catches ``OrgsimError`` for all of them, or one kind:

* ``ScenarioError`` — a scenario (or an override of it) is invalid; ``problems`` has one line each;
* ``BudgetError`` — a policy cannot staff the scenario within its budget (a scenario problem too);
* ``OptionError`` — an argument of a library call is unknown or out of range; ``option`` names it;
* ``CheckpointError`` — a checkpoint folder belongs to another run, or cannot be used;
* ``BackendError`` — the backend cannot be used as asked (Dask missing, scheduler unreachable);
* ``EventLogError`` — an event log cannot be read (file type, missing column, bad time, empty log).
"""

from __future__ import annotations


class OrgsimError(Exception):
    """Every error orgsim raises on purpose: its message is for the user, never a traceback."""


def one_line(text: str) -> str:
    """Text as one line: a newline, tab or other control character the user wrote is shown escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class ScenarioError(OrgsimError, ValueError):
    """A scenario (or an override of it) is invalid; ``problems`` holds one message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = [one_line(p) for p in problems]
        super().__init__("\n".join(self.problems))


class BudgetError(ScenarioError):
    """An allocation policy cannot keep the scenario's departments staffed within its budget."""

    def __init__(self, message: str):
        super().__init__([message])


class OptionError(OrgsimError, ValueError):
    """An argument of a library call is unknown or out of range; ``option`` is the argument's name."""

    def __init__(self, option: str, message: str):
        self.option, self.message = option, one_line(message)
        super().__init__(f"{option} {self.message}")


class CheckpointError(OrgsimError):
    """A checkpoint folder holds another run, or cannot be resumed or written as asked."""


class BackendError(OrgsimError):
    """The backend cannot be used as asked (Dask missing, scheduler unreachable, bad option)."""


class EventLogError(OrgsimError, ValueError):
    """An event log cannot be read as asked: unknown file type, missing column, bad time, empty log."""
