"""Grading's terminal output holds no kernel start-up noise, and every other line still shows."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cnn_course.kernels.quiet import is_noise, quiet_kernel_logs

NOISE_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796251115.926817   18358 port.cc:153] oneDNN custom operations are on. You may see slightly",
    "I0000 00:00:1796251115.928923   18358 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU",
    "E0000 00:00:1796251124.212691   18358 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error",
    "2026-12-02 21:51:42.534659: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:479] Unable to "
    "register cuFFT factory: Attempting to register factory for plugin cuFFT when one has already been registered",
    "2026-12-02 21:51:40.101010: I tensorflow/core/util/port.cc:113] oneDNN custom operations are on.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the "
    "appropriate compiler flags.",
    "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication (including code",
]
KEPT_LINES = [
    "not graded: notes.pdf: not a notebook (.ipynb)",
    "E0000 00:00:1796251124.212691   18358 tensor.cc:12] OOM when allocating tensor with shape[100000,100000]",
    "Traceback (most recent call last):",
    "cnn-course grade: submissions.zip is not a readable zip file",
]


@pytest.mark.parametrize("line", NOISE_LINES)
def test_kernel_start_up_lines_are_noise(line):
    assert is_noise(line)


@pytest.mark.parametrize("line", KEPT_LINES)
def test_errors_and_the_grader_s_own_lines_are_not(line):
    assert not is_noise(line)


def test_the_filter_drops_noise_from_child_processes_and_passes_the_rest(capfd):
    script = "import sys\n" + "".join(f"print({line!r}, file=sys.stderr)\n" for line in NOISE_LINES + KEPT_LINES)
    with quiet_kernel_logs():
        subprocess.run([sys.executable, "-c", script], check=True)
    printed = capfd.readouterr().err.splitlines()
    assert printed == KEPT_LINES


# A worker pool inside the block, as `cnn-course grade --jobs 2` makes it, in a fresh process:
# multiprocessing's resource tracker is started once per process and then lives as long as it.
POOL_INSIDE_THE_BLOCK = """
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from cnn_course.kernels.quiet import quiet_kernel_logs

if __name__ == "__main__":
    with quiet_kernel_logs():
        with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
            assert list(pool.map(abs, [-1, -2])) == [1, 2]
        left = time.perf_counter()
    print(f"{time.perf_counter() - left:.2f}")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no resource tracker process on Windows")
def test_the_block_ends_at_once_after_a_worker_pool(tmp_path):
    script = tmp_path / "pool.py"
    script.write_text(POOL_INSIDE_THE_BLOCK)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60)
    assert float(done.stdout) < 1.0, "the filter waited for a process that outlived the block"
