"""The notebook runner, long-lived: one process serves many notebooks, one at a time, each on its own kernel.

Usage: python -m skilldelta_py.runner_service   (the harness starts it; JSON lines in, JSON lines out)

  {"op": "prepare", "kernel": SPEC}   start the kernel SPEC plans now, ahead of its notebook
                                      → {"op": "prepared", "marker": …, "ok": …, "error"?, "cgroups": […]}
  {"op": "execute", "request": PATH}  run the notebook the request file describes on the kernel it names —
                                      the prepared one if it matches, else a fresh one started now —
                                      write the report, kill the kernel → {"op": "executed", "marker": …}
  {"op": "discard"}                   kill the prepared kernel, if any → {"op": "discarded"}
  end of input                        kill any kernel and exit

Requests come from the harness only (the notebook's kernel cannot reach this process's stdin); still,
each is validated before use. A kernel serves exactly one notebook and is killed before the answer
goes out, so nothing of it is alive once the harness has the report. Whatever a notebook does to this
process (a crash, a hang) ends it, and the harness starts another.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from . import kernels, run_notebook

PR_SET_PDEATHSIG = 1


class Service:
    def __init__(self, answers: TextIO) -> None:
        self.answers = answers
        self.kernel: kernels.Kernel | None = None

    def answer(self, message: dict[str, Any]) -> None:
        self.answers.write(json.dumps(message) + "\n")
        self.answers.flush()

    def drop_kernel(self) -> None:
        kernel, self.kernel = self.kernel, None
        if kernel is not None:
            kernels.discard(kernel)

    def prepare(self, spec: dict[str, Any]) -> None:
        self.drop_kernel()
        kernel = kernels.start(spec)
        self.kernel = kernel
        answer: dict[str, Any] = {"op": "prepared", "marker": kernel.marker, "ok": kernel.error is None}
        answer["cgroups"] = kernel.limits.cgroups
        if kernel.error is not None:
            answer["error"] = kernel.error
        self.answer(answer)

    def execute(self, request_path: str) -> None:
        received = time.time() * 1000
        request = json.loads(Path(request_path).read_text())
        request["receivedAtMs"] = received
        spec = request["kernel"]
        kernel = self.kernel
        self.kernel = None
        if kernel is not None and (kernel.marker != spec["marker"] or not kernel.alive()):
            kernels.discard(kernel)  # planned for another notebook's settings, or died while it waited
            kernel = None
        if kernel is None:
            # started on demand: exactly as a kernel always was, nothing imported ahead
            kernel = kernels.start({**spec, "ahead": False, "preload": []})
        answer: dict[str, Any] = {"op": "executed", "marker": kernel.marker}
        try:
            run_notebook.run(request, kernel)
        except Exception as error:  # noqa: BLE001 - no report: the harness says why from the answer
            print(traceback.format_exc(), file=sys.stderr, flush=True)
            answer["error"] = f"{type(error).__name__}: {error}"
        finally:
            kernels.stop(kernel)  # nothing of the kernel outlives its report
        self.answer(answer)
        try:
            kernels.discard(kernel)
        except Exception:  # noqa: BLE001 - the kernel is dead already (stop); this is tidying up
            print(traceback.format_exc(), file=sys.stderr, flush=True)

    def serve(self, requests: TextIO) -> None:
        for line in requests:
            if not line.strip():
                continue
            message = json.loads(line)
            op = message.get("op")
            try:
                if op == "prepare":
                    self.prepare(dict(message["kernel"]))
                elif op == "execute":
                    self.execute(str(message["request"]))
                elif op == "discard":
                    self.drop_kernel()
                    self.answer({"op": "discarded"})
                else:
                    self.answer({"op": "error", "error": f"unknown op {op!r}"})
            except Exception as error:  # noqa: BLE001 - reported to the harness, which decides
                print(traceback.format_exc(), file=sys.stderr, flush=True)
                self.answer({"op": "error", "of": op, "error": f"{type(error).__name__}: {error}"})


def main() -> int:
    # the answers get their own copy of stdout; anything a library prints goes to stderr instead
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    service = Service(answers)

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        # the harness process is gone: stop too (and clean up below)
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    try:
        service.serve(sys.stdin)
    finally:
        service.drop_kernel()
    return 0


if __name__ == "__main__":
    sys.exit(main())
