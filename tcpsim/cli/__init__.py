"""Command line: ``tcpsim run | report | capacity | reproduce | witness | compare | sweep | lockbench | plot |
sensitivity | calibrate``.

``main(argv) -> int`` is a thin layer over the library and never calls ``sys.exit``; a user's mistake
(``TcpsimError``) is one line on stderr and status 2, never a traceback.

Each subcommand lives in its own module (``run`` holds run and report, ``grid`` holds compare and sweep), with
an ``add_NAME(subparsers)`` that declares its options and a ``cmd_NAME(args, out, err)`` that runs it; what
several share (option types, option groups, loading the scenario) is in ``options``.
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from .. import __version__
from ..errors import REPORT_TO, TcpsimError, did_you_mean
from . import calibrate, capacity, grid, lockbench, plot, reproduce, run, sensitivity, witness


_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<choices>[^)]*)\)")


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors printed as every other error is (``tcpsim: error: ...``, status 2), and a
    "did you mean" for a misspelt option (``--duraton``: ``--duration``)."""

    def error(self, message):  # argparse would exit itself; main() returns 2 instead
        choice = _INVALID_CHOICE.search(message)  # a misspelt subcommand or --engine
        if choice:
            known = [c.strip(" '") for c in choice["choices"].split(",")]
            message = message.replace(choice[0], choice[0] + did_you_mean(choice["given"], known), 1)
        raise TcpsimError(message)

    def parse_args(self, args=None, namespace=None):
        args, extras = self.parse_known_args(args, namespace)
        if extras:
            # the options of the subcommand the unknown ones were given to (argparse hands them up to us)
            parser = self._subcommands.choices.get(getattr(args, "command", None), self)
            known = [o for action in parser._actions for o in action.option_strings if o.startswith("--")]
            first = next((e.partition("=")[0] for e in extras if e.startswith("--")), None)
            hint = did_you_mean(first, known, n=2) if first else ""
            self.error(f"unrecognized arguments: {' '.join(extras)}{hint}; allowed: the options `{parser.prog} -h` "
                       "lists")
        return args


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tcpsim", description="Discrete-event model of FreeBSD 10's TCP connection rate on a multi-core server")
    p.add_argument("--version", action="version", version=f"tcpsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p._subcommands = sub
    for add in (run.add_run, run.add_report, capacity.add_capacity, reproduce.add_reproduce, witness.add_witness,
                grid.add_compare, grid.add_sweep, lockbench.add_lockbench, sensitivity.add_sensitivity, plot.add_plot,
                calibrate.add_calibrate):
        add(sub)  # in the order `tcpsim -h` lists them
    return p


COMMANDS = {"capacity": capacity.cmd_capacity, "calibrate": calibrate.cmd_calibrate, "run": run.cmd_run, "report": run.cmd_report,
            "reproduce": reproduce.cmd_reproduce, "witness": witness.cmd_witness, "compare": grid.cmd_compare,
            "sweep": grid.cmd_sweep, "lockbench": lockbench.cmd_lockbench, "sensitivity": sensitivity.cmd_sensitivity,
            "plot": plot.cmd_plot}


def main(argv=None, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args, out, err)
    except TcpsimError as e:
        err.write(f"tcpsim: error: {_one_line(e)}\n")  # one prefix for every mistake, of usage or of input
        return 2
    except KeyboardInterrupt:
        err.write("tcpsim: interrupted\n")
        return 130
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as command-line tools do
        if out is sys.stdout:  # (not another stream a caller passed: pointing fd 1 elsewhere is not ours to do)
            _silence_stdout()
        return 141
    except Exception as e:  # a bug, not the user's mistake: one line, where to report it, status 1
        if os.environ.get("TCPSIM_DEBUG"):
            raise
        err.write(f"tcpsim: internal error: {type(e).__name__}: {_one_line(e)} (tcpsim {__version__}; "
                  f"{REPORT_TO}; TCPSIM_DEBUG=1 shows the traceback)\n")
        return 1


def _one_line(e) -> str:
    return " ".join(str(e).split())


def _silence_stdout():
    """Point stdout at /dev/null, so that flushing it at exit does not fail again on a closed pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (tests pass a StringIO)
        pass


def console_main():
    status = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        status = status or 141
    sys.exit(status)
