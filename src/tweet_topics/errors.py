"""Errors a user can cause, reported as one clear line instead of a traceback."""


class UserError(Exception):
    """A problem the user can fix (bad file, bad param, missing data); the message says how."""
