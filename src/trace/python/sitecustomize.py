"""GradLens's tracing bootstrap.

`gradlens trace` puts this folder first on PYTHONPATH, so every Python process of a run (a
script, or each worker a launcher such as torchrun starts) imports this file at start-up. It does
nothing unless the run's configuration is in the environment; then it arms the tracer, which
installs its hooks once `torch` is imported. Either way it then runs the `sitecustomize` it
shadows (Debian ships one), so the user's environment behaves as it does without GradLens.
"""
import os
import sys


def _chain_shadowed():
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # Python's own words for a failing sitecustomize
        sys.stderr.write("Error in sitecustomize; set PYTHONVERBOSE for traceback:\n%s: %s\n" % (type(error).__name__, error))


_chain_shadowed()

if os.environ.get("GRADLENS_TRACE_CONFIG"):
    try:
        from gradlens import _bootstrap

        _bootstrap.start_from_environment()
    except Exception as error:  # never stop the user's program: say why it isn't traced
        sys.stderr.write("gradlens: tracing is off in this process: %s: %s\n" % (type(error).__name__, error))
