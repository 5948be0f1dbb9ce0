"""Runs a notebook headlessly with a real Jupyter kernel (nbclient + ipykernel) and writes the
executed notebook, outputs included: `run_notebook.py cells.json out.ipynb` (cells: a JSON list of sources)."""
import json
import sys

import nbclient
import nbformat

cells = json.load(open(sys.argv[1]))
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
nbclient.NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=True).execute()
nbformat.write(nb, sys.argv[2])
