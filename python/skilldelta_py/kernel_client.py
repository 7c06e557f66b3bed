"""The runner's side of the kernel connection: a kernel started inside the sandbox, and a client that
treats everything the kernel sends as untrusted.

- ``SandboxedKernelManager`` launches ``ipykernel`` under the sandbox command the harness planned
  (bubblewrap), talking over Unix sockets in a directory shared with the sandbox.
- ``CappedKernelClient`` refuses any single message over ``max_message_bytes`` (ZMQ drops it before
  it is read into memory); the cell that sent it fails with ``OutputTooLarge``.
- ``CappedNotebookClient`` keeps what it records small and plain: stream names are stdout/stderr only,
  all text loses its control sequences, each cell's stream text is cut head+tail to a budget, the
  notebook's outputs share a total budget, nesting is bounded, and comm messages are ignored.
"""

from __future__ import annotations

import json
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import channel_socket_types
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from traitlets import Int, List, Unicode

from .kernel_probe import SERIES_MIME
from .text import clip, plain


class CappedKernelClient(AsyncKernelClient):
    max_message_bytes = Int(64 << 20)

    def _create_connected_socket(self, channel: str, identity: bytes | None = None) -> zmq.Socket:
        socket = self.context.socket(channel_socket_types[channel])
        socket.linger = 1000
        socket.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        if identity:
            socket.identity = identity
        socket.connect(self._make_url(channel))
        return socket


class SandboxedKernelManager(AsyncKernelManager):
    """ipykernel under the sandbox command; ``sandbox`` is the command prefix ([] runs it directly)."""

    sandbox = List(Unicode())
    python = Unicode()
    max_message_bytes = Int(64 << 20)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return [*self.sandbox, self.python, "-m", "ipykernel_launcher", "-f", self.connection_file]

    def client(self, **kwargs: Any) -> CappedKernelClient:
        kwargs.update(self._client_kwargs())
        return CappedKernelClient(max_message_bytes=self.max_message_bytes, **kwargs)

    def _client_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {}
        kw.update(self.get_connection_info(session=True))
        kw.update({"connection_file": self.connection_file, "parent": self})
        return kw


STREAM_NAMES = ("stdout", "stderr")
MARKER = "[skilldelta: {what} cut here; the notebook's output exceeded the harness's budget]"


def _bounded(value: Any, depth: int) -> Any:
    """JSON-like data with nesting cut at `depth` and all strings made plain."""
    if isinstance(value, str):
        return plain(value)
    if depth <= 0:
        return "[skilldelta: nested too deeply; cut]"
    if isinstance(value, dict):
        return {plain(str(k)): _bounded(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_bounded(v, depth - 1) for v in value]
    return value


class CappedNotebookClient(NotebookClient):
    max_cell_stream_chars = Int(200_000)
    max_notebook_output_bytes = Int(20_000_000)
    max_output_depth = Int(16)
    # our own probe's mimetypes may carry large payloads; only the probe cell may send them
    probe_mimetypes = List(Unicode())
    probe_cell_index = Int(-1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output_bytes = 0
        self.cut: list[dict[str, Any]] = []
        self.renamed_streams = 0

    def handle_comm_msg(self, outs: Any, msg: dict[str, Any], cell_index: int) -> None:
        return None  # widgets and other comms: not part of a benchmark notebook's record

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        msg_type = msg.get("msg_type")
        content = msg.get("content") or {}
        if msg_type in ("stream", "display_data", "execute_result", "error", "update_display_data"):
            content = self._sanitise(msg_type, content, cell, cell_index)
            if content is None:
                return None
            if cell_index == self.probe_cell_index and msg_type == "display_data":
                content = self._with_frames(content, msg.get("buffers") or [])
            msg = {**msg, "content": content}
        return super().process_message(msg, cell, cell_index)

    def _with_frames(self, content: dict[str, Any], frames: list[Any]) -> dict[str, Any]:
        """A probe series chunk's values arrive as the message's binary frames: kept as bytes beside its header.

        Only this method puts bytes in an output (JSON from the kernel cannot), so a chunk's `raw` is the frames'.
        """
        data = content.get("data") or {}
        chunk = data.get(SERIES_MIME)
        if not isinstance(chunk, dict):
            return content
        raw = b"".join(bytes(frame) for frame in frames)
        return {**content, "data": {**data, SERIES_MIME: {**chunk, "raw": raw}}}

    def _sanitise(self, msg_type: str, content: dict[str, Any], cell: Any, cell_index: int) -> dict[str, Any] | None:
        if msg_type == "stream":
            name = content.get("name")
            if name not in STREAM_NAMES:
                self.renamed_streams += 1
                name = "stdout"
            text = plain(str(content.get("text", "")))
            used = sum(len(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
            room = self.max_cell_stream_chars - used
            if room <= 0:
                return None
            if len(text) > room:
                self.cut.append({"cell": cell_index, "what": "stream", "chars": len(text) - room})
                text = clip(text, room) + "\n" + MARKER.format(what="stream output")
            content = {"name": name, "text": text}
        elif msg_type == "error":
            content = {
                "ename": plain(str(content.get("ename", "")))[:200],
                "evalue": clip(plain(str(content.get("evalue", ""))), 4_000),
                "traceback": [clip(plain(str(line)), 4_000) for line in list(content.get("traceback") or [])[:64]],
            }
        else:
            probe = cell_index == self.probe_cell_index
            data = content.get("data") or {}
            if not probe:
                data = {k: v for k, v in data.items() if k not in self.probe_mimetypes}
            content = {
                **{k: v for k, v in content.items() if k not in ("data", "metadata")},
                "data": _bounded(data, self.max_output_depth),
                "metadata": _bounded(content.get("metadata") or {}, self.max_output_depth),
            }
            if probe:
                return content  # the probe's own budget is enforced by the runner when it reads it
        size = len(json.dumps(content, default=str))
        if self.output_bytes + size > self.max_notebook_output_bytes:
            self.cut.append({"cell": cell_index, "what": msg_type, "bytes": size})
            if self.output_bytes < self.max_notebook_output_bytes:
                self.output_bytes = self.max_notebook_output_bytes
                return {"name": "stderr", "text": MARKER.format(what="all further output")} if msg_type == "stream" else None
            return None
        self.output_bytes += size
        return content
