"""`%load_ext gradlens`: the tracer in a Jupyter kernel.

The same hooks as a traced script. After each cell that stepped an optimizer, the cell's output
shows the trace view for that cell's steps (the optimizers' parameters announced by earlier cells
included): the same charts and alerts as `gradlens trace --out`, self-contained in an iframe,
nothing loaded over the network. A terminal-only front end gets a one-line text summary instead.
"""
import html
import json
import os
import time

from ._events import ListSink
from ._tracer import Tracer, install

_PLACEHOLDER = "@@GRADLENS_EVENTS@@"
_OPTION_NAMES = {"maxSteps": "maxSteps", "timeout": "timeout", "memory": "memory", "explodingNorm": "explodingNorm", "vanishingNorm": "vanishingNorm"}

_session = None


class _Session:
    def __init__(self, ipython, torch):
        self.ipython = ipython
        self.sink = ListSink()
        options = {"logEvery": 1, "explodingNorm": 1e4, "vanishingNorm": 1e-8, "names": _OPTION_NAMES}
        self.tracer = Tracer(torch, options, self.sink, "notebook")
        self.path = install(self.tracer)
        self.cell_start = 0
        self.steps_before = 0
        self.started_at = 0.0

    def pre_run_cell(self, *args):
        self.tracer._flush_backwards()
        self.cell_start = len(self.sink.events)
        self.steps_before = self.tracer.steps
        self.started_at = time.time()
        self.tracer.error = None

    def post_run_cell(self, result=None):
        tracer = self.tracer
        if tracer.steps == self.steps_before:
            return
        tracer._flush_backwards()
        cell = self.sink.events[self.cell_start:]
        announced = [e for e in self.sink.events[:self.cell_start] if e.get("type") == "params"]
        count = getattr(result, "execution_count", None) if result is not None else None
        name = "cell [%s]" % count if count is not None else "this cell"
        error = getattr(result, "error_in_exec", None) if result is not None else None
        for e in cell:
            if e.get("type") == "alert":
                _name_cell(e["alert"], name)
        end = {"type": "run-end", "code": 1 if error is not None else 0, "reason": "error" if error is not None else "exit",
               "durationMs": int((time.time() - self.started_at) * 1000), "steps": tracer.steps}
        if error is not None:
            end["message"] = "%s: %s" % (type(error).__name__, error)
            end["error"] = {"message": end["message"]}
        events = [{"type": "run-start", "file": name, "startedAt": int(self.started_at * 1000), "traced": True}] + announced + \
                 [e for e in cell if e.get("type") != "run-start"] + [end]
        _display(events, _summary(events, name))


def _name_cell(alert, name):
    """Alerts in a cell name the cell, not the kernel's temporary file for it."""
    for at in (alert, alert.get("backward")):
        if at and _is_cell_file(at.get("file", "")):
            at["file"] = name


def _is_cell_file(path):
    return path.startswith("<ipython-input") or "ipykernel_" in path


def _summary(events, name):
    steps = [e for e in events if e.get("type") == "step"]
    alerts = [e["alert"] for e in events if e.get("type") == "alert"]
    losses = [e["loss"] for e in steps if isinstance(e.get("loss"), float)]
    text = "GradLens: %d step%s in %s" % (len(steps), "" if len(steps) == 1 else "s", name)
    if losses:
        text += ", loss %.4g → %.4g" % (losses[0], losses[-1])
    if alerts:
        text += "; %d alert%s:\n" % (len(alerts), "" if len(alerts) == 1 else "s")
        text += "\n".join("  line %s  %s  %s" % (a.get("line"), a.get("kind"), a.get("message")) for a in alerts)
    else:
        text += "; no alerts"
    return text


def view_html(events):
    """The trace view of `events` as one self-contained page (the template the build writes)."""
    template = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_view.html")
    if not os.path.exists(template):
        raise FileNotFoundError("the trace view template %s is missing: use the gradlens folder shipped in dist/python (npm run build writes it)" % template)
    with open(template, encoding="utf-8") as f:
        page = f.read()
    data = json.dumps({"events": events}, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    return page.replace(_PLACEHOLDER, data, 1)


def _display(events, summary):
    from IPython.display import display

    page = view_html(events)
    frame = '<iframe class="gradlens-trace" title="GradLens trace" sandbox="allow-scripts" style="width:100%%;height:1150px;border:0" srcdoc="%s"></iframe>' % html.escape(page, quote=True)
    display({"text/html": frame, "text/plain": summary}, raw=True)


def load(ipython):
    global _session
    if _session is not None:
        print("GradLens is already tracing this kernel.")
        return
    import torch

    _session = _Session(ipython, torch)
    ipython.events.register("pre_run_cell", _session.pre_run_cell)
    ipython.events.register("post_run_cell", _session.post_run_cell)
    print("GradLens is tracing this kernel (%s): a cell that steps an optimizer shows its trace below it." % _session.path)


def unload(ipython):
    global _session
    if _session is None:
        return
    ipython.events.unregister("pre_run_cell", _session.pre_run_cell)
    ipython.events.unregister("post_run_cell", _session.post_run_cell)
    _session = None
