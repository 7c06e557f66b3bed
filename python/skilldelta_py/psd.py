"""Power spectrum of a probed signal, measured the way a careful analyst would.

Usage: python -m skilldelta_py.psd 'REQUEST-JSON'   → prints a JSON result on stdout.

Runs in a clean process on the .npz the probe saved, never inside the notebook's kernel.
The traps it avoids (see docs/psd.md): TVB data is time-first, so Welch runs on axis 0;
the sampling rate comes from the time vector in ms; the transient is dropped; each segment
is detrended (DC and drift); the mean spectrum averages per-region-normalised spectra so
one loud region cannot dominate; segments are long (about 2 s) so band edges are resolved;
a flat or decaying signal is reported as such instead of yielding a peak.
This module measures; the matcher decides pass or fail from the numbers.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from scipy.signal import welch


class SignalProblem(Exception):
    """The signal cannot yield a meaningful spectrum; the message says why."""


def as_time_by_region(data: np.ndarray, variable: int, mode: int) -> np.ndarray:
    """Reduce TVB's (time, state-variable, region, mode) layout to (time, region)."""
    if data.ndim == 1:
        return data[:, None]
    if data.ndim == 2:
        return data
    if data.ndim == 4:
        if variable >= data.shape[1] or mode >= data.shape[3]:
            raise SignalProblem(
                f"variable {variable} / mode {mode} out of range for data of shape {list(data.shape)}"
            )
        return data[:, variable, :, mode]
    if data.ndim == 3:
        if variable >= data.shape[1]:
            raise SignalProblem(f"variable {variable} out of range for data of shape {list(data.shape)}")
        return data[:, variable, :]
    raise SignalProblem(f"cannot interpret data of shape {list(data.shape)} as (time, …, region, …)")


def default_transient_ms(duration_ms: float) -> float:
    return 1000.0 if duration_ms >= 3000.0 else 0.25 * duration_ms


def analyse(request: dict[str, Any]) -> dict[str, Any]:
    archive = np.load(request["signal"])
    time_ms = np.asarray(archive["time"], dtype=float)
    data = np.asarray(archive["data"], dtype=float)
    if data.shape[0] != time_ms.shape[0]:
        raise SignalProblem(
            f"the data's first axis has {data.shape[0]} samples but the time vector has {time_ms.shape[0]}: "
            "data must be time-first"
        )
    x = as_time_by_region(data, int(request.get("variableIndex", 0)), int(request.get("modeIndex", 0)))

    steps = np.diff(time_ms)
    dt_ms = float(np.mean(steps))
    if not np.all(steps > 0) or np.std(steps) > 1e-3 * dt_ms:
        raise SignalProblem("the time vector is not uniformly increasing; resample before a spectral check")
    fs = 1000.0 / dt_ms
    duration_ms = float(time_ms[-1] - time_ms[0])

    transient_ms = request.get("transientMs")
    transient_ms = default_transient_ms(duration_ms) if transient_ms is None else float(transient_ms)
    keep = time_ms >= time_ms[0] + transient_ms
    x = x[keep]
    if x.shape[0] < 16:
        raise SignalProblem(
            f"only {x.shape[0]} samples remain after dropping {transient_ms:.0f} ms of transient "
            f"from {duration_ms:.0f} ms: simulate longer"
        )
    if not np.all(np.isfinite(x)):
        raise SignalProblem("the signal contains NaN or infinite values (the simulation diverged)")

    std = np.std(x, axis=0)
    third = x.shape[0] // 3
    early, late = np.std(x[:third], axis=0), np.std(x[-third:], axis=0)
    active = early > 0
    decay_ratio = float(np.median(late[active] / early[active])) if np.any(active) else 0.0

    segment_ms = float(request.get("segmentMs", 2000.0))
    nperseg = int(min(round(segment_ms / dt_ms), x.shape[0] // 2 if x.shape[0] >= 32 else x.shape[0]))
    if nperseg < 16:
        raise SignalProblem(
            f"sampled every {dt_ms:g} ms, {x.shape[0]} samples cannot resolve a spectrum up to 40 Hz: "
            "use a faster monitor or a longer simulation"
        )
    freqs, power = welch(x, fs=fs, axis=0, nperseg=nperseg, detrend="linear", scaling="density")

    fmax = min(float(request.get("fmaxHz", 40.0)), fs / 2)
    fmin = float(request.get("fminHz", 2.0))
    search = (freqs >= fmin) & (freqs <= fmax)
    if not np.any(search):
        raise SignalProblem(f"no frequency bins between {fmin} and {fmax} Hz at this resolution")
    region_total = power[search].sum(axis=0)
    usable = region_total > 0
    if not np.any(usable):
        raise SignalProblem("every region has zero power between the search limits (a flat signal)")
    normalised = power[:, usable] / region_total[usable]
    mean_psd = normalised.mean(axis=1)

    lo, hi = (float(v) for v in request["band"])
    in_band = (freqs >= lo) & (freqs <= hi)
    searched = np.where(search)[0]
    peak_index = searched[np.argmax(mean_psd[search])]
    region_peaks = freqs[searched[np.argmax(normalised[search], axis=0)]]

    result = {
        "fsHz": fs,
        "dtMs": dt_ms,
        "durationMs": duration_ms,
        "droppedMs": transient_ms,
        "samplesUsed": int(x.shape[0]),
        "regions": int(x.shape[1]),
        "nperseg": nperseg,
        "resolutionHz": fs / nperseg,
        "searchHz": [fmin, fmax],
        "peakHz": float(freqs[peak_index]),
        "bandPowerFraction": float(mean_psd[in_band & search].sum() / mean_psd[search].sum()),
        "regionsPeakingInBand": float(np.mean((region_peaks >= lo) & (region_peaks <= hi))),
        "std": {"median": float(np.median(std)), "min": float(np.min(std)), "max": float(np.max(std))},
        "decayRatio": decay_ratio,
        "freqs": freqs[freqs <= fmax].tolist(),
        "meanPsd": mean_psd[freqs <= fmax].tolist(),
    }
    plot = request.get("plotPath")
    if plot:
        draw(result, (lo, hi), plot, request.get("title") or "")
        result["plot"] = plot
    return result


def draw(result: dict[str, Any], band: tuple[float, float], path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    axes.semilogy(result["freqs"], result["meanPsd"], color="#1f4e79", linewidth=1.4, label="mean normalised PSD")
    axes.axvspan(band[0], band[1], color="#f4b183", alpha=0.35, label=f"band {band[0]:g}–{band[1]:g} Hz")
    axes.axvline(result["peakHz"], color="#c00000", linestyle="--", linewidth=1, label=f"peak {result['peakHz']:.2f} Hz")
    axes.set_xlim(0, result["searchHz"][1])
    axes.set_xlabel("frequency (Hz)")
    axes.set_ylabel("relative power")
    axes.set_title(
        (title + "\n" if title else "")
        + f"band fraction {result['bandPowerFraction']:.2f} · resolution {result['resolutionHz']:.2f} Hz",
        fontsize=9,
    )
    axes.legend(fontsize=8, loc="upper right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


if __name__ == "__main__":
    from skilldelta_py.analysis_main import run

    sys.exit(run(analyse, sys.argv))
