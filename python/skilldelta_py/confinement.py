"""Hard limits for the whole process tree of a kernel, set up by the runner on the host.

Where a cgroup can be made (cgroup v1 with writable memory and pids hierarchies, or a delegated
cgroup v2 subtree) the kernel and everything it forks share one memory budget — tmpfs pages
included — and one process cap. Elsewhere the runner falls back to per-process rlimits and says so:
then a notebook that forks can use a multiple of the memory budget, and processes are not capped.
A seccomp filter (libseccomp through pyseccomp) denies the debugging and escape system calls.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import tempfile
import time
from dataclasses import dataclass, field

PR_SET_PDEATHSIG = 1

# system calls a notebook never needs and an escape often does
DENIED_SYSCALLS = [
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "perf_event_open", "bpf", "userfaultfd",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "fspick",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "syslog", "vhangup",
    "keyctl", "add_key", "request_key", "setns", "unshare",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "iopl", "ioperm",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
]  # fmt: skip


@dataclass
class Limits:
    memory_mb: int
    cpu_seconds: int
    max_processes: int
    # what was really applied, for the report
    memory: str = "none"
    processes: str = "none"
    seccomp: str = "none"
    warnings: list[str] = field(default_factory=list)
    cgroups: list[str] = field(default_factory=list)
    seccomp_fd: int | None = None
    nproc: int | None = None
    # a kernel started ahead of its notebook: the hard CPU limit stays open until the notebook's own
    # budget is set inside the kernel (before its first cell; see kernels.limit_source)
    cpu_hard_open: bool = False

    def summary(self) -> dict:
        return {
            "memory": self.memory,
            "processes": self.processes,
            "seccomp": self.seccomp,
            "memoryMb": self.memory_mb,
            "maxProcesses": self.max_processes,
            "cpuSeconds": self.cpu_seconds,
            "cgroups": self.cgroups,
            "warnings": self.warnings,
        }


def _own_cgroup(controller: str | None) -> str | None:
    """This process's cgroup path for a v1 controller (or the v2 path when controller is None)."""
    try:
        with open("/proc/self/cgroup") as handle:
            for line in handle:
                number, controllers, path = line.rstrip("\n").split(":", 2)
                if controller is None and number == "0" and controllers == "":
                    return path
                if controller is not None and controller in controllers.split(","):
                    return path
    except OSError:
        return None
    return None


def _write(path: str, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


def _make_v1(name: str, limits: Limits) -> list[str] | None:
    made: list[str] = []
    try:
        for controller in ("memory", "pids"):
            own = _own_cgroup(controller)
            root = f"/sys/fs/cgroup/{controller}"
            if own is None or not os.path.isdir(root):
                raise OSError(errno.ENOENT, f"no {controller} v1 hierarchy")
            path = os.path.join(root + own, name)
            os.mkdir(path)
            made.append(path)
            if controller == "memory":
                bytes_ = str(limits.memory_mb * 1024 * 1024)
                _write(os.path.join(path, "memory.limit_in_bytes"), bytes_)
                swap = os.path.join(path, "memory.memsw.limit_in_bytes")
                if os.path.exists(swap):
                    _write(swap, bytes_)  # memory + swap: no escape into swap
            else:
                _write(os.path.join(path, "pids.max"), str(limits.max_processes))
        return made
    except OSError:
        for path in reversed(made):
            _remove(path)
        return None


def _make_v2(name: str, limits: Limits) -> list[str] | None:
    own = _own_cgroup(None)
    if own is None:
        return None
    parent = "/sys/fs/cgroup" + own
    try:
        with open(os.path.join(parent, "cgroup.subtree_control")) as handle:
            enabled = handle.read().split()
    except OSError:
        return None
    if "memory" not in enabled or "pids" not in enabled:
        return None  # not delegated with the controllers we need
    path = os.path.join(parent, name)
    try:
        os.mkdir(path)
        _write(os.path.join(path, "memory.max"), str(limits.memory_mb * 1024 * 1024))
        if os.path.exists(os.path.join(path, "memory.swap.max")):
            _write(os.path.join(path, "memory.swap.max"), "0")
        _write(os.path.join(path, "pids.max"), str(limits.max_processes))
    except OSError:
        _remove(path)
        return None
    return [path]


def _remove(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass


def prepare(
    name: str, memory_mb: int, cpu_seconds: int, max_processes: int, want_seccomp: bool, cpu_hard_open: bool = False
) -> Limits:
    limits = Limits(memory_mb=memory_mb, cpu_seconds=cpu_seconds, max_processes=max_processes, cpu_hard_open=cpu_hard_open)
    made = _make_v1(name, limits) or _make_v2(name, limits)
    if made:
        limits.cgroups = made
        kind = "cgroup-v1" if made[0].startswith(("/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids")) else "cgroup-v2"
        limits.memory = kind
        limits.processes = kind
    else:
        limits.memory = "rlimit"
        if os.getuid() != 0:
            # RLIMIT_NPROC counts every process of the user: allow what runs now plus the budget
            limits.processes = "rlimit"
            limits.nproc = _user_processes() + max_processes
        limits.warnings.append(
            "no writable cgroup: memory is limited per process (RLIMIT_AS), so a notebook that forks can use "
            "a multiple of memoryMb"
            + ("" if limits.processes == "rlimit" else ", and the number of processes is not capped")
        )
    if want_seccomp:
        limits.seccomp_fd = _seccomp_fd(limits)
    return limits


def _user_processes() -> int:
    """Tasks (threads included: RLIMIT_NPROC counts them) the user runs now."""
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/status") as handle:
                count += next((int(line.split()[1]) for line in handle if line.startswith("Threads:")), 1)
        except (OSError, ValueError):
            continue
    return count


def _seccomp_fd(limits: Limits) -> int | None:
    try:
        import pyseccomp as seccomp

        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in DENIED_SYSCALLS:
            try:
                rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
            except Exception:  # noqa: BLE001 - a call this kernel or architecture does not have
                continue
        handle = tempfile.TemporaryFile()
        rules.export_bpf(handle)
        handle.flush()
        handle.seek(0)
        fd = os.dup(handle.fileno())
        handle.close()
        limits.seccomp = "filter"
        return fd
    except Exception as error:  # noqa: BLE001 - reported, and the run says isolation is weaker
        limits.warnings.append(f"no seccomp filter ({type(error).__name__}: {error}): ptrace is not blocked")
        return None


def preexec(limits: Limits):
    """Runs in the forked child just before it execs the sandbox: join the cgroups, set the rlimits."""

    def apply() -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        for path in limits.cgroups:
            _write(os.path.join(path, "cgroup.procs"), str(os.getpid()))
        if limits.memory == "rlimit" and limits.memory_mb > 0:
            cap = limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if limits.cpu_seconds > 0:
            hard = resource.RLIM_INFINITY if limits.cpu_hard_open else limits.cpu_seconds + 5
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, hard))
        if limits.nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))

    return apply


def peak_memory_mb(limits: Limits) -> float | None:
    for path in limits.cgroups:
        for name in ("memory.max_usage_in_bytes", "memory.peak"):
            try:
                with open(os.path.join(path, name)) as handle:
                    return int(handle.read().strip()) / 1024 / 1024
            except OSError:
                continue
    return None


def oom_killed(limits: Limits) -> bool:
    for path in limits.cgroups:
        for name, key in (("memory.oom_control", "oom_kill "), ("memory.events", "oom_kill ")):
            try:
                with open(os.path.join(path, name)) as handle:
                    for line in handle:
                        if line.startswith(key) and int(line.split()[1]) > 0:
                            return True
            except OSError:
                continue
    return False


def _procs(path: str) -> list[int] | None:
    try:
        with open(os.path.join(path, "cgroup.procs")) as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return None


def kill_all(limits: Limits, timeout: float = 5.0) -> None:
    """SIGKILL every process in the cgroups and wait (briefly) until they are gone."""
    deadline = time.monotonic() + timeout
    for path in limits.cgroups:
        kill = os.path.join(path, "cgroup.kill")
        if os.path.exists(kill):
            try:
                _write(kill, "1")
            except OSError:
                pass
    while time.monotonic() < deadline:
        left = False
        for path in limits.cgroups:
            for pid in _procs(path) or []:
                left = True
                try:
                    os.kill(pid, signal.SIGKILL)  # again: a process may have forked since
                except OSError:
                    pass
        if not left:
            return
        time.sleep(0.005)


def release(limits: Limits) -> None:
    """Kill whatever is left in the cgroups and remove them."""
    kill_all(limits)
    for path in limits.cgroups:
        _remove(path)
    if limits.seccomp_fd is not None:
        try:
            os.close(limits.seccomp_fd)
        except OSError:
            pass
        limits.seccomp_fd = None
