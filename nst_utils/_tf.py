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


def outside_graph(value, name=None):
    """A float32 tensor that yields the numpy array ``value``, which stays out of the GraphDef.

    A ``tf.constant`` is copied into every executor a session builds (one per distinct ``sess.run``
    signature, each with its own graph copy): VGG's weights as constants cost about 1 GB at 400x300
    (measured). A ``numpy_function`` hands TensorFlow the one array in Python at each run, in any
    session, with nothing to initialise. It is stateful, so grappler never folds it into a constant.
    """
    import numpy as np

    array = np.ascontiguousarray(value, dtype=np.float32)
    tensor = tf.numpy_function(lambda: array, [], tf.float32, name=name)
    tensor.set_shape(array.shape)
    return tensor
