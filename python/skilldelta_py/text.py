"""Text that came out of a notebook, made safe to store, show and print.

Kernel output is untrusted: besides the colour codes IPython puts in tracebacks it can carry any
terminal control sequence (window title, clipboard writes, screen clears, cursor moves). Everything
the harness keeps is reduced to printable text with newlines and tabs.
"""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (ESC [ … final), OSC/DCS/SOS/PM/APC strings (ESC ] … BEL or ST),
# and two-byte escapes; then the 8-bit C1 forms; then every other control character.
_CSI = r"\x1b\[[0-?]*[ -/]*[@-~]"
_STRING = r"\x1b[\]PX^_][\s\S]*?(?:\x07|\x1b\\|$)"
_ESC = r"\x1b[@-Z\\-_]?"
_C1 = r"[\x80-\x9f]"
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f]"
_UNSAFE = re.compile("|".join([_STRING, _CSI, _ESC, _C1, _CONTROL]))


# printable ASCII, newline and tab: text made of these alone is plain already
_PLAIN_ASCII = bytes([0x09, 0x0A, *range(0x20, 0x7F)])


def plain(text: str) -> str:
    """Printable text only: every control sequence and control character removed (\\n and \\t kept)."""
    # most output is plain ASCII: one fast pass says so
    if text.isascii() and not text.encode("ascii").translate(None, _PLAIN_ASCII):
        return text
    return _UNSAFE.sub("", text.replace("\r\n", "\n"))


def clip(text: str, limit: int, what: str = "characters") -> str:
    """Keep the head and the tail within `limit`, saying how much was cut in the middle."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]}\n… [{len(text) - limit} {what} cut] …\n{text[-tail:] if tail else ''}"
