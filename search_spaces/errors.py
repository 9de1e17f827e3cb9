"""The one exception type a user can cause.

Every package raises :class:`UserError` (or a subclass) for problems the user can fix: a bad
flag, a malformed file, an unknown op. The CLI catches exactly this type, prints its message as
one line on stderr and exits with code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(ValueError):
    """A problem in the user's input, reported as one line and exit code 2."""


class SpecError(UserError):
    """An architecture (or its YAML/string form) is invalid."""
