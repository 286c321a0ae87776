"""What this machine is: its GPUs, memory, CPU, and the precision that trains fastest on it.

The setup cell's report (:mod:`cnn_course.environment`), the chapters' precision choice and the
course's measurements (website runs, benchmarks) all describe the machine with these.
"""

from __future__ import annotations

import os
import platform

# CPU instructions that make bfloat16 fast (recent AMD and Intel server chips).
BFLOAT16_FLAGS = {"avx512_bf16", "amx_bf16"}


def gpu_names() -> list[str]:
    """The attached GPUs by model name where TensorFlow knows it (e.g. "Tesla T4"), else by device name."""
    import tensorflow as tf

    names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            names.append(tf.config.experimental.get_device_details(device).get("device_name") or device.name)
        except (ValueError, RuntimeError):
            names.append(device.name)
    return names


def memory_gb() -> float | None:
    """The machine's memory in GB, where the system says (Linux, macOS); else None."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return None


def cpu_description() -> str:
    """The CPU's name and the vector instructions that set its speed here, e.g.
    "AMD EPYC (x86_64; AVX2, no AVX-512)": two machines both called "2-core AMD EPYC" have
    trained the same model at very different speeds, and bfloat16 is only fast with them."""
    name = _cpuinfo_field("model name") or platform.processor() or platform.machine()
    flags = _cpu_flags()
    if not flags:
        return f"{name} ({platform.machine()})"
    if "avx512f" in flags:
        vector = "AVX-512 with bfloat16" if BFLOAT16_FLAGS & flags else "AVX-512, no bfloat16"
    else:
        vector = "AVX2, no AVX-512" if "avx2" in flags else "no AVX2"
    return f"{name} ({platform.machine()}; {vector})"


def _cpuinfo_field(field: str) -> str:
    """The first value of ``field`` in /proc/cpuinfo (Linux), or "" where there is none."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(field):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _cpu_flags() -> set[str]:
    return set(_cpuinfo_field("flags").split())


def fast_precision() -> str:
    """The Keras dtype policy that trains fastest here, without hurting accuracy.

    - a GPU with tensor cores (compute capability 7.0 or newer, e.g. Colab's T4):
      ``"mixed_float16"``;
    - a CPU with bfloat16 instructions (``avx512_bf16`` or ``amx_bf16``, on recent AMD and
      Intel server chips): ``"mixed_bfloat16"``, which trained Chapter 2's better CNN 1.16
      times as fast as float32 on the course's 2-core development machine (docs/benchmarks.md, the
      ablation);
    - anything else: ``"float32"``, because emulated half precision is slower.

    Mixed precision computes in 16 bits but keeps the weights in float32, so what the model
    learns is the same; keep the last layer in float32 (``dtype="float32"``) for a stable softmax.
    """
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
        if capability >= (7, 0):
            return "mixed_float16"
        return "float32"
    return "mixed_bfloat16" if BFLOAT16_FLAGS & _cpu_flags() else "float32"
