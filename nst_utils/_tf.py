"""Import TensorFlow quietly, in graph (``tf.compat.v1``) mode.

TensorFlow's C++ start-up writes log lines straight to file descriptor 2, which Jupyter kernels
capture into cell outputs at random; pointing fd 2 at /dev/null during the import stops them
(``TF_CPP_MIN_LOG_LEVEL`` alone does not).
"""
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _import_tensorflow_quietly():
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tensorflow


tf = _import_tensorflow_quietly()
tf.get_logger().setLevel("ERROR")
logging.getLogger("absl").setLevel(logging.ERROR)
tf.compat.v1.disable_eager_execution()
