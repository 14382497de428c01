"""The one error type users see: a clear, one-line message naming the file or value and what to do."""


class NSTError(ValueError):
    """Bad input or a missing resource, with a message meant for the user (no traceback needed)."""
