"""Jobs take read-only snapshots (STYLE: the worker never touches live data);
none of them may make torch warn "The given NumPy array is not writable"
(issue 15 B6: it showed on the first denoise or upscale in the window).

torch gives that warning once per process, so each check runs in a fresh one.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = r"""
import warnings, numpy as np
warnings.simplefilter("error")
from artstudio.jobs.base import CancelToken, readonly_copy, run_sync
from artstudio.jobs.operations import RestoreRequest, operation
rng = np.random.default_rng(0)
image = readonly_copy(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
mask = np.zeros((96, 128), np.uint8)
mask[40:44, 10:100] = 255
task, method = {case!r}
if task == "generate":
    from artstudio.jobs.generate import get_generator
    for name in ("dcgan-faces", "cppn-ink"):
        generator = get_generator(name, device="cpu")
        latent = np.zeros((1, generator.latent_dim), np.float32)
        latent.flags.writeable = False
        generator.render(latent)
else:
    extra = {{"mask": readonly_copy(mask)}} if task == "fill" else {{}}
    run_sync(operation(task, method).job(RestoreRequest(image, device="cpu", **extra), CancelToken()))
print("clean")
"""


@pytest.mark.parametrize("case", [("denoise", "net"), ("upscale", "net"), ("fill", "net"), ("generate", "")])
def test_jobs_on_read_only_snapshots_make_torch_warn_nothing(case):
    run = subprocess.run([sys.executable, "-c", SCRIPT.format(case=case)], capture_output=True, text=True,
                         timeout=240)
    assert run.returncode == 0 and "clean" in run.stdout, run.stderr[-1500:]
