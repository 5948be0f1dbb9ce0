"""Arming the tracer in a process started by `gradlens trace` (through sitecustomize.py).

The configuration comes from the environment (GRADLENS_TRACE_CONFIG, JSON written by the host:
`outDir`, `options`, `hostPid`), so every process a launcher starts inherits it. Nothing imports
torch here: the hooks go in once the script imports torch itself, so a process that never does
(a launcher, a tokenizer helper) costs nothing and leaves no file.
"""
import atexit
import importlib.abc
import importlib.machinery
import json
import os
import signal
import sys
import threading

from ._events import FileSink

_tracer = None


def start_from_environment():
    config = json.loads(os.environ["GRADLENS_TRACE_CONFIG"])
    sink = FileSink(config["outDir"])
    rank = _rank()
    options = config.get("options", {})

    def arm(torch):
        global _tracer
        from ._tracer import Tracer, install

        _tracer = Tracer(torch, options, sink, _script(), rank, on_max_steps=_stop_at_max_steps)
        install(_tracer)
        _hook_exits(_tracer)

    if "torch" in sys.modules and hasattr(sys.modules["torch"], "optim"):
        arm(sys.modules["torch"])
    else:
        sys.meta_path.insert(0, _AfterImport("torch", arm))
    host = config.get("hostPid")
    # The run's top process leads its own process group (the host spawns it detached); the
    # processes a launcher starts share that group but don't lead it.
    if isinstance(host, int) and hasattr(os, "getpgid") and os.getpgid(0) == os.getpid():
        _watch_host(host)


def _rank():
    for key in ("RANK", "LOCAL_RANK"):
        value = os.environ.get(key)
        if value is not None and value.strip().lstrip("-").isdigit():
            return int(value)
    return None


def _script():
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if argv0 in ("", "-c", "-m"):
        return argv0 or "<stdin>"
    return os.path.abspath(argv0)


def _stop_at_max_steps(step):
    names = _tracer.options.get("names", {})
    _tracer.end("maxSteps", 0, "stopped after {:,} steps ({})".format(step, names.get("maxSteps", "maxSteps")))
    raise SystemExit(0)


def _hook_exits(tracer):
    """The run's end in every way a process ends: normally, by an uncaught exception, `os._exit()`."""
    atexit.register(lambda: tracer.end("exit"))
    previous_hook = sys.excepthook

    def excepthook(exc_type, exc, tb):
        if not issubclass(exc_type, (SystemExit, KeyboardInterrupt)):
            tracer.error = tracer.locator.error(exc_type, exc, tb)
        previous_hook(exc_type, exc, tb)

    sys.excepthook = excepthook
    real_exit = os._exit

    def traced_exit(code):
        try:
            tracer.end("exit", code)
        finally:
            real_exit(code)

    os._exit = traced_exit


def _watch_host(host):
    """The host may die without stopping the run (a window closed): this process leads its own
    process group, so it would run on. A thread ends the group once the host is gone."""

    def watch():
        import time

        while True:
            if os.getppid() != host:
                try:
                    os.killpg(os.getpgid(0), signal.SIGKILL)
                except OSError:
                    os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(0.25)

    threading.Thread(target=watch, name="gradlens-watchdog", daemon=True).start()


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls `then(module)` once `name` has finished importing (its own finders do the work)."""

    def __init__(self, name, then):
        self.name = name
        self.then = then

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        for finder in sys.meta_path:
            if spec is not None:
                break
            if finder is not self and hasattr(finder, "find_spec") and finder is not importlib.machinery.PathFinder:
                spec = finder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        then = self.then

        class _Loader(importlib.abc.Loader):
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                loader.exec_module(module)
                try:
                    then(module)
                except Exception as error:
                    sys.stderr.write("gradlens: tracing is off in this process: %s: %s\n" % (type(error).__name__, error))

        spec.loader = _Loader()
        return spec
