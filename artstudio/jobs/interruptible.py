"""Run one long, uninterruptible library call where Cancel can still stop it;
and make a network's forward and backward passes check Cancel between layers.

OpenCV's and scikit-image's solvers are single C calls: a thread running
one cannot be stopped, so Cancel (and closing the window, which waits for
the job thread) would wait seconds for a big hole. :func:`call_interruptibly`
runs such a call in a child process, checks the cancel token while waiting,
and terminates the child when it is set: the job ends within a poll interval.

Children come from a fork server (Linux): forking the GUI process itself,
with Qt's and torch's threads, is unsafe; the server is a clean process that
forks a child in milliseconds. Elsewhere they are spawned.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable

from .base import CancelToken, Cancelled, JobError

POLL_S = 0.05
_PRELOAD = ["numpy", "cv2", "artstudio.core.inpaint"]
_context = None
_lock = threading.Lock()


def _get_context():
    global _context
    with _lock:
        if _context is None:
            methods = multiprocessing.get_all_start_methods()
            _context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if "forkserver" in methods:
                _context.set_forkserver_preload(_PRELOAD)
        return _context


def call_interruptibly(fn: Callable, *args, cancel: CancelToken, poll_s: float = POLL_S):
    """``fn(*args)`` in a child process; raises :class:`Cancelled` within ``poll_s`` of a cancel.

    ``fn`` must be a module-level function and its arguments and result
    picklable (numpy arrays are). An exception in the child is raised here
    as :class:`JobError` with its one-line text; a child killed by the
    system (out of memory) is reported as such.
    """
    if cancel.cancelled:
        raise Cancelled()
    ctx = _get_context()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child_main, args=(sender, fn, args), daemon=True)
    child.start()
    sender.close()
    try:
        while not receiver.poll(poll_s):
            if cancel.cancelled:
                raise Cancelled()
            if not child.is_alive():
                raise JobError("The fill stopped unexpectedly (out of memory?); try a smaller masked area.")
        ok, value = receiver.recv()
    finally:
        receiver.close()
        _end(child)
    if not ok:
        raise JobError(value)
    return value


def _end(child) -> None:
    if child.is_alive():
        child.terminate()
        child.join(1.0)
        if child.is_alive():
            child.kill()
    child.join(1.0)


def _child_main(sender, fn, args) -> None:
    try:
        result = (True, fn(*args))
    except BaseException as error:   # reported to the parent as one line
        text = str(error).strip().splitlines()
        result = (False, f"{type(error).__name__}: {text[0] if text else 'no details'}")
    try:
        sender.send(result)
    finally:
        sender.close()


def cancel_between_layers(net, cancel: CancelToken) -> None:
    """Check the cancel token before every layer, forward and backward.

    One Deep Image Prior iteration at 512x512 output (a x2 upscale) takes about
    a second on a 2-core CPU: checking only between iterations let a cancel
    wait that long.
    Cancelled raised in a hook leaves forward() or backward() as itself.
    """
    import torch

    def check(*_):
        cancel.check()

    def check_backward(_module, _inputs, output):
        if output.requires_grad:
            output.register_hook(check)    # runs as the gradient reaches this convolution

    for module in net.modules():
        if not any(True for _ in module.children()):      # the leaves: convolutions, norms, activations
            module.register_forward_pre_hook(check)
        # Module backward hooks clash with in-place activations; convolution outputs are not
        # modified in place, so a tensor hook there is safe.
        if isinstance(module, torch.nn.Conv2d):
            module.register_forward_hook(check_backward)
