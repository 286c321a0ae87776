"""The machine's description: what the setup cell, the website's runs and the benchmarks print."""

import pytest

from cnn_course import hardware


@pytest.mark.parametrize(
    "flags, vector",
    [
        ({"avx2", "avx512f", "avx512_bf16"}, "AVX-512 with bfloat16"),
        ({"avx2", "avx512f"}, "AVX-512, no bfloat16"),
        ({"avx2", "fma"}, "AVX2, no AVX-512"),
        ({"sse4_2"}, "no AVX2"),
    ],
)
def test_the_cpu_is_described_by_the_instructions_that_set_its_speed(monkeypatch, flags, vector):
    monkeypatch.setattr(hardware, "_cpu_flags", lambda: flags)
    assert hardware.cpu_description().endswith(f"; {vector})")
