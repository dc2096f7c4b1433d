"""Certificates for the TLS tests, made with the `openssl` command line in a temp dir: a CA, a server certificate
for localhost / 127.0.0.1 signed by it, a client certificate signed by it, and an unrelated CA with a client
certificate of its own (what a wrong CA looks like)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certs:
    dir: Path

    def path(self, name: str) -> str:
        return str(self.dir / name)


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca(name: str, cwd: Path) -> None:
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=cwd)  # fmt: skip


def _leaf(name: str, ca: str, cwd: Path, extensions: str) -> None:
    (cwd / f"{name}.ext").write_text(extensions)
    _run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
         "-out", f"{name}.csr", cwd=cwd)  # fmt: skip
    _run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
         "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext", cwd=cwd)  # fmt: skip


def make_certs(where: Path) -> Certs:
    where.mkdir(parents=True, exist_ok=True)
    _ca("ca", where)
    _leaf("server", "ca", where, "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    _leaf("client", "ca", where, "extendedKeyUsage=clientAuth\n")
    _ca("wrongca", where)
    _leaf("wrongclient", "wrongca", where, "extendedKeyUsage=clientAuth\n")
    return Certs(where)
