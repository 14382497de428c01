"""Issue 10: the benchmark's PyTorch peer gets the same weights and images, and says how to add PyTorch."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import nst_utils as nst

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))
import torch_peer  # noqa: E402


def test_export_writes_the_calibrated_weights_and_images_as_nchw(tmp_path):
    path = tmp_path / "inputs.npz"
    torch_peer.export(path, 32, 24)
    data = np.load(path)
    network = nst.read_network(calibrated=True)
    for name, kernel, bias in network.layers:
        np.testing.assert_array_equal(data[f"kernel:{name}"], kernel.transpose(3, 2, 0, 1))
        np.testing.assert_array_equal(data[f"bias:{name}"], bias)
    content = network.preprocess(nst.load_image(nst.CONFIG.CONTENT_IMAGE, 32, 24))
    np.testing.assert_allclose(data["content"], content.transpose(0, 3, 1, 2))
    assert data["style"].shape == data["start"].shape == (1, 3, 24, 32)
    assert not np.array_equal(data["start"], data["content"])


def test_without_torch_the_peer_says_how_to_add_it(tmp_path):
    code = ("import sys, runpy; sys.modules['torch'] = None; "
            f"sys.argv = ['torch_peer.py', {str(tmp_path / 'x.npz')!r}, '1']; "
            f"runpy.run_path({str(BENCH / 'torch_peer.py')!r}, run_name='__main__')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.splitlines()[-1]) == {"missing": torch_peer.HOW_TO_ADD}
    assert "pip install torch" in torch_peer.HOW_TO_ADD
