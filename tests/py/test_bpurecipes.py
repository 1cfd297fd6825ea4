#!/usr/bin/python3
"""Unit tests of tools/py/bpurecipes.py helpers that the torch probes cannot pin down alone
(exact arithmetic helpers, tie handling, parameter derivations). No torch needed.
Plain asserts; exit status 0 = pass. Run: /usr/bin/python3 tests/py/test_bpurecipes.py
"""

import os
import sys
from fractions import Fraction

import numpy as np

ROOT = os.environ.get("BPUSIM_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "py"))
import bpurecipes as R  # noqa: E402

F32 = np.float32


def round_f32_exact(fr):
    """Correctly rounded float32 of an exact rational (ties to even), by bisection on bits."""
    x = F32(float(fr))  # within an ulp
    for cand in (np.nextafter(x, F32(-np.inf)), x, np.nextafter(x, F32(np.inf))):
        lo, hi = np.nextafter(cand, F32(-np.inf)), np.nextafter(cand, F32(np.inf))
        d = abs(Fraction(float(cand)) - fr)
        if d <= abs(Fraction(float(lo)) - fr) and d <= abs(Fraction(float(hi)) - fr):
            if d == abs(Fraction(float(lo)) - fr) or d == abs(Fraction(float(hi)) - fr):
                other = lo if d == abs(Fraction(float(lo)) - fr) else hi
                bits = int(np.array(cand, F32).view(np.uint32))
                return cand if bits % 2 == 0 else other
            return cand
    raise AssertionError("no float32 neighbour found")


def test_fma_matches_exact_rounding():
    rng = np.random.default_rng(5)
    a = (rng.standard_normal(3000) * 0.05).astype(F32)
    b = rng.integers(0, 256, 3000).astype(F32)
    c = (-a * rng.integers(0, 256, 3000)).astype(F32)
    # near-ties: c chosen so that a*b + c is close to a float32 midpoint
    got = R._fma_f32(a, b, c)
    for i in range(len(a)):
        exact = Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i]))
        want = round_f32_exact(exact)
        assert got[i] == want, (i, a[i], b[i], c[i], got[i], want)


def test_fma_double_rounding_case():
    # a*b = 2^-24 - 2^-60 (exact), c = 1 + 2^-23: the exact sum lies just below the float32
    # midpoint 1 + 3*2^-24 and rounds down to c, but float64 rounds the sum onto the
    # midpoint, after which ties-to-even would round up. fmaf must give c.
    a, b, c = F32(2**-24 * (1 + 2**-18)), F32(1 - 2**-18), F32(1 + 2**-23)
    naive = F32(np.float64(a) * np.float64(b) + np.float64(c))
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    assert naive != round_f32_exact(exact), "not a double-rounding case"
    assert R._fma_f32(a, b, c) == round_f32_exact(exact) == c


def test_fixed_encoding_is_exact():
    rng = np.random.default_rng(9)
    for s in np.exp(rng.uniform(np.log(1e-9), np.log(100.0), 2000)).astype(F32):
        mult, shift = R.fixed_encoding(s)
        assert 2**30 <= mult < 2**31
        assert Fraction(mult, 2**shift) == Fraction(float(s)), (s, mult, shift)


def test_rshift_round_half_away():
    n = np.array([5, 6, 7, -5, -6, -7, 4, -4, 12, -12])
    got = R.rshift_round_half_away(n, 2)  # /4: 1.25 1.5 1.75 -1.25 -1.5 -1.75 1 -1 3 -3
    assert list(got) == [1, 2, 2, -1, -2, -2, 1, -1, 3, -3], got


def test_add_params_exponent_and_multipliers():
    ma, mb, shift = R.add_params(0.5, 0.25, 1.0)
    assert shift == 22 and ma == 2**21 and mb == 2**20, (ma, mb, shift)
    ma, mb, shift = R.add_params(0.3, 0.1, 0.2)  # ratios 1.5 and 0.5 (in float32)
    assert shift == 21 and 2**21 <= ma < 2**22, (ma, mb, shift)
    try:
        R.add_params(1.0, 1.0, 1e-3)
    except ValueError:
        pass
    else:
        raise AssertionError("ratio 1000 accepted")


def test_quantize_ties_to_even_and_clamp():
    s = F32(0.5)
    x = np.array([0.25, 0.75, -0.25, -0.75, 1000.0, -1000.0], dtype=F32)  # x/s = .5 1.5 ...
    assert list(R.quantize(x, s, 10)) == [10, 12, 10, 8, 255, 0]


def test_requantize_saturates():
    acc = np.array([[2**31 - 1, -(2**31), 0, 100]]).reshape(1, 4, 1, 1)
    out = R.requantize_fp32(acc, np.full(4, F32(1e3)), 7)
    assert list(out.reshape(-1)) == [255, 0, 7, 255], out


def test_avgpool_ties_to_even():
    x = np.array([[[[1, 2], [2, 2]]]])  # sum 7 -> 1.75; zp 0
    assert R.avg_pool2d(x, 0, (2, 2), (2, 2))[0, 0, 0, 0] == 2
    x = np.array([[[[0, 1], [1, 0]]]])  # 0.5 -> 0 (even)
    assert R.avg_pool2d(x, 0, (2, 2), (2, 2))[0, 0, 0, 0] == 0
    x = np.array([[[[1, 2], [1, 2]]]])  # 1.5 -> 2 (even)
    assert R.avg_pool2d(x, 0, (2, 2), (2, 2))[0, 0, 0, 0] == 2


def test_conv_padding_contributes_nothing():
    x = np.full((1, 1, 2, 2), 9)
    w = np.ones((1, 1, 3, 3), dtype=np.int64)
    acc = R.conv2d_acc(x, 9, w, 0, np.array([5]), (1, 1), (1, 1))
    assert (acc == 5).all(), acc


def main():
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
    for t in tests:
        t()
        print(f"ok {t.__name__}")
    print(f"{len(tests)} tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
