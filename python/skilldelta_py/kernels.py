"""A sandboxed kernel's life, apart from any notebook: started (possibly ahead of demand), used once, killed.

``start()`` gives a kernel its hard limits (cgroup, seccomp: confinement.py), launches ipykernel under
the sandbox command the harness planned (bubblewrap, one sandbox per kernel), waits until it answers,
and — for a kernel started ahead of its notebook — imports the modules the harness preloads (TVB,
numpy, scipy, matplotlib), silently, so the notebook's own imports cost nothing. Nothing but harness
code runs in it before its notebook: the notebook's CPU budget and the probe are set by the runner in
a hidden cell just before the first cell (``limit_source`` and kernel_probe.arm).

``discard()`` kills the kernel's whole process tree at once — no graceful shutdown: nothing in a used
kernel is worth saving — and removes what it left (cgroups, sockets, its runtime directory). A kernel
serves exactly one notebook, so nothing a notebook does (a variable, a patched module, a file in its
/tmp, a child process) can reach the next one, and each kernel, being its own process, draws its own
random seeds.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_core.utils import run_sync

from . import confinement
from .kernel_client import SandboxedKernelManager

# CPU seconds a kernel may spend before its notebook claims it (starting, importing the preloaded modules)
WARMUP_CPU_SECONDS = 120


@dataclass
class Kernel:
    """One kernel, as planned by the harness (``spec``) and as started here."""

    spec: dict[str, Any]
    limits: confinement.Limits
    km: Any = None
    kc: Any = None
    error: str | None = None
    started_at: float = field(default_factory=time.monotonic)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def marker(self) -> str:
        return str(self.spec["marker"])

    def alive(self) -> bool:
        if self.error is not None or self.km is None or self.kc is None:
            return False
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001 - a kernel we cannot ask is not one to run a notebook on
            return False


def _preload_source(names: list[str]) -> str:
    """Import each module for its side effect only: no name is left in the notebook's namespace."""
    return (
        "def _skilldelta_preload(names):\n"
        "    import importlib\n"
        "    for name in names:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except Exception:  # the notebook's own import will fail the same way, in its own cell\n"
        "            pass\n"
        f"_skilldelta_preload({names!r})\n"
        "del _skilldelta_preload\n"
    )


def limit_source(cpu_seconds: int) -> str:
    """In-kernel code that gives the notebook its CPU budget, on top of what the kernel used before it."""
    return (
        "import resource as _skilldelta_resource\n"
        "_skilldelta_usage = _skilldelta_resource.getrusage(_skilldelta_resource.RUSAGE_SELF)\n"
        f"_skilldelta_cpu = int(_skilldelta_usage.ru_utime + _skilldelta_usage.ru_stime) + {int(cpu_seconds)}\n"
        "_skilldelta_resource.setrlimit(_skilldelta_resource.RLIMIT_CPU, (_skilldelta_cpu, _skilldelta_cpu + 5))\n"
        "del _skilldelta_resource, _skilldelta_usage, _skilldelta_cpu\n"
    )


def _run_silently(kc: Any, source: str, timeout: float) -> dict[str, Any]:
    """Run harness code in the kernel outside any notebook; return its execute_reply content.

    The kernel's iopub messages for it (status, streams such as import-time warnings) are read and
    dropped until it is idle again, so none of them can be taken for the first cell's output.
    """
    deadline = time.monotonic() + timeout
    msg_id = kc.execute(source, silent=True, store_history=False, allow_stdin=False)
    reply: dict[str, Any] | None = None
    while reply is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the kernel did not finish its preload within {timeout:.0f} s")
        message = run_sync(kc.get_shell_msg)(timeout=remaining)
        if message.get("parent_header", {}).get("msg_id") == msg_id:
            reply = message.get("content") or {}
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            message = run_sync(kc.get_iopub_msg)(timeout=remaining)
        except queue.Empty:
            break
        if (
            message.get("parent_header", {}).get("msg_id") == msg_id
            and message.get("msg_type") == "status"
            and (message.get("content") or {}).get("execution_state") == "idle"
        ):
            break
    return reply


def start(spec: dict[str, Any]) -> Kernel:
    """Start the kernel ``spec`` describes; a failure is recorded on the kernel (``error``), never raised."""
    runtime = str(spec["runtimeDir"])
    os.makedirs(runtime, exist_ok=True)
    shape = spec["limits"]
    sandbox = list(spec["sandbox"])
    limits = confinement.prepare(
        f"skilldelta-{spec['marker']}",
        int(shape["memoryMb"]),
        WARMUP_CPU_SECONDS,
        int(shape["maxProcesses"]),
        bool(shape["seccomp"]) and bool(sandbox),
        cpu_hard_open=True,
    )
    if limits.seccomp_fd is not None and sandbox:
        # bwrap loads the filter from the fd just before it starts the kernel
        sandbox = [sandbox[0], "--seccomp", str(limits.seccomp_fd), *sandbox[1:]]
    kernel = Kernel(spec=spec, limits=limits)
    km = SandboxedKernelManager(
        kernel_name="python3",
        sandbox=sandbox,
        python=str(spec["python"]),
        max_message_bytes=int(spec["maxMessageBytes"]),
    )
    km.transport = "ipc"  # Unix sockets in a directory shared with the sandbox: no TCP, no network
    km.ip = os.path.join(runtime, "kernel")
    km.connection_file = os.path.join(runtime, "connection.json")
    kernel.km = km
    launch: dict[str, Any] = {
        "cwd": runtime,
        "env": dict(spec["env"]),
        "preexec_fn": confinement.preexec(limits),
        # the raw fds 1/2 go nowhere: what the notebook prints reaches its outputs through ipykernel,
        # and a flood cannot fill a pipe nobody drains
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
    }
    if limits.seccomp_fd is not None:
        launch["pass_fds"] = (limits.seccomp_fd,)
    timeout = float(spec["startupTimeoutSec"])
    try:
        run_sync(km.start_kernel)(**launch)
        kc = km.client()
        kc.start_channels()
        kernel.kc = kc
        run_sync(kc.wait_for_ready)(timeout=timeout)
        kc.allow_stdin = False
        kernel.timings["startMs"] = (time.monotonic() - kernel.started_at) * 1000
        preload = [str(name) for name in spec.get("preload") or []]
        if preload:
            preloaded = time.monotonic()
            reply = _run_silently(kc, _preload_source(preload), timeout)
            if reply.get("status") != "ok":
                raise RuntimeError(f"the preload failed: {reply.get('ename')}: {reply.get('evalue')}")
            kernel.timings["preloadMs"] = (time.monotonic() - preloaded) * 1000
    except Exception as error:  # noqa: BLE001 - reported as the notebook's kernel_start_failed
        kernel.error = f"{type(error).__name__}: {error}"
    return kernel


def stop(kernel: Kernel) -> None:
    """Kill the kernel's whole process tree now and wait until it is gone."""
    process = getattr(getattr(kernel.km, "provisioner", None), "process", None)
    if process is not None:
        # the sandbox's outer process is ours to reap; the rest of the tree dies with it (and below)
        try:
            process.kill()
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
    confinement.kill_all(kernel.limits)


def discard(kernel: Kernel) -> None:
    """Stop the kernel (if it is not already) and remove everything it left behind."""
    stop(kernel)
    if kernel.kc is not None:
        try:
            kernel.kc.stop_channels()
            kernel.kc.context.destroy(linger=0)
        except Exception:  # noqa: BLE001 - best effort: the process is gone either way
            pass
    if kernel.km is not None:
        try:
            run_sync(kernel.km.cleanup_resources)()
        except Exception:  # noqa: BLE001
            pass
    confinement.release(kernel.limits)
    shutil.rmtree(str(kernel.spec["runtimeDir"]), ignore_errors=True)
