"""Run the orgsim command line with stderr on a pseudo-terminal, as in an interactive shell (progress bars show)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios


def with_terminal_stderr(*args, timeout: float = 120) -> tuple[int, str, str]:
    """(exit status, stdout, what the terminal showed on stderr) of ``orgsim ARGS`` with stdout piped."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "orgsim.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=slave, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the terminal is closed once the process ends
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read()
    proc.wait(timeout=timeout)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")
