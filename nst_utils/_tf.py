"""Import TensorFlow quietly, in graph (``tf.compat.v1``) mode.

TensorFlow's C++ start-up writes log lines straight to file descriptor 2, which Jupyter kernels
capture into cell outputs at random; pointing fd 2 at /dev/null during the import stops them
(``TF_CPP_MIN_LOG_LEVEL`` alone does not).
"""
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _flush_stderr():
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # no stderr (``2>&-``), or one that cannot be written
        pass


def _import_tensorflow_quietly():
    _flush_stderr()
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        saved = os.dup(2)
    except OSError:  # file descriptor 2 is closed: /dev/null takes its place, and stays (no file gets it later)
        saved = None
    try:
        os.dup2(devnull, 2)
        import tensorflow
    finally:
        _flush_stderr()
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
        if devnull != 2:
            os.close(devnull)
    return tensorflow


tf = _import_tensorflow_quietly()
tf.get_logger().setLevel("ERROR")
logging.getLogger("absl").setLevel(logging.ERROR)
tf.compat.v1.disable_eager_execution()


def outside_graph(value, name=None):
    """A float32 tensor of the numpy array ``value``: kept out of the GraphDef, copied to its device
    once per session, with nothing to initialise.

    A ``tf.constant`` is copied into every executor a session builds (one per distinct ``sess.run``
    signature, each with its own graph copy): VGG's weights as constants cost about 1 GB at 400x300
    (measured). Here the array reaches the graph through a ``numpy_function`` (run on the host, never
    folded into a constant) only the first time a session reads the tensor, which fills a variable on
    the device the graph places it on (a GPU's memory, where there is one); later runs read that
    variable. The variable is in no collection: not trainable, not initialised, not saved.
    """
    import numpy as np

    array = np.ascontiguousarray(value, dtype=np.float32)
    with tf.name_scope(name or "outside_graph"):
        variable = tf.compat.v1.Variable(lambda: tf.zeros(array.shape), trainable=False, collections=[],
                                         use_resource=True, name="value")

        def fill():
            fetched = tf.numpy_function(lambda: array, [], tf.float32, name="from_numpy")
            fetched.set_shape(array.shape)
            with tf.control_dependencies([variable.assign(fetched)]):
                return variable.read_value()

        tensor = tf.cond(variable.is_initialized(), variable.read_value, fill)
    tensor.set_shape(array.shape)
    return tensor
