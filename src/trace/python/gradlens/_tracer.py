"""The tracer inside a PyTorch process: optimizer steps, backward passes and gradient clears
become the events of src/trace/protocol.ts, with per-parameter statistics and the same four
alerts as the TypeScript recorder (src/trace/node/recorder.ts).

Runtime confirmation of the static rule: each parameter counts the steps that applied its current
gradient. A step whose parameters still hold gradients an earlier step applied, with a backward
added on top since, is `accumulated-gradients`. Zeroing and stepping together every N
micro-batches never trips it: the count restarts at each clear.

A clear is any of `opt.zero_grad()`, `model.zero_grad()` (both wrapped), `p.grad = None` or a new
tensor (the gradient's identity changes), and in-place clears behind the optimizer's back
(`p.grad.zero_()`, `p.grad.data.zero_()`, `p.grad.detach_()` then `zero_()`): those are told from
the gradient's identity and version where those show it, and otherwise by one batched check of the
gradients' norms, made only for parameters that still hold applied gradients, which after a
proper zero_grad() is none.
"""
import functools
import linecache
import os
import re
import threading
import time
import weakref

from ._events import Locator, num

#: Steps always logged in full, whatever logEvery says (early steps are where bugs show).
ALWAYS_LOGGED = 100
#: Below this many elements a statistic costs its kernel launch, above it its memory traffic.
_SMALL = 1 << 16

_GENERIC_MODULES = {"Sequential", "Module", "ModuleList", "ModuleDict", "DistributedDataParallel", "DataParallel", "FullyShardedDataParallel"}
#: Prefixes wrappers add to parameter names: DDP/DataParallel, FSDP, torch.compile.
_WRAPPER_PREFIXES = ("module.", "_fsdp_wrapped_module.", "_orig_mod.")
_STEP_CALL = re.compile(r"([A-Za-z_][\w.]*(?:\[[^\]]*\])*)\s*\.\s*step\s*\(\s*([A-Za-z_][\w.]*)?")


def _strip_wrappers(name):
    changed = True
    while changed:
        changed = False
        for prefix in _WRAPPER_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix):]
                changed = True
        name = name.replace("._fsdp_wrapped_module.", ".").replace("._checkpoint_wrapped_module.", ".")
    return name


class _Param:
    __slots__ = ("tensor", "applied", "backward_since_step", "seen")

    def __init__(self, tensor):
        self.tensor = tensor
        #: Steps that applied this parameter's current gradient.
        self.applied = 0
        self.backward_since_step = False
        #: (id, version) of its gradient when last seen by the tracer, or None.
        self.seen = None


class _Optimizer:
    __slots__ = ("index", "label", "params", "names", "backwards_since_zero", "steps_since_zero", "before", "buffers")

    def __init__(self, index, label, params, names, backwards_since_zero):
        self.index = index
        self.label = label
        self.params = params
        self.names = names
        self.backwards_since_zero = backwards_since_zero
        self.steps_since_zero = 0
        #: Whether `buffers` hold this step's weights before the update.
        self.before = False
        #: One scratch tensor per parameter, for the whole run: the weights before a logged step's
        #: update, then |grad|. Preallocated because allocating tens of MB per step costs more
        #: (page faults) than every statistic together.
        self.buffers = None


def _grad_key(tensor):
    g = tensor.grad
    return None if g is None else (id(g), g._version)


class Tracer:
    def __init__(self, torch, options, sink, script, rank=None, on_max_steps=None):
        self.torch = torch
        self.options = options
        self.sink = sink
        self.script = script
        self.rank = rank
        self.on_max_steps = on_max_steps
        self.locator = Locator()
        self.path = None
        self.started = False
        self.started_at = time.time()
        self.optimizers = weakref.WeakKeyDictionary()
        self.states = []
        self.params = {}
        self.steps = 0
        self.backwards = 0
        #: Backward passes whose loss is not read yet: read with the next step's one copy.
        self.pending_backwards = []
        self.last_loss = None
        self.last_backward_at = None
        self.raised = set()
        self.depth = threading.local()
        self.error = None
        self.ended = False

    # --- events -------------------------------------------------------------------------------

    def emit(self, event):
        if not self.started:
            self.started = True
            start = {"type": "run-start", "file": self.script, "startedAt": int(self.started_at * 1000), "traced": True,
                     "pid": os.getpid(), "tracer": self.path or "", "torch": getattr(self.torch, "__version__", "")}
            if self.rank is not None:
                start["rank"] = self.rank
            self.sink.write(start)
        self.sink.write(event)

    def end(self, reason="exit", code=None, message=None):
        if self.ended:
            return
        self.ended = True
        self._flush_backwards()
        if not self.started and self.error is None and reason == "exit":
            return  # nothing traced here (a launcher, a helper process): leave no file
        event = {"type": "run-end", "code": code, "reason": "error" if self.error is not None else reason,
                 "durationMs": int((time.time() - self.started_at) * 1000), "steps": self.steps}
        if self.error is not None:
            event["error"] = self.error
        if message is not None:
            event["message"] = message
        self.emit(event)
        self.sink.flush()

    # --- what the hooks call ------------------------------------------------------------------

    def _entered(self, kind):
        """Whether this call is the outermost of its kind on this thread (a subclass's step calling super().step())."""
        depth = getattr(self.depth, kind, 0)
        setattr(self.depth, kind, depth + 1)
        return depth == 0

    def _left(self, kind):
        setattr(self.depth, kind, getattr(self.depth, kind) - 1)

    def before_backward(self, tensors):
        at = self.locator.here()
        loss = None
        first = tensors[0] if isinstance(tensors, (list, tuple)) and tensors else tensors
        if isinstance(first, self.torch.Tensor) and first.numel() == 1:
            loss = first.detach()
        self._settle_clears(list(self.params.values()))
        self.backwards += 1
        for o in self.states:
            o.backwards_since_zero += 1
        self.pending_backwards.append((self.backwards, loss, at))
        self.last_backward_at = at
        return [(s, s.seen) for s in self.params.values()]

    def after_backward(self, before):
        for s, key in before:
            now = _grad_key(s.tensor)
            if now != key:
                s.backward_since_step = True
            s.seen = now

    def zero_grad(self, owner, params):
        cleared = set()
        for p in params:
            s = self.params.get(id(p))
            if s is not None:
                s.applied = 0
                s.backward_since_step = False
                s.seen = _grad_key(p)
                cleared.add(id(p))
        for o in self.states:
            if any(id(p) in cleared for p in o.params):
                o.backwards_since_zero = 0
                o.steps_since_zero = 0
        own = self.optimizers.get(owner) if _weakrefable(owner) else None
        self.emit({"type": "zero", "optimizer": own.index if own is not None else None})

    def before_step(self, opt):
        o = self._optimizer(opt)
        self._settle_clears([self.params[id(p)] for p in o.params])
        step = self.steps + 1
        self._check_accumulation(o, step)
        o.before = False
        if self._logs(step):
            with self.torch.no_grad():
                if o.buffers is None or any(b.shape != p.shape or b.dtype != p.dtype or b.device != p.device for b, p in zip(o.buffers, o.params)):
                    o.buffers = [self.torch.empty_like(p, memory_format=self.torch.contiguous_format) for p in o.params]
                for b, p in zip(o.buffers, o.params):
                    b.copy_(p.detach())
                o.before = True

    def after_step(self, opt):
        o = self._optimizer(opt)
        self.steps += 1
        step = self.steps
        at = self.locator.here()
        losses = self._flush_backwards()
        stats = self._stats(o) if self._logs(step) else []
        o.before = False
        if losses:
            self.last_loss = losses[-1]
        if stats:
            self._check_values(o, stats, step, at)
        self.emit({"type": "step", "step": step, "optimizer": o.index, "at": at, "loss": num(self.last_loss),
                   "backwardsSinceZero": o.backwards_since_zero, "stepsSinceZero": o.steps_since_zero, "params": stats})
        o.steps_since_zero += 1
        for p in o.params:
            s = self.params[id(p)]
            if p.grad is not None:
                s.applied += 1
            s.backward_since_step = False
            s.seen = _grad_key(p)
        if step >= self.options.get("maxSteps", float("inf")) and self.on_max_steps is not None:
            self.on_max_steps(step)

    # --- bookkeeping --------------------------------------------------------------------------

    def _settle_clears(self, states):
        """Parameters whose applied gradient may have been cleared behind the tracer's back."""
        unsure = []
        for s in states:
            if s.applied == 0:
                continue
            g = s.tensor.grad
            if g is None or s.seen is None or id(g) != s.seen[0]:
                s.applied = 0  # set to None, or replaced by a new tensor
                s.backward_since_step = False
            else:
                unsure.append(s)  # zeroed in place (.zero_(), .data.zero_()) or still there: look
            s.seen = _grad_key(s.tensor)
        if not unsure:
            return
        with self.torch.no_grad():
            norms = _values(self.torch, _norms(self.torch, [s.tensor.grad for s in unsure], 2))
        for s, n in zip(unsure, norms):
            if n == 0:
                s.applied = 0
                s.backward_since_step = False

    def _optimizer(self, opt):
        o = self.optimizers.get(opt)
        if o is not None:
            return o
        params = [p for group in opt.param_groups for p in group["params"]]
        ids = [id(p) for p in params]
        # An optimizer rebuilt over the same parameters (a new learning rate each epoch) continues
        # the same series: the gradients live on the parameters, not on the optimizer object.
        for q in self.states:
            if [id(p) for p in q.params] == ids:
                self.optimizers[opt] = q
                return q
        index = len(self.states)
        named = self._parameter_names(params)
        seen = {}
        names = []
        for i, p in enumerate(params):
            name = named.get(id(p), "param%d" % i)
            n = seen.get(name, 0) + 1
            seen[name] = n
            names.append(name if n == 1 else "%s#%d" % (name, n))
        label = self._label(index, params, named.get("@module"))
        o = _Optimizer(index, label, params, names, 1 if self.backwards > 0 else 0)
        self.optimizers[opt] = o
        self.states.append(o)
        for p in params:
            if id(p) not in self.params:
                self.params[id(p)] = _Param(p)
                self.params[id(p)].seen = _grad_key(p)
        infos = [{"name": names[i], "shape": list(p.shape), "optimizer": index} for i, p in enumerate(params)]
        self.emit({"type": "params", "optimizer": index, "kind": type(opt).__name__, "label": label, "params": infos})
        return o

    def _parameter_names(self, params):
        """Names from the modules that own the parameters: those in the user's frames (locals,
        globals, and one level of attributes: `self.model`), the one listing the most of them first."""
        torch = self.torch
        wanted = {id(p) for p in params}
        modules = []
        seen = set()

        def consider(value):
            if isinstance(value, torch.nn.Module) and id(value) not in seen:
                seen.add(id(value))
                modules.append(value)

        frame = self.locator.user_frame()
        hops = 0
        while frame is not None and hops < 32:
            if not self.locator.is_internal(frame.f_code.co_filename):
                for scope in (frame.f_locals, frame.f_globals):
                    for value in list(scope.values()):
                        consider(value)
                        attrs = getattr(value, "__dict__", None)
                        if isinstance(attrs, dict) and not isinstance(value, (torch.nn.Module, type)):
                            for inner in list(attrs.values()):
                                consider(inner)
            frame = frame.f_back
            hops += 1
        ranked = []
        for m in modules:
            try:
                named = [(n, p) for n, p in m.named_parameters() if id(p) in wanted]
            except Exception:
                continue
            if named:
                ranked.append((len(named), m, named))
        ranked.sort(key=lambda r: -r[0])
        out = {}
        for _, m, named in ranked:
            for n, p in named:
                out.setdefault(id(p), _strip_wrappers(n))
        if ranked:
            inner = ranked[0][1]
            while type(inner).__name__ in _GENERIC_MODULES and isinstance(getattr(inner, "module", None), torch.nn.Module):
                inner = inner.module
            out["@module"] = type(inner).__name__
        return out

    def _label(self, index, params, module_class):
        """The user's own name for an optimizer: the receiver of the step call (`optD.step()`,
        `scaler.step(optD)` → optD), else its module's class, else "optimizer N"; unique in the run."""
        receiver = None
        frame = self.locator.user_frame()
        if frame is not None:
            text = linecache.getline(frame.f_code.co_filename, frame.f_lineno, frame.f_globals)
            m = _STEP_CALL.search(text or "")
            if m is not None:
                receiver = m.group(1)
                if "scaler" in receiver.lower() and m.group(2):
                    receiver = m.group(2)
                receiver = re.sub(r"^self\.", "", receiver)
        base = receiver or (module_class if module_class and module_class not in _GENERIC_MODULES else "optimizer %d" % (index + 1))
        taken = {q.label for q in self.states}
        if base not in taken:
            return base
        fn = frame.f_code.co_name if frame is not None else None
        if fn and fn != "<module>" and "%s in %s" % (base, fn) not in taken:
            return "%s in %s" % (base, fn)
        n = 2
        while "%s #%d" % (base, n) in taken:
            n += 1
        return "%s #%d" % (base, n)

    def _logs(self, step):
        return step <= ALWAYS_LOGGED or step % max(1, int(self.options.get("logEvery", 1))) == 0

    def _flush_backwards(self):
        """Emit the backward events waiting for their loss: every loss read in one copy."""
        if not self.pending_backwards:
            return []
        pending = self.pending_backwards
        self.pending_backwards = []
        tensors = [loss for _, loss, _ in pending if loss is not None]
        values = iter(_values(self.torch, tensors)) if tensors else iter(())
        losses = []
        for index, loss, at in pending:
            value = next(values) if loss is not None else float("nan")
            losses.append(value if loss is not None else None)
            self.emit({"type": "backward", "index": index, "loss": num(value), "at": at})
            if loss is not None and value == value and value not in (float("inf"), float("-inf")):
                continue
            if loss is not None:
                where = at or {}
                self._alert({"kind": "non-finite", "step": self.steps, "file": where.get("file", ""), "line": where.get("line", 0),
                             "message": "step %d: the loss passed to backward() is %s" % (self.steps, _py_float(value))}, "non-finite-loss")
        return [l for l in losses if l is not None]

    def _stats(self, o):
        """Per-parameter statistics on the parameters' device, read in one copy. Each is one fused
        reduction: ‖g‖, ‖w‖, ‖w_before − w‖ (the snapshot buffer takes the difference in place),
        ‖g‖₁ and max |g|."""
        torch = self.torch
        parts = []
        present = []
        with torch.no_grad():
            for i, p in enumerate(o.params):
                g = p.grad
                if g is None:
                    continue
                if g.is_sparse:
                    g = g.coalesce()._values()
                w = p.detach()
                b = o.buffers[i] if o.before and o.buffers is not None else None
                parts.append(torch.linalg.vector_norm(g))
                parts.append(torch.linalg.vector_norm(w))
                if b is not None:
                    parts.append(torch.linalg.vector_norm(b.sub_(w)))
                if g.numel() < _SMALL and g.numel() > 0:
                    # Small: the cost is per kernel, not per byte. Sum and both extremes in two.
                    parts.append(torch.linalg.vector_norm(g, 1))
                    parts.extend(torch.aminmax(g))
                elif b is not None and g.shape == b.shape and g.dtype == b.dtype:
                    # Large: per byte. |g| once into the scratch buffer, then its sum and max.
                    a = torch.abs(g, out=b)
                    parts.append(a.sum())
                    parts.append(-a.amax())
                    parts.append(a.amax())
                else:
                    a = g.abs()
                    parts.append(a.sum())
                    parts.append(-a.amax() if a.numel() > 0 else torch.zeros((), device=a.device))
                    parts.append(a.amax() if a.numel() > 0 else torch.zeros((), device=a.device))
                present.append((i, b is not None, g.numel()))
            values = _values(torch, parts)
        stats = {}
        k = 0
        for i, measured, numel in present:
            g2, w2 = values[k], values[k + 1]
            k += 2
            u2 = None
            if measured:
                u2 = values[k]
                k += 1
            g1, gmax = values[k], max(-values[k + 1], values[k + 2])
            k += 3
            non_finite = 0
            if not _finite(g2):
                g2, gmax, g1, non_finite, numel = _finite_stats(torch, o.params[i].grad)
            ratio = float("nan") if w2 != w2 else (u2 / w2 if u2 is not None and w2 > 0 and u2 == u2 else 0.0)
            stats[i] = {"name": o.names[i], "gradNorm": num(g2), "gradMaxAbs": num(gmax), "gradMeanAbs": num(g1 / numel if numel else 0.0),
                        "weightNorm": num(w2), "updateRatio": num(ratio), "nonFinite": non_finite}
        return [stats.get(i) or {"name": o.names[i], "gradNorm": 0.0, "gradMaxAbs": 0.0, "gradMeanAbs": 0.0,
                                 "weightNorm": num(float(p.detach().norm())), "updateRatio": 0.0, "nonFinite": 0}
                for i, p in enumerate(o.params)]

    # --- alerts -------------------------------------------------------------------------------

    def _alert(self, alert, once):
        if once in self.raised:
            return
        self.raised.add(once)
        if self.rank is not None:
            alert["rank"] = self.rank
        self.emit({"type": "alert", "alert": alert})

    def _check_accumulation(self, o, step):
        stale = [p for p in o.params if self.params[id(p)].applied > 0 and self.params[id(p)].backward_since_step and p.grad is not None]
        if not stale:
            return
        at = self.locator.here() or self.last_backward_at or {}
        passes = max(2, o.backwards_since_zero)
        which = "every parameter" if len(stale) == len(o.params) else "%d of %d parameters" % (len(stale), len(o.params))
        alert = {"kind": "accumulated-gradients", "step": step, "file": at.get("file", ""), "line": at.get("line", 0),
                 "message": "confirmed at runtime: step %d applied gradients of %d backward passes (%s still held gradients an earlier step applied; zero_grad() was not called in between)" % (step, passes, which)}
        if self.last_backward_at is not None:
            alert["backward"] = self.last_backward_at
        self._alert(alert, "acc|%d|%s:%s" % (o.index, at.get("file"), at.get("line")))

    def _check_values(self, o, stats, step, at):
        where = at or {}
        file, line = where.get("file", ""), where.get("line", 0)

        def named(s):
            return "%s's %s" % (o.label, s["name"]) if len(self.states) > 1 else s["name"]

        bad = next((s for s in stats if s["nonFinite"] > 0), None)
        if bad is not None:
            count = bad["nonFinite"]
            self._alert({"kind": "non-finite", "step": step, "file": file, "line": line,
                         "message": "step %d: the gradient of %s has %d NaN/Inf value%s" % (step, named(bad), count, "" if count == 1 else "s")}, "non-finite")
        limit = float(self.options.get("explodingNorm", 1e4))
        big = next((s for s in stats if isinstance(s["gradNorm"], float) and s["gradNorm"] > limit), None)
        if big is not None:
            self._alert({"kind": "exploding", "step": step, "file": file, "line": line,
                         "message": "step %d: the gradient norm of %s is %.3g (above %s, %s)" % (step, named(big), big["gradNorm"], self._name("explodingNorm"), _py_float(limit))}, "exploding")
        small = float(self.options.get("vanishingNorm", 1e-8))
        if step > 1 and stats and all(isinstance(s["gradNorm"], float) and s["gradNorm"] < small and s["nonFinite"] == 0 for s in stats):
            self._alert({"kind": "vanishing", "step": step, "file": file, "line": line,
                         "message": "step %d: every gradient norm is below %s (%s): the parameters barely move" % (step, _py_float(small), self._name("vanishingNorm"))}, "vanishing")

    def _name(self, limit):
        return self.options.get("names", {}).get(limit, limit)


def _weakrefable(obj):
    try:
        weakref.ref(obj)
        return True
    except TypeError:
        return False


def _py_float(x):
    """A number as the TypeScript recorder prints it (NaN, Infinity, 10000)."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return ("%d" % x) if float(x).is_integer() and abs(x) < 1e21 else repr(float(x))


def _finite(x):
    return x == x and x not in (float("inf"), float("-inf"))


def _norms(torch, tensors, order):
    """Norms of each tensor as 0-d float64 tensors: one fused call where torch has it."""
    if not tensors:
        return []
    foreach = getattr(torch, "_foreach_norm", None)
    if foreach is not None and all(t.dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16) for t in tensors) and len({t.device for t in tensors}) == 1:
        try:
            return list(foreach(list(tensors), order))
        except (RuntimeError, TypeError):
            pass
    return [torch.linalg.vector_norm(t.float() if not t.is_floating_point() else t, order) for t in tensors]


def _values(torch, scalars):
    """0-d tensors → Python floats, in one device-to-host copy per device."""
    if not scalars:
        return []
    first = scalars[0]
    if all(t.device == first.device and t.dtype == first.dtype for t in scalars):
        return torch.stack(scalars).tolist()
    if len({t.device for t in scalars}) == 1:
        return torch.stack([t.to(torch.float64) for t in scalars]).tolist()
    return [float(t) for t in scalars]

def _finite_stats(torch, grad):
    """A gradient holding NaN/Inf: norms over its finite entries, and how many are not."""
    g = grad.detach()
    finite = torch.isfinite(g)
    kept = g[finite].to(torch.float64)
    bad = int(g.numel() - int(finite.sum()))
    if kept.numel() == 0:
        return 0.0, 0.0, 0.0, bad, 0
    return float(kept.norm()), float(kept.abs().max()), float(kept.abs().sum()), bad, int(kept.numel())


# --- installing the hooks -----------------------------------------------------------------------

def install(tracer):
    """Hooks into torch: its public optimizer step hooks where it has them (2.0+), else wrapped
    `Optimizer.step` (every class that defines one, subclasses included); always wrapped
    `zero_grad` (no hook exists) and `torch.autograd.backward` (what `Tensor.backward` calls).
    Sets `tracer.path` to say which."""
    torch = tracer.torch
    optim = torch.optim.Optimizer
    module = __import__("torch.optim.optimizer", fromlist=["_"])
    pre = getattr(module, "register_optimizer_step_pre_hook", None)
    post = getattr(module, "register_optimizer_step_post_hook", None)
    use_hooks = pre is not None and post is not None
    if use_hooks:
        try:
            pre(lambda opt, args, kwargs: _guarded(tracer, "pre", tracer.before_step, opt))
            post(lambda opt, args, kwargs: _guarded(tracer, "post", tracer.after_step, opt))
            tracer.path = "optimizer step hooks (torch %s)" % torch.__version__
        except Exception:  # a version whose hooks take something else: wrap instead
            use_hooks = False
    if not use_hooks:
        tracer.path = "wrapped Optimizer.step (torch %s)" % torch.__version__

    def patch_class(cls):
        for name, wrapper in (("zero_grad", _wrap_zero), ("step", None if use_hooks else _wrap_step)):
            if wrapper is None:
                continue
            fn = cls.__dict__.get(name)
            if fn is not None and not getattr(fn, "__gradlens__", False):
                setattr(cls, name, wrapper(tracer, fn))

    def patch_tree(cls):
        patch_class(cls)
        for sub in cls.__subclasses__():
            patch_tree(sub)

    patch_tree(optim)
    # Classes defined later (a user's optimizer): patched when their first instance is built.
    original_init = optim.__init__

    @functools.wraps(original_init)
    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        for cls in type(self).__mro__:
            if isinstance(cls, type) and issubclass(cls, optim):
                patch_class(cls)

    init.__gradlens__ = True
    if not getattr(original_init, "__gradlens__", False):
        optim.__init__ = init

    module_zero = torch.nn.Module.zero_grad
    if not getattr(module_zero, "__gradlens__", False):
        @functools.wraps(module_zero)
        def zero_module(self, *args, **kwargs):
            result = module_zero(self, *args, **kwargs)
            _guarded(tracer, "zero", lambda: tracer.zero_grad(self, list(self.parameters())))
            return result

        zero_module.__gradlens__ = True
        zero_module.__gradlens_original__ = module_zero
        torch.nn.Module.zero_grad = zero_module

    backward = torch.autograd.backward
    if not getattr(backward, "__gradlens__", False):
        @functools.wraps(backward)
        def traced_backward(tensors, *args, **kwargs):
            before = _guarded(tracer, "backward", tracer.before_backward, tensors)
            result = backward(tensors, *args, **kwargs)
            if before is not None:
                _guarded(tracer, "backward", tracer.after_backward, before)
            return result

        traced_backward.__gradlens__ = True
        traced_backward.__gradlens_original__ = backward
        torch.autograd.backward = traced_backward
    return tracer.path


def _guarded(tracer, what, fn, *args):
    """A hook never breaks the user's program: a tracer error is reported once and tracing goes on."""
    try:
        return fn(*args)
    except Exception as error:  # pragma: no cover - reported, not raised
        key = "tracer-error|" + what
        if key not in tracer.raised:
            tracer.raised.add(key)
            import sys

            sys.stderr.write("gradlens: tracing %s failed: %s: %s\n" % (what, type(error).__name__, error))
        return None


def _wrap_step(tracer, step):
    @functools.wraps(step)
    def traced_step(self, *args, **kwargs):
        if not tracer._entered("step"):
            try:
                return step(self, *args, **kwargs)
            finally:
                tracer._left("step")
        try:
            _guarded(tracer, "step", tracer.before_step, self)
            result = step(self, *args, **kwargs)
            _guarded(tracer, "step", tracer.after_step, self)
            return result
        finally:
            tracer._left("step")

    traced_step.__gradlens__ = True
    traced_step.__gradlens_original__ = step
    return traced_step


def _wrap_zero(tracer, zero):
    @functools.wraps(zero)
    def traced_zero(self, *args, **kwargs):
        outer = tracer._entered("zero")
        try:
            result = zero(self, *args, **kwargs)
            if outer:
                _guarded(tracer, "zero", lambda: tracer.zero_grad(self, [p for g in self.param_groups for p in g["params"]]))
            return result
        finally:
            tracer._left("zero")

    traced_zero.__gradlens__ = True
    traced_zero.__gradlens_original__ = zero
    return traced_zero
