"""GradLens for PyTorch: traces training runs (loss, per-parameter gradient statistics, and
alerts for gradients a step applies twice, NaN/Inf, exploding and vanishing gradients).

`gradlens trace train.py` (or `gradlens trace -- torchrun …`) loads this package into every
Python process of the run through its sitecustomize. In a Jupyter kernel, `%load_ext gradlens`
installs the same hooks, and each cell that stepped an optimizer shows the trace view.
Pure Python, no dependency beyond torch.
"""

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython):
    from ._notebook import load

    load(ipython)


def unload_ipython_extension(ipython):
    from ._notebook import unload

    unload(ipython)
