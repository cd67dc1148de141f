"""Transitional alias: the restore jobs now live in :mod:`.fill_net`, :mod:`.denoise`,
:mod:`.upscale`, :mod:`.tiled` and :mod:`.nets`.

Only :mod:`artstudio.jobs.generate` (and its test) still import the upscaler
from here; delete this module once they import :mod:`.upscale` directly.
"""

from .upscale import UpscaleRequest, run_upscale

__all__ = ["UpscaleRequest", "run_upscale"]
