"""Errors a user can cause, reported as one clear line instead of a traceback."""

import sys
from collections.abc import Callable


class UserError(Exception):
    """A problem the user can fix (bad file, bad param, missing data); the message says how."""


def exit_on_user_error(main: Callable[[], None]) -> None:
    """Run a stage or command entry point; a UserError becomes one line on stderr and exit code 2."""
    try:
        main()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
