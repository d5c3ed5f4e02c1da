"""The article's server application as the sequences of system-call paths its threads run.

One accept thread: accept(2), then register the descriptor in the next worker's kqueue (round robin).
Each worker: kevent(2) returns the readable descriptor, one recv, one send, shutdown, close.
"""
ACCEPT = ("accept", "handoff")
SERVE = ("kevent", "recv", "send", "shutdown", "close")
