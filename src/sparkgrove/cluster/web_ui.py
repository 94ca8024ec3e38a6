"""The daemons' web UIs off loopback, when a cluster spec opts in with ``[web_ui] tls = true``.

By default the master's and workers' web UIs listen on 127.0.0.1 on their hosts (reached through
SSH, the console or a tunnel). A spec may instead put them on each host's own address, and then
they are protected twice, with Spark's own parts:

* TLS (Spark's ``spark.ssl.standalone.*``): the user's keystore, or a self-signed certificate
  made here for each host (PKCS12, mode 0600), whose certificates are collected in
  ``<cluster>/tls/ca.pem`` for clients to trust. The plain HTTP port answers only with a
  redirect to the HTTPS one.
* A signed bearer token on every request (Spark's ``org.apache.spark.ui.JWSFilter``): an HS256
  JWS whose key is derived from the cluster's secret. ``sparkgrove cluster ui-token`` prints
  one that expires; without it every page, JSON and static file answers 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sparkgrove.errors import ConfigError, EnvironmentProblem

FILTER = "org.apache.spark.ui.JWSFilter"
TOKEN_MINUTES = 10
_KEY_CONTEXT = b"sparkgrove web UI token key"
_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_key(secret: str) -> bytes:
    """The 256-bit key of the UIs' tokens, derived from the cluster's secret (the secret itself
    never leaves the RPC layer)."""
    return hmac.new(secret.encode(), _KEY_CONTEXT, hashlib.sha256).digest()


def bearer_token(secret: str, *, minutes: float = TOKEN_MINUTES,
                 now: float | None = None) -> str:
    """A JWS for the ``Authorization: Bearer`` header, valid for ``minutes``."""
    issued = int(time.time() if now is None else now)
    claims = {"sub": "sparkgrove", "iat": issued, "exp": issued + int(minutes * 60)}
    signed = (_b64(json.dumps(_HEADER, separators=(",", ":")).encode()) + "."
              + _b64(json.dumps(claims, separators=(",", ":")).encode()))
    signature = hmac.new(token_key(secret), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_b64(signature)}"


def tls_folder(cluster_folder: Path) -> Path:
    """Where a cluster's keystores and the certificates clients trust are kept."""
    return cluster_folder / "tls"


def ca_file(cluster_folder: Path) -> Path:
    """The certificates (PEM) a client trusts to reach this cluster's UIs."""
    return tls_folder(cluster_folder) / "ca.pem"


def _keytool() -> str:
    found = shutil.which("keytool") or (
        str(Path(os.environ["JAVA_HOME"]) / "bin" / "keytool")
        if os.environ.get("JAVA_HOME") else None)
    if not found or not Path(found).exists():
        raise EnvironmentProblem("Making the web UIs' TLS certificates needs Java's keytool, "
                                 "which is not on the PATH; install a Java 17+ JDK.")
    return found


def _run_keytool(*args: str) -> str:
    done = subprocess.run([_keytool(), *args], capture_output=True, text=True, timeout=120,
                          check=False)
    if done.returncode != 0:
        raise EnvironmentProblem(f"keytool {args[0]} failed: "
                                 f"{(done.stderr or done.stdout).strip()[-500:]}")
    return done.stdout


def host_keystore(cluster_folder: Path, address: str, web_ui: dict[str, Any]
                  ) -> tuple[Path, str]:
    """The keystore and its password for ``address``'s UIs: the spec's own keystore (copied into
    the cluster's folder, which every host shares), or a self-signed certificate for that
    address made once. Its certificate is added to :func:`ca_file`."""
    folder = tls_folder(cluster_folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if web_ui.get("keystore"):
        store = folder / "user-keystore.p12"
        password = read_password_file(Path(web_ui["password_file"]), "web_ui.password_file")
        if not store.exists():
            staged = store.with_suffix(".tmp")
            shutil.copyfile(web_ui["keystore"], staged)
            os.chmod(staged, 0o600)
            os.replace(staged, store)
        return store, password
    store = folder / f"{address}.p12"
    secret_file = folder / f"{address}.password"
    if not store.exists():
        password = secrets.token_urlsafe(24)
        staged = folder / f"{address}.p12.tmp"
        staged.unlink(missing_ok=True)
        san = f"IP:{address}" if _is_ip(address) else f"DNS:{address}"
        _run_keytool("-genkeypair", "-alias", "ui", "-keyalg", "EC", "-groupname", "secp256r1",
                     "-dname", f"CN={address}, O=sparkgrove", "-ext", f"SAN={san}",
                     "-validity", "825", "-storetype", "PKCS12", "-keystore", str(staged),
                     "-storepass", password, "-keypass", password)
        os.chmod(staged, 0o600)
        _write_private(secret_file, password)
        os.replace(staged, store)
        pem = _run_keytool("-exportcert", "-rfc", "-alias", "ui", "-keystore", str(store),
                           "-storepass", password)
        with open(ca_file(cluster_folder), "a", encoding="ascii") as bundle:
            bundle.write(pem)
    return store, secret_file.read_text().strip()


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def _is_ip(address: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def read_password_file(path: Path, field: str) -> str:
    """A password kept in a file readable by its owner alone."""
    try:
        mode = path.stat().st_mode & 0o077
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{field}: cannot read {path}: {exc.strerror}.") from exc
    if mode:
        raise ConfigError(f"{field}: {path} holds a password and is readable by others; "
                          f"`chmod 600 {path}`.")
    if not text:
        raise ConfigError(f"{field}: {path} is empty.")
    return text


def ui_properties(secret: str, keystore: Path, password: str, https_port: int
                  ) -> dict[str, str]:
    """The daemon properties that put a UI behind TLS and the token filter."""
    return {"spark.ssl.standalone.enabled": "true",
            "spark.ssl.standalone.keyStore": str(keystore),
            "spark.ssl.standalone.keyStoreType": "PKCS12",
            "spark.ssl.standalone.keyStorePassword": password,
            "spark.ssl.standalone.keyPassword": password,
            "spark.ssl.standalone.port": str(https_port),
            "spark.ssl.standalone.protocol": "TLSv1.3",
            "spark.ui.filters": FILTER,
            f"spark.{FILTER}.param.secretKey": _b64(token_key(secret))}


def fetch_json(url: str, secret: str, cafile: Path, timeout: float = 5.0) -> Any | None:
    """GET ``url`` (HTTPS) with a fresh token, trusting ``cafile``; ``None`` when it does not
    answer. Redirects are not followed, so the token goes to ``url`` alone."""
    if not url.startswith("https://"):
        raise ValueError(f"the UIs' tokens only travel over HTTPS, not to {url}")
    context = ssl.create_default_context(cafile=str(cafile) if cafile.exists() else None)
    request = urllib.request.Request(url, headers={
        "Authorization": f"Bearer {bearer_token(secret, minutes=1)}"})
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                         _NoRedirect())
    try:
        with opener.open(request, timeout=timeout) as resp:
            return json.loads(resp.read().decode())
    except (urllib.error.URLError, OSError, ValueError):
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
