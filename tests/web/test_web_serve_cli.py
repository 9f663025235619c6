"""``ionflux serve`` as a user runs it: a process answering the API and the page on a port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ionflux.cli import main

BIN = Path(sys.executable).parent


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_serve_answers_api_and_page(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IONFLUX_")}
    proc = subprocess.Popen([str(BIN / "ionflux"), "serve", "--data-dir", str(tmp_path),
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                status, body = _get(base + "/api/health")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.1)
        else:
            raise AssertionError("ionflux serve did not answer within 30 s")
        health = json.loads(body)
        assert status == 200 and health["store"].endswith("ionflux.sqlite")
        status, body = _get(base + "/api/transport?source=published")
        assert json.loads(body)["meta"]["total_doc"] == 0  # a fresh, empty store
        status, body = _get(base + "/")
        assert status == 200 and b"uPlot" in body
        try:
            _get(base + "/api/transport?_limit=9999")
        except urllib.error.HTTPError as exc:
            assert exc.code == 422 and b"_limit" in exc.read()
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_refuses_a_bad_store(capsys, tmp_path):
    assert main(["serve", "--store", str(tmp_path / "missing.yaml")]) == 2
    assert "unknown store" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["fastapi", "uvicorn"])
def test_serve_without_the_web_extra_names_it(monkeypatch, capsys, missing: str):
    for name in [m for m in sys.modules if m == "ionflux.web" or m.startswith("ionflux.web.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # import fails as if not installed
    assert main(["serve", "--store", "memory"]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: ionflux serve needs the web extra ({missing} is not installed): "
                   "pip install 'ionflux[web]'\n")
