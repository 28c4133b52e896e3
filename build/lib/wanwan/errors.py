"""Errors meant for the person at the keyboard: one clear sentence, never a traceback."""


class UserError(Exception):
    """Bad input or set-up; the CLI prints the message and exits 2."""
