"""``python -m tcpsim.cli``: the same as the ``tcpsim`` command."""
from . import console_main

console_main()
