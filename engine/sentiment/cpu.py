"""CPU settings for transformer inference: torch's thread count and int8 dynamic quantisation (torch lazily)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

MAX_THREADS = 4  # BERT on 16 headlines gains little past 4 threads, and the app has other work for the rest
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # a container's CPU quota (cgroup v2): "max 100000" = none


def available_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """CPUs this process may use: its affinity mask, lowered by a cgroup CPU quota when one is set."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(cpus, 1)


def default_threads() -> int:
    """$OMP_NUM_THREADS when set to a positive number (the operator's choice), else the available CPUs
    capped at MAX_THREADS: one thread per core, never more threads than cores (oversubscribed threads
    spin against each other and run slower than fewer)."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return min(available_cpus(), MAX_THREADS)


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count (process-wide) to `threads` or default_threads(); returns it."""
    import torch

    count = default_threads() if threads is None else max(int(threads), 1)
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return count


def quantize_int8(network: Any) -> Any:
    """`network` with every torch.nn.Linear dynamically quantised to int8 weights (activations quantised
    per batch at run time), converted in place. Raises RuntimeError when nothing could be quantised, and
    whatever torch raises when it cannot quantise (no int8 engine on this CPU, API removed)."""
    import torch

    engines = torch.backends.quantized.supported_engines
    if not {"x86", "fbgemm", "qnnpack"} & set(engines):
        raise RuntimeError(f"no int8 engine in this torch build (engines: {', '.join(engines)})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notice (torchao has no fast CPU path)
        quantized = torch.ao.quantization.quantize_dynamic(network, {torch.nn.Linear}, dtype=torch.qint8,
                                                           inplace=True)
    if not any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in quantized.modules()):
        raise RuntimeError("the model has no Linear layers to quantise")
    return quantized
