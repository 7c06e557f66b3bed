"""Harness-owned code that runs INSIDE the notebook's kernel after the last cell.

It finds simulated time series in the user namespace and saves them as .npz files for
checks that run later in a clean process. The kernel namespace is model-written and
untrusted: this code imports what it needs itself, reads values, never calls user
functions, and keeps every name it defines private so the notebook cannot rely on them.

Sources it understands, in order of preference:
  * ``sim.run()`` results: a list of ``(time, data)`` pairs, one per monitor;
  * single ``(time, data)`` pairs, TVB ``TimeSeries`` objects (``.time`` / ``.data``);
  * loose arrays: a data array whose first axis matches a time-like 1-D array
    (``(t, d), = sim.run()`` leaves exactly this).
Time is in milliseconds (TVB's unit); data is time-first.
"""


def __skilldelta_probe(namespace, out_dir, max_elements):
    import json as _json
    import os as _os

    import numpy as _np

    def is_time_axis(value):
        if not isinstance(value, _np.ndarray) or value.ndim != 1 or value.size < 8:
            return False
        if not _np.issubdtype(value.dtype, _np.number):
            return False
        steps = _np.diff(value.astype(float))
        return bool(_np.all(_np.isfinite(steps)) and _np.all(steps > 0))

    def is_data_for(time, value):
        return (
            isinstance(value, _np.ndarray)
            and value.ndim >= 1
            and value.shape[0] == time.shape[0]
            and _np.issubdtype(value.dtype, _np.number)
            and value is not time
        )

    def number(value):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return None
        return value if value == value and abs(value) != float("inf") else None

    def describe_simulator(sim):
        def name_of(obj):
            return type(obj).__name__ if obj is not None else None

        integrator = getattr(sim, "integrator", None)
        noise = getattr(integrator, "noise", None)
        nsig = getattr(noise, "nsig", None)
        return {
            "model": name_of(getattr(sim, "model", None)),
            "integrator": name_of(integrator),
            "stochastic": noise is not None,
            "dt": number(getattr(integrator, "dt", None)),
            "nsig": _np.asarray(nsig, dtype=float).ravel().tolist() if nsig is not None else None,
            "coupling": name_of(getattr(sim, "coupling", None)),
            "monitors": [
                {"type": name_of(m), "period": number(getattr(m, "period", None))}
                for m in (getattr(sim, "monitors", None) or ())
            ],
            "simulation_length": number(getattr(sim, "simulation_length", None)),
            "regions": int(getattr(getattr(sim, "connectivity", None), "number_of_regions", 0) or 0),
        }

    simulators = {}
    for var, value in list(namespace.items()):
        if not var.startswith("_") and type(value).__name__ == "Simulator" and hasattr(value, "monitors"):
            try:
                simulators[var] = describe_simulator(value)
            except Exception as error:  # a half-configured simulator must not sink the probe
                simulators[var] = {"error": repr(error)}

    def monitor_for(time, position=None):
        """Name the monitor that produced a series, from its sampling period."""
        step = float(_np.median(_np.diff(time)))
        matches = []
        for sim in simulators.values():
            monitors = sim.get("monitors") or []
            if position is not None and position < len(monitors):
                return monitors[position]["type"]
            for m in monitors:
                period = m["period"]
                if m["type"] == "Raw":
                    period = sim.get("dt")
                if period and abs(period - step) <= 1e-6 * max(1.0, abs(step)):
                    matches.append(m["type"])
        return matches[0] if len(set(matches)) == 1 else None

    candidates = []
    seen = set()

    def add(source, kind, time, data, position=None):
        if id(data) in seen or not is_time_axis(time) or not is_data_for(time, data):
            return
        seen.add(id(data))
        candidates.append(
            {"source": source, "kind": kind, "time": time, "data": data, "monitor": monitor_for(time, position)}
        )

    def as_pair(value):
        if isinstance(value, (tuple, list)) and len(value) == 2:
            time, data = value
            if isinstance(time, _np.ndarray) and isinstance(data, _np.ndarray):
                return time, data
        return None

    for var, value in list(namespace.items()):
        if var.startswith("_"):
            continue
        pair = as_pair(value)
        if pair is not None:
            add(var, "pair", *pair)
        elif isinstance(value, (tuple, list)) and 0 < len(value) <= 16:
            for position, item in enumerate(value):
                pair = as_pair(item)
                if pair is not None:
                    add(f"{var}[{position}]", "sim.run", *pair, position=position)
        elif type(value).__name__.startswith("TimeSeries") and hasattr(value, "data"):
            time = getattr(value, "time", None)
            if isinstance(time, _np.ndarray):
                add(var, "TimeSeries", time, getattr(value, "data"))

    arrays = {var: value for var, value in namespace.items() if not var.startswith("_") and isinstance(value, _np.ndarray)}
    # a frequency axis is increasing too; do not mistake a spectrum for a time series
    times = {var: value for var, value in arrays.items() if is_time_axis(value) and "freq" not in var.lower() and var != "f"}

    def time_rank(var):
        lowered = var.lower()
        return (lowered not in ("t", "time", "times"), "time" not in lowered, not lowered.startswith("t"), var)

    for var, value in sorted(arrays.items()):
        if var in times and value.ndim == 1:
            continue
        partners = sorted((t for t, arr in times.items() if is_data_for(arr, value)), key=time_rank)
        if partners:
            add(var, "arrays", times[partners[0]], value)

    _os.makedirs(out_dir, exist_ok=True)
    signals = []
    for index, candidate in enumerate(candidates):
        time, data = candidate["time"], candidate["data"]
        entry = {
            "id": f"signal-{index}",
            "source": candidate["source"],
            "kind": candidate["kind"],
            "monitor": candidate["monitor"],
            "shape": list(data.shape),
            "samples": int(time.shape[0]),
            "dt_ms": float(_np.median(_np.diff(time))),
            "start_ms": float(time[0]),
            "duration_ms": float(time[-1] - time[0]),
        }
        if data.size > max_elements:
            entry["skipped"] = f"{data.size} values exceed the probe limit of {max_elements}"
        else:
            path = _os.path.join(out_dir, entry["id"] + ".npz")
            _np.savez(path, time=time.astype(float), data=_np.asarray(data, dtype=float))
            entry["file"] = path
        signals.append(entry)

    return {"signals": signals, "simulators": simulators}
