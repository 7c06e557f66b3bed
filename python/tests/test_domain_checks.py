"""Unit tests of skilldelta_py.domain_checks on synthetic signals with known answers.

Run: /work/main/.venv/bin/python -m pytest python/tests   (if pytest is installed)
 or: /work/main/.venv/bin/python python/tests/test_domain_checks.py   (exits non-zero on a failure)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

PYTHON_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

from skilldelta_py.domain_checks import assess, connectivity_for  # noqa: E402

LABELS, WEIGHTS = connectivity_for(76)
N = len(LABELS)


def rng(seed=0):
    return np.random.default_rng(seed)


def signal(time, data, label="sig"):
    return {"time": time, "data": data, "label": label}


def one(time, data, **extra):
    return {"signals": {"signal": signal(time, data)}, "results": {}, "labels": LABELS, "weights": WEIGHTS, **extra}


def pair(a, b):
    return {"signals": {"from": signal(*a, label="from"), "to": signal(*b, label="to")}, "results": {},
            "labels": LABELS, "weights": WEIGHTS}


def results(**values):
    return {"signals": {}, "results": values, "labels": None, "weights": None}


def oscillators(freq_hz, seconds=6.0, regions=N, noise=0.3, seed=0, fs=1000.0, decay_s=None, tvb_layout=True):
    """Noisy sinusoids with random phases in TVB layout (time, 1, region, 1); time in ms."""
    r = rng(seed)
    t_ms = np.arange(int(seconds * fs)) * 1000.0 / fs
    phase = r.uniform(0, 2 * np.pi, regions)
    x = np.sin(2 * np.pi * freq_hz * t_ms[:, None] / 1000.0 + phase)
    if decay_s is not None:
        x = x * np.exp(-t_ms[:, None] / 1000.0 / decay_s)
    x = x + noise * r.standard_normal((t_ms.size, regions)) * (1.0 if decay_s is None else 1e-4)
    return t_ms, (x[:, None, :, None] if tvb_layout else x)


# ----------------------------------------------------------------------------- connectivity


def test_connectivity_for_reads_tvb_data():
    assert N == 76 and LABELS[35] == "rV1" and LABELS[73] == "lV1"
    assert WEIGHTS.shape == (76, 76) and abs(WEIGHTS.max() - 3.0) < 1e-12
    for n in (66, 68, 96, 192):
        labels, weights = connectivity_for(n)
        assert len(labels) == n and weights.shape == (n, n)


# ----------------------------------------------------------------------------- finite


def test_finite_passes_noise():
    t, d = oscillators(10, seconds=1)
    assert assess("finite", {}, one(t, d))["pass"]


def test_finite_fails_on_nan_and_inf():
    t, d = oscillators(10, seconds=1)
    d = d.copy()
    d[500:, 0, 3, 0] = np.nan
    out = assess("finite", {}, one(t, d))
    assert not out["pass"] and out["measured"]["firstNonFiniteMs"] == 500.0
    d2 = oscillators(10, seconds=1)[1].copy()
    d2[10, 0, 0, 0] = np.inf
    assert not assess("finite", {}, one(t, d2))["pass"]


def test_finite_fails_on_flat_signal():
    t = np.arange(1000.0)
    out = assess("finite", {}, one(t, np.full((1000, 1, N, 1), -1.2)))
    assert not out["pass"] and "flat" in out["reasons"][0]


def test_finite_refuses_region_first_data():
    t, d = oscillators(10, seconds=1, tvb_layout=False)
    out = assess("finite", {}, one(t, d.T))
    assert not out["pass"] and "time-first" in out["reasons"][0] and "region-first" in out["reasons"][0]


# ----------------------------------------------------------------------------- value


def test_value_inside_and_on_the_edges():
    assert assess("value", {"result": "peak_hz", "range": [8, 12]}, results(peak_hz=9.5))["pass"]
    assert assess("value", {"result": "peak_hz", "range": [8, 12]}, results(peak_hz=12.0))["pass"]
    assert assess("value", {"result": "peak_hz", "range": [8, 12]}, results(peak_hz=8))["pass"]


def test_value_outside_missing_nan_or_vector_fails():
    assert not assess("value", {"result": "peak_hz", "range": [8, 12]}, results(peak_hz=12.01))["pass"]
    assert not assess("value", {"result": "peak_hz", "range": [8, 12]}, results(other=10))["pass"]
    assert not assess("value", {"result": "peak_hz", "range": [8, 12]}, results(peak_hz=float("nan")))["pass"]
    out = assess("value", {"result": "peak_hz", "range": [8, 12]}, results(peak_hz=[9.0, 10.0]))
    assert not out["pass"] and "2 values" in out["reasons"][0]


# ----------------------------------------------------------------------------- psd_shift


def test_psd_shift_down_detected():
    a, b = oscillators(10.0, seed=1), oscillators(8.0, seed=2)
    out = assess("psd_shift", {"direction": "down", "min_shift_hz": 1.0}, pair(a, b))
    assert out["pass"], out
    assert abs(out["measured"]["fromPeakHz"] - 10.0) < 0.3 and abs(out["measured"]["toPeakHz"] - 8.0) < 0.3
    assert not assess("psd_shift", {"direction": "up"}, pair(a, b))["pass"]


def test_psd_shift_exactly_min_shift_passes_and_none_fails():
    a, b = oscillators(10.0, seed=1), oscillators(9.5, seed=2)  # 0.5 Hz = one bin of a 2 s segment
    out = assess("psd_shift", {"direction": "down", "min_shift_hz": 0.5}, pair(a, b))
    assert out["pass"] and abs(out["measured"]["shiftHz"] + 0.5) < 1e-9, out
    same = assess("psd_shift", {"direction": "down"}, pair(a, oscillators(10.0, seed=3)))
    assert not same["pass"] and "+0.00 Hz" in same["reasons"][0]


def test_psd_shift_rejects_decaying_transient():
    # the "to" signal peaks at 8 Hz, but only as a decaying transient: not a sustained rhythm
    a, b = oscillators(10.0, seed=1), oscillators(8.0, seed=2, decay_s=0.5)
    out = assess("psd_shift", {"direction": "down"}, pair(a, b))
    assert not out["pass"] and any("decays" in r for r in out["reasons"])


def test_psd_shift_flat_nan_and_region_first():
    a = oscillators(10.0, seed=1)
    t = a[0]
    assert not assess("psd_shift", {"direction": "down"}, pair(a, (t, np.zeros_like(a[1]))))["pass"]
    bad = a[1].copy()
    bad[100, 0, 0, 0] = np.nan
    out = assess("psd_shift", {"direction": "down"}, pair(a, (t, bad)))
    assert not out["pass"] and "NaN" in out["reasons"][0]
    t2, d2 = oscillators(8.0, tvb_layout=False)
    out = assess("psd_shift", {"direction": "down"}, pair(a, (t2, d2.T)))
    assert not out["pass"] and "time-first" in out["reasons"][0]


# ----------------------------------------------------------------------------- fc


def sc_shaped(seconds=20.0, fs=100.0, seed=0, lesion=None, strength=1.0):
    """Gaussian activity whose covariance follows the (log) structural weights."""
    w = (WEIGHTS + WEIGHTS.T) / 2
    np.fill_diagonal(w, 0)
    sc = np.log10(1 + w)
    cov = strength * sc + np.eye(N) * (np.abs(np.linalg.eigvalsh(sc)).max() + 0.05)
    if lesion is not None:
        cov[lesion, :] = 0
        cov[:, lesion] = 0
        cov[lesion, lesion] = 1.0
    x = rng(seed).multivariate_normal(np.zeros(N), cov, size=int(seconds * fs), method="cholesky")
    return np.arange(x.shape[0]) * 1000.0 / fs, x


def test_fc_sc_correlation_and_independent_noise():
    t, x = sc_shaped()
    out = assess("fc", {"sc_correlation": [0.3, 1.0], "transient_ms": 0}, one(t, x))
    assert out["pass"], out
    noise = rng(5).standard_normal(x.shape)
    out = assess("fc", {"sc_correlation": [0.3, 1.0], "transient_ms": 0}, one(t, noise))
    assert not out["pass"] and out["measured"]["scCorrelation"] < 0.1


def test_fc_near_zero_lesion():
    m1 = LABELS.index("rM1")
    t, x = sc_shaped(lesion=m1)
    assert assess("fc", {"near_zero": ["rM1"], "max_abs": 0.1, "transient_ms": 0}, one(t, x))["pass"]
    # silenced node: constant activity counts as uncorrelated, not as NaN
    x2 = x.copy()
    x2[:, m1] = 0.25
    out = assess("fc", {"near_zero": ["rM1"], "transient_ms": 0}, one(t, x2))
    assert out["pass"] and out["measured"]["flatRegions"] == 1


def test_fc_lesioned_node_with_nonzero_fc_fails():
    t, x = sc_shaped()  # rM1 NOT lesioned: it shares activity with its neighbours
    x = x.copy()
    m1 = LABELS.index("rM1")
    x[:, m1] = 0.5 * x[:, m1] + 0.5 * x[:, LABELS.index("rPMCM")]
    out = assess("fc", {"near_zero": ["rM1"], "max_abs": 0.1, "transient_ms": 0}, one(t, x))
    assert not out["pass"] and "rM1 is not disconnected" in out["reasons"][0]


def test_fc_unknown_label_nan_and_flat():
    t, x = sc_shaped()
    out = assess("fc", {"near_zero": ["M1_right"], "transient_ms": 0}, one(t, x))
    assert not out["pass"] and "M1_right" in out["reasons"][0]
    x2 = x.copy()
    x2[7, 3] = np.nan
    assert not assess("fc", {"sc_correlation": [0, 1], "transient_ms": 0}, one(t, x2))["pass"]
    assert not assess("fc", {"sc_correlation": [0, 1], "transient_ms": 0}, one(t, np.ones_like(x)))["pass"]


def test_fc_max_abs_edge_is_inclusive():
    t = np.arange(4.0)
    x = np.zeros((4, N))
    x[:, 1:] = rng(1).standard_normal((4, N - 1))
    x[:, 0] = [1.0, -1.0, 1.0, -1.0]
    from skilldelta_py.domain_checks import _fc_matrix

    fc, _ = _fc_matrix(x)
    edge = float(np.abs(np.delete(fc[0], 0)).max())
    assert assess("fc", {"near_zero": [LABELS[0]], "max_abs": edge, "transient_ms": 0}, one(t, x))["pass"]
    assert not assess("fc", {"near_zero": [LABELS[0]], "max_abs": edge - 1e-4, "transient_ms": 0}, one(t, x))["pass"]


# ----------------------------------------------------------------------------- fc_change


def shared(mix, seed, seconds=10.0, fs=200.0):
    r = rng(seed)
    common = r.standard_normal((int(seconds * fs), 1))
    x = mix * common + (1 - mix) * r.standard_normal((common.shape[0], N))
    return np.arange(common.shape[0]) * 1000.0 / fs, x


def test_fc_change_up_and_down():
    weak, strong = shared(0.3, 1), shared(0.6, 2)
    out = assess("fc_change", {"direction": "up", "min_change": 0.1, "transient_ms": 0}, pair(weak, strong))
    assert out["pass"] and out["measured"]["change"] > 0.3, out
    assert not assess("fc_change", {"direction": "down", "transient_ms": 0}, pair(weak, strong))["pass"]
    assert assess("fc_change", {"direction": "down", "transient_ms": 0}, pair(strong, weak))["pass"]


def test_fc_change_too_small_and_mismatched():
    a, b = shared(0.3, 1), shared(0.3, 2)
    out = assess("fc_change", {"direction": "up", "min_change": 0.02, "transient_ms": 0}, pair(a, b))
    assert not out["pass"]
    t, x = b
    out = assess("fc_change", {"direction": "up", "transient_ms": 0}, pair(a, (t, x[:, :68])))
    assert not out["pass"] and "76 regions" in out["reasons"][0]


# ----------------------------------------------------------------------------- seizure


def epileptor_like(onsets, seconds=6.0, fs=1000.0, seed=0):
    """x2 − x1 like signal: rest at +0.8 with small noise and upward spikes; seizures drop to −1.5."""
    r = rng(seed)
    t = np.arange(int(seconds * fs)) * 1000.0 / fs
    x = 0.8 + 0.02 * r.standard_normal((t.size, N))
    x[::400, :] += 1.2  # interictal spikes go UP: they must not count as seizures
    for label, onset in onsets.items():
        i = LABELS.index(label)
        on = t >= onset
        x[on, i] = -1.5 + 0.3 * np.sin(2 * np.pi * 5 * t[on] / 1000)
    # a second variable (z) so the data has the TVB layout (time, 2, region, 1)
    return t, np.stack([x, 3.0 + 0 * x], axis=1)[..., None]


SEIZURE = {"ez": ["rHC"], "pz": ["rAMYG", "rPHC"], "transient_ms": 1000, "quiet": "others"}


def test_seizure_ez_before_pz_passes():
    t, d = epileptor_like({"rHC": 1500, "rAMYG": 1700, "rPHC": 1900})
    out = assess("seizure", SEIZURE, one(t, d))
    assert out["pass"], out
    assert out["measured"]["onsetMs"]["rHC"] == 1500.0


def test_seizure_in_the_wrong_region_fails():
    t, d = epileptor_like({"lHC": 1500, "rAMYG": 1700, "rPHC": 1900})
    out = assess("seizure", SEIZURE, one(t, d))
    assert not out["pass"]
    assert any("EZ region rHC never" in r for r in out["reasons"]) and any("lHC" in r for r in out["reasons"])


def test_seizure_pz_first_and_other_regions():
    t, d = epileptor_like({"rHC": 1800, "rAMYG": 1700, "rPHC": 1900})
    out = assess("seizure", SEIZURE, one(t, d))
    assert not out["pass"] and "not before PZ region rAMYG" in out["reasons"][0]
    t, d = epileptor_like({"rHC": 1500, "rAMYG": 1700, "rPHC": 1900, "lV1": 2500})
    assert not assess("seizure", SEIZURE, one(t, d))["pass"]
    assert assess("seizure", {**SEIZURE, "quiet": "none"}, one(t, d))["pass"]


def test_seizure_transient_is_ignored_and_equal_onsets_fail():
    t, d = epileptor_like({"rHC": 1500, "rAMYG": 1700, "rPHC": 1900})
    d = d.copy()
    d[:800, 0, :, 0] = -2.0  # random initial conditions: everybody "seizes" in the first 800 ms
    assert assess("seizure", SEIZURE, one(t, d))["pass"]
    t, d = epileptor_like({"rHC": 1500, "rAMYG": 1500, "rPHC": 1900})
    assert not assess("seizure", SEIZURE, one(t, d))["pass"]


def test_seizure_threshold_edge_and_region_first():
    t, d = epileptor_like({"rHC": 1500, "rAMYG": 1700, "rPHC": 1900})
    d = d.copy()
    d[:, 0, LABELS.index("lV1"), 0] = 0.0  # exactly on the threshold: not a crossing ("below" is strict)
    assert assess("seizure", SEIZURE, one(t, d))["pass"]
    out = assess("seizure", SEIZURE, one(t, np.moveaxis(d, 0, -1)))
    assert not out["pass"] and "time-first" in out["reasons"][0]


# ----------------------------------------------------------------------------- evoked


def evoked_signal(stim, onset=1000.0, latency=40.0, amp=0.2, noise=0.01, seconds=2.0, fs=1000.0, seed=0):
    r = rng(seed)
    t = np.arange(int(seconds * fs)) * 1000.0 / fs
    x = noise * r.standard_normal((t.size, N))
    bump = amp * np.exp(-0.5 * ((t - onset - latency) / 10.0) ** 2)
    for label in stim:
        x[:, LABELS.index(label)] += bump
    return t, x[:, None, :, None]


EVOKED = {"onset_ms": 1000, "regions": ["rV1", "rV2"], "window_ms": [0, 200], "min_ratio": 3}


def test_evoked_response_passes():
    t, d = evoked_signal(["rV1", "rV2"])
    out = assess("evoked", EVOKED, one(t, d))
    assert out["pass"], out
    assert abs(out["measured"]["regions"]["rV1"]["latencyMs"] - 40) <= 2


def test_evoked_wrong_region_or_late_fails():
    t, d = evoked_signal(["lV1", "lV2"])
    assert not assess("evoked", EVOKED, one(t, d))["pass"]
    t, d = evoked_signal(["rV1", "rV2"], latency=400)
    out = assess("evoked", EVOKED, one(t, d))
    assert not out["pass"] and "outside 0–200 ms" in out["reasons"][0]


def test_evoked_flat_baseline_uses_floor_and_min_vs_others():
    t, d = evoked_signal(["rV1", "rV2"], noise=0.0)
    assert assess("evoked", EVOKED, one(t, d))["pass"]
    # every region responds the same (the stimulus went everywhere / to the wrong place): min_vs_others catches it
    t, d = evoked_signal(LABELS, noise=0.0)
    assert assess("evoked", EVOKED, one(t, d))["pass"]
    out = assess("evoked", {**EVOKED, "min_vs_others": 2.0}, one(t, d))
    assert not out["pass"] and "does not single out" in out["reasons"][0]
    assert not assess("evoked", EVOKED, one(t, np.zeros_like(d)))["pass"]


# ----------------------------------------------------------------------------- trend


def test_trend_monotonic_and_exact_edge():
    x = [0.0, 0.01, 0.02, 0.03, 0.04]
    assert assess("trend", {"x": "g", "y": "m", "direction": "increasing"}, results(g=x, m=[1, 2, 3, 4, 5]))["pass"]
    assert not assess("trend", {"x": "g", "y": "m", "direction": "decreasing"}, results(g=x, m=[1, 2, 3, 4, 5]))["pass"]
    out = assess("trend", {"x": "g", "y": "m", "direction": "increasing", "min_spearman": 0.8}, results(g=x, m=[2, 1, 4, 3, 5]))
    assert out["pass"] and abs(out["measured"]["spearman"] - 0.8) < 1e-12


def test_trend_non_monotonic_constant_and_short():
    g = np.linspace(0, 1, 9)
    u = (g - 0.5) ** 2  # a U-shaped sweep has no monotonic trend
    assert not assess("trend", {"x": "g", "y": "m", "direction": "decreasing"}, results(g=g.tolist(), m=u.tolist()))["pass"]
    assert not assess("trend", {"x": "g", "y": "m"}, results(g=g.tolist(), m=[1.0] * 9))["pass"]
    assert not assess("trend", {"x": "g", "y": "m"}, results(g=[0, 1], m=[0, 1]))["pass"]
    out = assess("trend", {"x": "g", "y": "m"}, results(g=[0, 1, 2, 3], m=[0, 1, float("nan"), 3]))
    assert not out["pass"] and "NaN" in out["reasons"][0]


# ----------------------------------------------------------------------------- regime


def test_regime_oscillation_vs_fixed_point():
    t, d = oscillators(10.0, seconds=4, noise=0.0)
    assert assess("regime", {"expect": "oscillation"}, one(t, d))["pass"]
    assert not assess("regime", {"expect": "fixed_point"}, one(t, d))["pass"]
    flat = np.full_like(d, -0.3)
    assert assess("regime", {"expect": "fixed_point"}, one(t, flat))["pass"]
    assert not assess("regime", {"expect": "oscillation"}, one(t, flat))["pass"]


def test_regime_decaying_transient_is_not_an_oscillation():
    t, d = oscillators(9.3, seconds=4, decay_s=1.5)  # still visible at the end, but decaying
    out = assess("regime", {"expect": "oscillation", "transient_ms": 1000}, one(t, d))
    assert not out["pass"] and any("decays" in r for r in out["reasons"])
    assert not assess("regime", {"expect": "fixed_point", "transient_ms": 1000}, one(t, d))["pass"]


def test_regime_regions_subset_and_nan():
    t, d = oscillators(10.0, seconds=4, noise=0.0)
    d = d.copy()
    d[:, 0, LABELS.index("rV1"), 0] = 0.1
    assert assess("regime", {"expect": "fixed_point", "regions": ["rV1"]}, one(t, d))["pass"]
    d[-1, 0, 0, 0] = np.nan
    assert not assess("regime", {"expect": "oscillation"}, one(t, d))["pass"]


# ----------------------------------------------------------------------------- recovered


def test_recovered_scalar_vector_label():
    p = {"result": "x0_hat", "truth": -1.6, "tolerance": 0.1}
    assert assess("recovered", p, results(x0_hat=-1.65))["pass"]
    assert assess("recovered", p, results(x0_hat=-1.5))["pass"]  # exactly on the tolerance edge
    assert not assess("recovered", p, results(x0_hat=-1.8))["pass"]
    assert not assess("recovered", p, results(x0_hat=float("nan")))["pass"]
    v = {"result": "x0s", "truth": [-1.6, -2.4], "tolerance": 0.1}
    assert assess("recovered", v, results(x0s=[-1.62, -2.35]))["pass"]
    assert not assess("recovered", v, results(x0s=[-2.4, -1.6]))["pass"]
    lab = {"result": "ez", "truth": "rHC"}
    assert assess("recovered", lab, results(ez="rhc"))["pass"] and not assess("recovered", lab, results(ez="lHC"))["pass"]


# ----------------------------------------------------------------------------- contract, CLI, speed


def test_assess_never_raises_on_missing_inputs():
    for kind in ("finite", "psd_shift", "fc", "fc_change", "seizure", "evoked", "regime"):
        out = assess(kind, {}, {"signals": {}, "results": {}})
        assert out["pass"] is False and out["reasons"], kind
    for kind in ("value", "trend", "recovered"):
        out = assess(kind, {"result": "a", "range": [0, 1], "x": "a", "y": "b", "truth": 1}, {})
        assert out["pass"] is False and out["reasons"], kind
    json.dumps(assess("fc", {"near_zero": ["rM1"]}, one(*sc_shaped(seconds=2))))


def test_cli_prints_one_json_line():
    t, d = oscillators(10.0, seconds=2)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "s.npz")
        np.savez(path, time=t, data=d)
        request = {"kind": "regime", "params": {"expect": "oscillation"}, "signals": {"signal": path}}
        done = subprocess.run([sys.executable, "-m", "skilldelta_py.domain_checks", json.dumps(request)],
                              cwd=PYTHON_DIR, capture_output=True, text=True, check=True)
        lines = done.stdout.strip().splitlines()
        assert len(lines) == 1
        reply = json.loads(lines[0])
        assert reply["ok"] and reply["result"]["pass"], reply
        bad = subprocess.run([sys.executable, "-m", "skilldelta_py.domain_checks", "{not json"],
                             cwd=PYTHON_DIR, capture_output=True, text=True, check=True)
        assert json.loads(bad.stdout)["ok"] is False


def _run_all() -> int:
    failures = 0
    tests = [(name, fn) for name, fn in globals().items() if name.startswith("test_") and callable(fn)]
    for name, fn in tests:
        try:
            fn()
            print(f"ok   {name}")
        except Exception as error:  # noqa: BLE001
            failures += 1
            print(f"FAIL {name}: {type(error).__name__}: {error}")
    print(f"{len(tests) - failures}/{len(tests)} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(_run_all())
