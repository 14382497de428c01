"""Write nst_utils/calibration.json: the calibration factors of the bundled VGG-16.

Run ``python scripts/make_calibration.py`` after changing the calibration images or target;
tests/test_calibration.py recomputes the factors and fails if the stored ones are stale. Other weight
files (VGG-19) are calibrated on first use and cached (see nst_utils/calibration.py).
"""
import json

from nst_utils import calibration, vgg
from nst_utils.network import bundled_weights_path


def main():
    network = vgg.read_network(bundled_weights_path())
    entry = calibration.record(network)
    calibration.STORED.write_text(json.dumps({entry["sha256"]: entry}, indent=1) + "\n")
    print(f"wrote {calibration.STORED}: factors of {network.name}")
    for name, mean in entry["means"].items():
        print(f"  {name:8s} mean activation {mean:8.3f} -> factor {entry['factors'][name]:.4g}")


if __name__ == "__main__":
    main()
