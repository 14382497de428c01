"""Run the long notebooks in a learner's settings and record how their compared outputs came out.

    python scripts/observe_outputs.py NOTEBOOK [NOTEBOOK ...]     # e.g. 02 05; about 10 minutes each

Each source notebook (by number or name) runs in each setting of ``tests/test_portable_outputs.py`` (another
oneDNN instruction set, no oneDNN). Its compared cells (code cells printing to stdout, without
``NBVAL_IGNORE_OUTPUT``) are fingerprinted and each printed text that differs from the stored one is kept;
the runs replace that notebook's records in ``tests/portable_outputs.json``, which the test checks against
the stored outputs: run this again after re-running a long notebook.
"""
import copy
import json
import os
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from test_portable_outputs import RECORDS, SETTINGS, compared_cells, fingerprint, stdout  # noqa: E402


def observe(path, setting):
    """The record of one run of the source notebook ``path`` in ``setting``."""
    from nbclient import NotebookClient

    stored = nbformat.read(path, as_version=4)
    nb = copy.deepcopy(stored)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute(env={**os.environ, **SETTINGS[setting]})  # the kernel's environment
    cells = compared_cells(stored)
    differences = []
    for i in cells:
        before, after = (stdout(n, i) for n in (stored, nb))
        if before != after:
            differences.append({"cell": i, "stored": before, "observed": after})
    return {"notebook": path.name, "setting": setting, "compared_cells": cells,
            "stored_sha256": fingerprint(stored, cells), "differences": differences}


def main(names):
    paths = [next((ROOT / "notebooks").glob(f"{Path(n).stem.split('_')[0]}_*.ipynb")) for n in names]
    records = [r for r in json.loads(RECORDS.read_text()) if r["notebook"] not in {p.name for p in paths}]
    for path in paths:
        for setting in SETTINGS:
            record = observe(path, setting)
            print(f"{path.name} {setting}: {len(record['differences'])} of {len(record['compared_cells'])} "
                  f"compared cells printed otherwise")
            records.append(record)
    RECORDS.write_text(json.dumps(sorted(records, key=lambda r: (r["notebook"], r["setting"])), indent=1) + "\n")
    print(f"wrote {RECORDS.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["02", "05", "06"])
