"""tcpsim: a discrete-event model of FreeBSD 10's TCP connection-rate behaviour on a multi-core server."""
__version__ = "0.1.0"
