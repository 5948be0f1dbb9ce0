"""Where a traced process's events go, and where in the user's code a call came from.

Events are the ones of src/trace/protocol.ts, one JSON object per line. JSON has no NaN or
Infinity, and a NaN loss is what a trace must not lose: non-finite numbers travel as the strings
the host revives ("\\u0000NaN", "\\u0000Infinity", "\\u0000-Infinity").
"""
import json
import math
import os
import sys
import sysconfig
import threading

_MARK = "\u0000"
#: One encoder for every event (json.dumps with options builds a new one per call).
_ENCODE = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def num(x):
    """A float for an event: finite as is, non-finite as the protocol's marked string."""
    if x is None:
        return None
    x = float(x)
    if math.isfinite(x):
        return x
    if x != x:
        return _MARK + "NaN"
    return _MARK + ("Infinity" if x > 0 else "-Infinity")


class FileSink:
    """Events of this process, appended to `<out_dir>/events-<pid>.jsonl`.

    Buffered, and flushed every 50 ms by a thread, at exit, before `os._exit` and when asked: a
    script that exits, crashes or calls `os._exit()` keeps every event up to its end. The file is
    created by the first event, so a process that never traces anything (a launcher, a data
    loader worker) leaves nothing. A forked child starts its own file.
    """

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.lock = threading.Lock()
        self._reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)
        flusher = threading.Thread(target=self._flush_periodically, name="gradlens-flush", daemon=True)
        flusher.start()

    def _reset(self):
        self.pid = os.getpid()
        self.fd = None
        self.pending = []
        self.lock = threading.Lock()

    def write(self, event):
        line = _ENCODE(event)
        with self.lock:
            self.pending.append(line)
            if len(self.pending) >= 256:
                self._flush_locked()

    def flush(self):
        with self.lock:
            self._flush_locked()

    def _flush_locked(self):
        if not self.pending:
            return
        if self.fd is None:
            path = os.path.join(self.out_dir, "events-%d.jsonl" % self.pid)
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        data = ("\n".join(self.pending) + "\n").encode("utf-8")
        self.pending = []
        while data:
            written = os.write(self.fd, data)
            data = data[written:]

    def _flush_periodically(self):
        import time

        while True:
            time.sleep(0.05)
            try:
                self.flush()
            except Exception:
                return


class ListSink:
    """Events kept in memory (a notebook's kernel: the cell output draws them)."""

    def __init__(self):
        self.events = []

    def write(self, event):
        self.events.append(event)

    def flush(self):
        pass


def _internal_prefixes():
    """Folders whose frames are never the user's: Python's own library, installed packages
    (torch, accelerate, lightning: the user's line is the one that called them) and GradLens."""
    prefixes = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            folder = sysconfig.get_paths().get(key)
        except Exception:
            folder = None
        if folder:
            prefixes.add(os.path.realpath(folder) + os.sep)
    for folder in sys.path:
        if folder and ("site-packages" in folder or "dist-packages" in folder):
            prefixes.add(os.path.realpath(folder) + os.sep)
    prefixes.add(os.path.dirname(os.path.realpath(__file__)) + os.sep)
    return tuple(prefixes)


class Locator:
    """The user's line of the call being recorded: the first frame outside Python, installed
    packages and GradLens (cached per code file, so a step costs a short walk up the stack)."""

    def __init__(self):
        self.prefixes = _internal_prefixes()
        self.internal = {}

    def is_internal(self, filename):
        known = self.internal.get(filename)
        if known is None:
            if filename.startswith("<"):
                # IPython's cells ("<ipython-input-…>") and `python -c` are the user's; frozen modules are Python's.
                known = filename.startswith("<frozen")
            else:
                known = os.path.realpath(filename).startswith(self.prefixes)
            self.internal[filename] = known
        return known

    def user_frame(self):
        # Starts in GradLens's own frames, which are internal like torch's.
        frame = sys._getframe(1)
        while frame is not None:
            if not self.is_internal(frame.f_code.co_filename):
                return frame
            frame = frame.f_back
        return None

    def here(self):
        frame = self.user_frame()
        if frame is None:
            return None
        return {"file": _shown_file(frame.f_code.co_filename), "line": frame.f_lineno}

    def error(self, exc_type, exc, tb):
        """An uncaught exception as the run's end reports it: the deepest frame in the user's code."""
        import traceback

        location = None
        for frame, line in traceback.walk_tb(tb):
            if not self.is_internal(frame.f_code.co_filename):
                location = {"file": _shown_file(frame.f_code.co_filename), "line": line}
        stack = "".join(traceback.format_exception(exc_type, exc, tb))
        message = "%s: %s" % (exc_type.__name__, exc) if str(exc) else exc_type.__name__
        error = {"message": message, "stack": stack}
        if location is not None:
            error["location"] = location
        return error


def _shown_file(filename):
    return filename if filename.startswith("<") else os.path.abspath(filename)
