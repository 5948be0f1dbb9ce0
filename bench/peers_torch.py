"""PyTorch side of bench/peers.ts: one case per stdin line ("<case> <sample_ms>"), one JSON line back
with the seconds per iteration. Single thread, as the JS systems are. With `--memory <case> <steps>`
(bench/memory.ts): that many steps, then the peak RSS."""
import json, os, sys, time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)


def blas():
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower()}
    return sorted(os.path.basename(l) + " (" + os.path.realpath(l) + ")" for l in libs) or ["unknown"]


def openblas_core():
    """The kernel set OpenBLAS chose for this CPU (what OPENBLAS_CORETYPE would pin), or None."""
    import ctypes
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "openblas" in line.lower() and line.split()[-1].startswith("/")}
    for lib in sorted(libs):
        try:
            fn = ctypes.CDLL(lib).openblas_get_corename
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_char_p
        return fn().decode()
    return None


def make(case):
    kind, _, arg = case.partition(":")
    if kind in ("matmul-AB", "matmul-AtB", "matmul-ABt"):
        n = int(arg)
        a, b = torch.randn(n, n), torch.randn(n, n)
        return {"matmul-AB": lambda: a @ b, "matmul-AtB": lambda: a.t() @ b, "matmul-ABt": lambda: a @ b.t()}[kind]
    if kind == "add4":
        a, b = torch.randn(4), torch.randn(4)
        return lambda: a + b
    if kind == "micrograph":
        x, w, c = torch.randn(4, requires_grad=True), torch.randn(4, requires_grad=True), torch.randn(4)
        def step():
            (x * w + c).sum().backward()
        return step
    if kind in ("mlp-small", "mlp-784"):
        small = kind == "mlp-small"
        sizes = (2, 16, 1) if small else (784, 256, 10)
        model = torch.nn.Sequential(torch.nn.Linear(sizes[0], sizes[1]), torch.nn.Tanh() if small else torch.nn.ReLU(), torch.nn.Linear(sizes[1], sizes[2]))
        opt = torch.optim.SGD(model.parameters(), lr=0.01) if small else torch.optim.Adam(model.parameters())
        batch = 32 if small else 64
        x = torch.randn(batch, sizes[0])
        y = torch.randn(batch, 1) if small else torch.randint(0, 10, (batch,))
        loss_fn = torch.nn.MSELoss() if small else torch.nn.CrossEntropyLoss()
        def step():
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            opt.step()
        return step
    if kind == "cnn-step":
        return cnn_step()
    if kind == "gpt-step":
        return gpt_step()
    raise ValueError(case)


# The demos' models (examples/cnn-digits.ts, examples/tiny-gpt.ts), sizes as in bench/cases.ts.
def cnn_step():
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 4 * 4, 10))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x, y = torch.randn(32, 1, 16, 16), torch.randint(0, 10, (32,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def gpt_step():
    nn, F = torch.nn, torch.nn.functional
    b, t, vocab, d, h, layers = 16, 48, 50, 64, 4, 2

    class Gpt(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens, self.positions = nn.Embedding(vocab, d), nn.Embedding(t, d)
            self.blocks = nn.ModuleList(nn.ModuleDict(dict(ln1=nn.LayerNorm(d), qkv=nn.Linear(d, 3 * d), proj=nn.Linear(d, d),
                                                           ln2=nn.LayerNorm(d), fc=nn.Linear(d, 4 * d), out=nn.Linear(4 * d, d))) for _ in range(layers))
            self.ln_f, self.head = nn.LayerNorm(d), nn.Linear(d, vocab)
            self.register_buffer("mask", torch.ones(t, t, dtype=torch.bool).triu(1))

        def forward(self, ids):
            x = self.tokens(ids) + self.positions(torch.arange(t))
            for m in self.blocks:
                q, k, v = (z.reshape(b, t, h, d // h).transpose(1, 2) for z in m["qkv"](m["ln1"](x)).chunk(3, -1))
                att = ((q @ k.transpose(-2, -1)) / (d // h) ** 0.5).masked_fill(self.mask, float("-inf")).softmax(-1)
                x = x + m["proj"]((att @ v).transpose(1, 2).reshape(b, t, d))
                x = x + m["out"](F.gelu(m["fc"](m["ln2"](x))))
            return self.head(self.ln_f(x))

    model = Gpt()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    ids, targets = torch.randint(0, vocab, (b, t)), torch.randint(0, vocab, (b * t,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(ids).reshape(-1, vocab), targets).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return step


def sample(fn, ms):
    fn()
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - start
        if el * 1000 >= ms:
            return el / n


def peak_rss_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


if len(sys.argv) == 4 and sys.argv[1] == "--memory":
    # bench/memory.ts: one case for a number of steps in this fresh process, then its peak RSS.
    loaded = peak_rss_mb()  # torch is imported above; the interpreter alone is not measured
    fn = make(sys.argv[2])
    for _ in range(int(sys.argv[3])):
        fn()
    print(json.dumps({"startMB": None, "loadedMB": loaded, "peakMB": peak_rss_mb()}), flush=True)
    sys.exit(0)

torch.ones(2, 2) @ torch.ones(2, 2)  # loads the BLAS library, so its core can be read
print(json.dumps({"ready": True, "version": torch.__version__, "blas": blas(), "openblasCore": openblas_core(),
                  "pinned": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}}), flush=True)
cache = {}
for line in sys.stdin:
    case, ms = line.split()
    if case not in cache:
        cache[case] = make(case)
    print(json.dumps({"seconds": sample(cache[case], float(ms))}), flush=True)
