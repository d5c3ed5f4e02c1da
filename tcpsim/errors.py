"""One base exception for every mistake a user can make; the CLI turns it into one line and exit status 2."""


class TcpsimError(Exception):
    """A user's mistake (bad scenario, bad costs file, bad option): printed as one line, never a traceback."""
