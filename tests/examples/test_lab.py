"""`make lab` starts JupyterLab on the notebooks: the README's one-line promise, run for real.

The target runs as users run it, with this interpreter's environment as the venv (installing
``orgsim[notebooks]`` there if its stamp is missing), plus the options a test needs: no browser, a free
port on 127.0.0.1, a known token.  The server must answer ``/api``, list the notebooks at its root and
serve the JupyterLab page; then the whole process group started here is stopped.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 180  # seconds: the first start may install the extra and build nothing else


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def test_make_lab_opens_jupyterlab_on_the_notebooks(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}  # fmt: skip
    args = ["make", "-s", "lab", f"VENV={sys.prefix}",
            f"LAB_ARGS=--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"]
    log = (tmp_path / "lab.log").open("w")
    lab = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP
        status = None
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                status, body = get(f"{base}/api")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert status == 200, f"JupyterLab did not answer /api (exit {lab.poll()}):\n{(tmp_path / 'lab.log').read_text()[-3000:]}"
        assert "version" in json.loads(body)

        status, body = get(f"{base}/api/contents?token={token}")
        assert status == 200
        listed = {item["name"] for item in json.loads(body)["content"]}
        notebooks = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
        assert notebooks and notebooks <= listed, f"the server's root is not notebooks/: {sorted(listed)}"

        assert get(f"{base}/api/contents")[0] == 403, "the server answered without its token"
        status, body = get(f"{base}/lab?token={token}")
        assert status == 200 and b"JupyterLab" in body
    finally:
        os.killpg(lab.pid, signal.SIGTERM)  # make and the server it started: the group this test created
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()
        log.close()
