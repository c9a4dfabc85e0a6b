"""Start pyrunlog's HTTP-serving processes (exporter, worker) and find their URL."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

SERVING = re.compile(r"serving (http://[\d.]+:\d+)/")
ROOT = Path(__file__).resolve().parents[2]


def console_script() -> str:
    found = shutil.which("pyrunlog", path=str(Path(sys.executable).parent))
    assert found, "the pyrunlog console script is not installed in this virtualenv"
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(args: list[str], log: Path, timeout: float = 30.0) -> Iterator[str]:
    """Run `pyrunlog *args` until the block ends; yields the base URL it logs."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [console_script(), *args], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = SERVING.search(log.read_text())
            if found:
                yield found.group(1)
                return
            assert process.poll() is None, f"pyrunlog {args[0]} exited:\n{log.read_text()}"
            time.sleep(0.1)
        raise AssertionError(f"pyrunlog {args[0]} logged no URL:\n{log.read_text()}")
    finally:
        process.terminate()
        process.wait(timeout=30)


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str) -> tuple[int, str]:
    """GET without proxies: (status, body); status 0 when nothing listens yet."""
    try:
        with _DIRECT.open(url, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()
    except urllib.error.URLError as error:
        return 0, str(error.reason)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """GET url/metrics; every sample by (name, labels)."""
    from prometheus_client.parser import text_string_to_metric_families

    status, text = get(f"{url}/metrics")
    assert status == 200, text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
