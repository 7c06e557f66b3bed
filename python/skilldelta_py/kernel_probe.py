"""Harness code that runs INSIDE the notebook's kernel: ``arm()`` before the first cell, ``report()`` after the last.

``arm()`` runs before any notebook code. It captures what the probe relies on — numpy's functions, a
few builtins, the kernel's own message channel — and hooks the import of TVB's simulator so that the
real ``Simulator.run`` (that class, found by identity when TVB is imported, never a class merely
*named* Simulator) records a private copy of every output as it returns.

``report()`` sends those copies, the simulators' settings, and the named results the goal's checks
read, over the kernel's message channel (``display_data`` with skilldelta mimetypes). The runner,
outside the sandbox, validates them and writes the signal files; nothing is written to disk here.

So a series the notebook built itself, or changed after the simulation returned it, is never taken
for a simulated one, and patching numpy or the display machinery after ``arm()`` changes nothing.
What remains possible is deliberate tampering with this module from notebook code (it shares the
interpreter); that is outside what an in-kernel probe can prevent, and the executed code is on record.
"""

SUMMARY_MIME = "application/vnd.skilldelta.probe+json"
SERIES_MIME = "application/vnd.skilldelta.series+json"
RESULTS_MIME = "application/vnd.skilldelta.results+json"

_state = None


def arm(max_values, max_runs, chunk_values):
    """Capture references and hook TVB's Simulator before the notebook runs."""
    global _state
    import builtins
    import importlib.abc
    import json
    import sys

    import numpy
    from IPython import get_ipython

    kernel = get_ipython().kernel
    session, iopub, get_parent = kernel.session, kernel.iopub_socket, kernel.get_parent

    def send(mime, payload, buffers=None):
        content = {"data": {mime: payload}, "metadata": {}, "transient": {}}
        session.send(iopub, "display_data", content, parent=get_parent("shell"), buffers=buffers)

    api = {
        "ndarray": numpy.ndarray,
        "array": numpy.array,
        "ascontiguousarray": numpy.ascontiguousarray,
        "array_equal": numpy.array_equal,
        "float64": numpy.float64,
        "integer": numpy.integer,
        "floating": numpy.floating,
        "bool_": numpy.bool_,
        "isfinite": numpy.isfinite,
        "dumps": json.dumps,
        "float": builtins.float,
        "int": builtins.int,
        "str": builtins.str,
        "len": builtins.len,
        "isinstance": builtins.isinstance,
        "type": builtins.type,
        "getattr": builtins.getattr,
        "list": builtins.list,
        "tuple": builtins.tuple,
        "dict": builtins.dict,
        "min": builtins.min,
        "range": builtins.range,
        "id": builtins.id,
    }
    state = {
        "api": api,
        "send": send,
        "max_values": int(max_values),
        "max_runs": int(max_runs),
        "chunk_values": int(chunk_values),
        "runs": [],
        "values": 0,
        "dropped_runs": 0,
        "hooked": False,
        "errors": [],
        "classes": {},
    }
    _state = state

    class Hook(importlib.abc.MetaPathFinder):
        """Patch tvb.simulator.simulator the moment it is first imported."""

        def find_spec(self, fullname, path, target=None):
            if fullname != "tvb.simulator.simulator":
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    loader_exec = spec.loader.exec_module

                    def exec_module(module, _exec=loader_exec):
                        _exec(module)
                        _hook_simulator(module)

                    spec.loader.exec_module = exec_module
                    return spec
            return None

    if "tvb.simulator.simulator" in sys.modules:  # a kernel that imported TVB before the notebook
        _hook_simulator(sys.modules["tvb.simulator.simulator"])
    else:
        sys.meta_path.insert(0, Hook())


def _hook_simulator(module):
    import sys

    state = _state
    if state is None or state["hooked"]:
        return
    simulator = getattr(module, "Simulator", None)
    monitors = sys.modules.get("tvb.simulator.monitors")
    if simulator is None:
        return
    state["classes"] = {"Simulator": simulator, "Monitor": getattr(monitors, "Monitor", None)}
    real_run = simulator.run

    def run(self, *args, **kwargs):
        result = real_run(self, *args, **kwargs)
        try:
            _record(self, result)
        except Exception as error:  # noqa: BLE001 - the probe must never change what run() returns
            state["errors"].append(f"recording a run failed: {type(error).__name__}: {error}")
        return result

    run.__name__ = real_run.__name__
    run.__qualname__ = real_run.__qualname__
    run.__doc__ = real_run.__doc__
    simulator.run = run
    state["hooked"] = True


def _number(value):
    api = _state["api"]
    try:
        number = api["float"](value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _summary(sim):
    api = _state["api"]
    get = api["getattr"]
    monitor_class = _state["classes"].get("Monitor")

    def name(obj):
        return api["type"](obj).__name__ if obj is not None else None

    integrator = get(sim, "integrator", None)
    noise = get(integrator, "noise", None)
    nsig = get(noise, "nsig", None)
    model = get(sim, "model", None)
    monitors = []
    for monitor in api["list"](get(sim, "monitors", None) or ()):
        real = monitor_class is not None and api["isinstance"](monitor, monitor_class)
        monitors.append(
            {
                "type": name(monitor) if real else None,
                "period": _number(get(monitor, "period", None)),
                "variables": _variables(model, monitor),
            }
        )
    connectivity = get(sim, "connectivity", None)
    return {
        "model": name(get(sim, "model", None)),
        "integrator": name(integrator),
        "stochastic": noise is not None,
        "dt": _number(get(integrator, "dt", None)),
        "nsig": [_number(v) for v in api["array"](nsig, dtype=api["float64"]).ravel()[:16]] if nsig is not None else None,
        "coupling": name(get(sim, "coupling", None)),
        "monitors": monitors,
        "simulation_length": _number(get(sim, "simulation_length", None)),
        "regions": api["int"](get(connectivity, "number_of_regions", 0) or 0),
    }


def _variables(model, monitor):
    """The variables a monitor records, by name, in the order of its output's second axis.

    A monitor's ``voi`` indexes what the model observes (``variables_of_interest``), not its state variables.
    """
    api = _state["api"]
    try:
        names = api["list"](model.variables_of_interest)
        return [api["str"](names[api["int"](i)]) for i in api["list"](monitor.voi)][:32]
    except Exception:  # noqa: BLE001 - a name is a convenience for checks, never a reason to fail
        return []


def _record(sim, result):
    state = _state
    api = state["api"]
    if not api["isinstance"](result, (api["list"], api["tuple"])):
        return
    if api["len"](state["runs"]) >= state["max_runs"]:
        state["dropped_runs"] += 1
        return
    summary = _summary(sim)
    series = []
    ndarray = api["ndarray"]
    for position in api["range"](api["len"](result)):
        item = result[position]
        if not (api["isinstance"](item, (api["list"], api["tuple"])) and api["len"](item) == 2):
            continue
        time, data = item[0], item[1]
        if not (api["isinstance"](time, ndarray) and api["isinstance"](data, ndarray)):
            continue
        monitor = summary["monitors"][position] if position < api["len"](summary["monitors"]) else {}
        entry = {
            "position": position,
            "monitor": monitor.get("type"),
            "period": monitor.get("period"),
            "variables": monitor.get("variables", []),
            "shape": [api["int"](n) for n in data.shape],
            "samples": api["int"](time.shape[0]) if time.ndim == 1 else 0,
            "originals": (time, data),
        }
        size = api["int"](time.size) + api["int"](data.size)
        if state["values"] + size > state["max_values"]:
            entry["skipped"] = f"{size} values would exceed the probe's budget of {state['max_values']}"
        else:
            entry["time"] = api["array"](time, dtype=api["float64"], copy=True)
            entry["data"] = api["array"](data, dtype=api["float64"], copy=True)
            state["values"] += size
        series.append(entry)
    state["runs"].append({"simulator": summary, "series": series})


def _same(value, copy):
    api = _state["api"]
    return (
        api["isinstance"](value, api["ndarray"])
        and copy is not None
        and value.shape == copy.shape
        and api["array_equal"](value, copy)
    )


def _names(namespace):
    """Names by which the notebook still holds each recorded series, unchanged since run() returned it."""
    api = _state["api"]
    found = {}

    def add(key, name, rank):
        found.setdefault(key, []).append((rank, name))

    for var, value in api["list"](namespace.items()):
        if var.startswith("_"):
            continue
        for r, run in enumerate(_state["runs"]):
            for entry in run["series"]:
                key = (r, entry["position"])
                original_time, original_data = entry["originals"]
                copy = entry.get("data")
                if value is original_data or _same(value, copy):
                    add(key, var, 2)
                elif api["isinstance"](value, (api["list"], api["tuple"])):
                    if api["len"](value) == 2 and (value[1] is original_data or _same(value[1], copy)):
                        add(key, var, 1)
                    elif 0 < api["len"](value) <= 64:
                        position = entry["position"]
                        if position < api["len"](value):
                            item = value[position]
                            if (
                                api["isinstance"](item, (api["list"], api["tuple"]))
                                and api["len"](item) == 2
                                and (item[1] is original_data or _same(item[1], copy))
                            ):
                                add(key, f"{var}[{position}]", 0)
                else:
                    inner = api["getattr"](value, "data", None)
                    if inner is not None and (inner is original_data or _same(inner, copy)):
                        add(key, var, 3)  # e.g. a TVB TimeSeries wrapping the output
    return {key: [name for _, name in sorted(names)] for key, names in found.items()}


def _plain_result(value, depth, budget):
    api = _state["api"]
    if api["isinstance"](value, (bool, api["bool_"])):
        return bool(value)
    if api["isinstance"](value, (int, api["integer"])):
        return api["int"](value)
    if api["isinstance"](value, (float, api["floating"])):
        return _number(value)
    if api["isinstance"](value, api["ndarray"]):
        if value.size > budget[0]:
            raise ValueError(f"{value.size} values is over the limit")
        if value.dtype.kind not in "biuf":
            raise TypeError(f"a {value.dtype} array is not numeric")
        budget[0] -= value.size
        return _plain_result(api["array"](value, dtype=api["float64"]).tolist(), depth, [value.size + 1])
    if api["isinstance"](value, (api["list"], api["tuple"])) and depth < 4:
        if api["len"](value) > budget[0]:
            raise ValueError(f"{api['len'](value)} items is over the limit")
        budget[0] -= api["len"](value)
        return [_plain_result(item, depth + 1, budget) for item in value]
    raise TypeError(f"a {api['type'](value).__name__} is not a number or a list of numbers")


def report(namespace, result_names, max_result_values):
    """Send the probe's findings to the runner over the kernel's message channel."""
    state = _state
    if state is None:
        raise RuntimeError("the probe was not armed")
    api = state["api"]
    send = state["send"]
    names = _names(namespace)
    chunk = state["chunk_values"]
    series_out = []
    for r, run in enumerate(state["runs"]):
        for entry in run["series"]:
            key = (r, entry["position"])
            header = {
                "run": r,
                "position": entry["position"],
                "names": names.get(key, []),
                "monitor": entry["monitor"],
                "period": entry["period"],
                "variables": entry["variables"],
                "shape": entry["shape"],
                "samples": entry["samples"],
            }
            if "skipped" in entry:
                header["skipped"] = entry["skipped"]
            series_out.append(header)
            if "skipped" in entry:
                continue
            for part in ("time", "data"):
                flat = api["ascontiguousarray"](entry[part], dtype=api["float64"]).ravel()
                total = api["int"](flat.size)
                for offset in api["range"](0, max(total, 1), chunk):
                    piece = flat[offset : offset + chunk]
                    # the values travel as the message's binary frame: no base64, no JSON for megabytes
                    header = {"run": r, "position": entry["position"], "part": part, "offset": offset, "total": total}
                    send(SERIES_MIME, header, [piece.tobytes()])
    results = {}
    budget = [int(max_result_values)]
    for name in result_names:
        if name not in namespace:
            results[name] = {"status": "missing"}
            continue
        try:
            results[name] = {"status": "ok", "value": _plain_result(namespace[name], 0, budget)}
        except (TypeError, ValueError) as error:
            results[name] = {"status": "unusable", "reason": api["str"](error)}
    send(RESULTS_MIME, results)
    send(
        SUMMARY_MIME,
        {
            "hooked": state["hooked"],
            "runs": [run["simulator"] for run in state["runs"]],
            "series": series_out,
            "droppedRuns": state["dropped_runs"],
            "errors": state["errors"][:10],
        },
    )
