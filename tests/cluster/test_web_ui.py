"""Specs that put the daemons' UIs on the network, their tokens and keystores (the UIs
themselves are exercised on namespace hosts in test_multihost)."""

import base64
import hashlib
import hmac
import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sparkgrove.cluster import web_ui
from sparkgrove.cluster.spec import ClusterSpec, build_spec
from sparkgrove.errors import ConfigError
from sparkgrove.jsonable import to_jsonable


def hosts_spec(**extra: Any) -> dict[str, Any]:
    return {"name": "h", "primary": {"host": "10.0.0.5"},
            "core": [{"hosts": ["10.0.0.6"], "cores": 1, "memory": "1g"}], **extra}


def test_a_spec_with_fixed_ports_and_tls_uis_reads_back_the_same() -> None:
    spec = build_spec(hosts_spec(primary={"host": "10.0.0.5", "port": 7077, "webui_port": 8080},
                                 web_ui={"tls": True}))
    assert (spec.master_port, spec.master_webui_port, spec.ui_tls) == (7077, 8080, True)
    assert ClusterSpec.from_dict(to_jsonable(spec)) == spec
    plain = build_spec(hosts_spec())
    assert (plain.master_port, plain.ui_tls) == (None, False)


@pytest.mark.parametrize(("extra", "match"), [
    ({"web_ui": {"tls": False}}, "web_ui.tls must be true.*Remove \\[web_ui\\] to keep"),
    ({"web_ui": {}}, "web_ui.tls must be true"),
    ({"web_ui": {"tls": True, "port": 1}}, r"\[web_ui\] takes 'tls', 'keystore'"),
    ({"web_ui": {"tls": True, "keystore": "/etc/hostname"}},
     "keystore and web_ui.password_file go together"),
    ({"web_ui": {"tls": True, "keystore": "/nope.p12", "password_file": "/etc/hostname"}},
     "web_ui.keystore /nope.p12 is not a file"),
    ({"configurations": [{"classification": "spark-defaults",
                          "properties": {"spark.ui.filters": "x.Y"}}]},
     "spark.ui.filters are set by sparkgrove"),
    ({"configurations": [{"classification": "spark-defaults",
                          "properties": {"spark.ssl.standalone.enabled": "false"}}],
      "web_ui": {"tls": True}}, "spark.ssl.standalone.enabled are set by sparkgrove"),
    ({"primary": {"host": "10.0.0.5", "port": 70000}}, r"primary.port must be a port number"),
    ({"primary": {"host": "10.0.0.5", "port": "7077"}}, r"primary.port must be a port number"),
    ({"primary": {"host": "10.0.0.5", "port": 7077, "webui_port": 7077}}, "must differ"),
    ({"primary": {"host": "10.0.0.5", "rest_port": 6066}}, r"\[primary\] takes .*rest_port"),
])
def test_specs_that_would_expose_a_ui_or_misname_a_port_are_refused(
        extra: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_spec(hosts_spec(**extra))


def test_a_web_ui_section_needs_hosts() -> None:
    with pytest.raises(ConfigError, match=r"\[primary\] with a 'host' is required"):
        build_spec({"name": "x", "web_ui": {"tls": True}})


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_tokens_are_hs256_jws_signed_with_a_key_derived_from_the_secret() -> None:
    token = web_ui.bearer_token("s3cret", minutes=5, now=1_000_000)
    header, claims, signature = token.split(".")
    assert json.loads(_unb64(header)) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(_unb64(claims)) == {"sub": "sparkgrove", "iat": 1_000_000,
                                          "exp": 1_000_300}
    key = web_ui.token_key("s3cret")
    assert len(key) == 32 and b"s3cret" not in key
    assert hmac.compare_digest(_unb64(signature), hmac.new(
        key, f"{header}.{claims}".encode(), hashlib.sha256).digest())
    assert web_ui.token_key("other") != key
    props = web_ui.ui_properties("s3cret", Path("/k.p12"), "pw", 8443)
    assert _unb64(props[f"spark.{web_ui.FILTER}.param.secretKey"]) == key
    assert props["spark.ui.filters"] == web_ui.FILTER
    with pytest.raises(ValueError, match="only travel over HTTPS"):
        web_ui.fetch_json("http://10.0.0.5:8080/json/", "s3cret", Path("/none"))


def test_a_self_signed_keystore_per_host_is_made_once_and_its_certificate_trusted(
        tmp_path: Path) -> None:
    store, password = web_ui.host_keystore(tmp_path, "198.18.0.11", {"tls": True})
    again = web_ui.host_keystore(tmp_path, "198.18.0.11", {"tls": True})
    assert again == (store, password)
    web_ui.host_keystore(tmp_path, "198.18.0.12", {"tls": True})
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert password not in store.read_bytes().decode(errors="replace")
    bundle = web_ui.ca_file(tmp_path).read_text()
    assert bundle.count("BEGIN CERTIFICATE") == 2
    listed = subprocess.run(["keytool", "-list", "-v", "-keystore", str(store), "-storepass",
                             password], capture_output=True, text=True, check=True).stdout
    assert "198.18.0.11" in listed and "PrivateKeyEntry" in listed


def test_a_users_keystore_is_copied_private_and_its_password_file_must_be_private(
        tmp_path: Path) -> None:
    mine = tmp_path / "mine.p12"
    subprocess.run(["keytool", "-genkeypair", "-alias", "ui", "-keyalg", "EC", "-dname",
                    "CN=*.example.org", "-storetype", "PKCS12", "-keystore", str(mine),
                    "-storepass", "hunter22", "-keypass", "hunter22"], capture_output=True,
                   check=True)
    pw = tmp_path / "pw"
    pw.write_text("hunter22\n")
    os.chmod(pw, 0o644)
    spec = build_spec(hosts_spec(web_ui={"tls": True, "keystore": str(mine),
                                         "password_file": str(pw)}))
    cluster = tmp_path / "cluster"
    with pytest.raises(ConfigError, match="readable by others; `chmod 600"):
        web_ui.host_keystore(cluster, "10.0.0.5", spec.web_ui)
    os.chmod(pw, 0o600)
    store, password = web_ui.host_keystore(cluster, "10.0.0.5", spec.web_ui)
    assert password == "hunter22" and store.read_bytes() == mine.read_bytes()
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert not web_ui.ca_file(cluster).exists()  # the user's certificate chain is trusted
