"""deploy/ runs `healthscore gateway` beside the workers: compose, Kubernetes, Prometheus.

The schema checks of test_deploy.py cover these files too (every manifest in
deploy/k8s, the whole compose file); here is what an operator would notice:
probes that miss, a secret in plain text, a config path that is not mounted,
a port published beyond this machine, rules nobody tests.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.deploy import (
    COMPOSE,
    DEPLOY,
    ROOT,
    compose_services,
    dockerfile,
    manifests,
    named,
    rule_files,
    scrape_jobs,
)

GATEWAY = "healthscore-gateway"
JOB = "healthscore-gateway"
SOURCES = ("segment", "zendesk", "stripe", "typeform")
SIGNING_SECRETS = {name: f"HS_GATEWAY_{name.upper()}_SECRET" for name in SOURCES}
GATEWAY_SECRETS = {"HS_GATEWAY_TOKEN", *SIGNING_SECRETS.values()}
GATEWAY_RULES = DEPLOY / "prometheus" / "rules" / "healthscore-gateway.rules.yml"


def _pod() -> dict[str, Any]:
    pod: dict[str, Any] = named("Deployment", GATEWAY)["spec"]["template"]
    return pod


def _container() -> dict[str, Any]:
    (container,) = _pod()["spec"]["containers"]
    return container


def _worker_pod() -> dict[str, Any]:
    spec: dict[str, Any] = named("StatefulSet", "healthscore-worker")["spec"]["template"]["spec"]
    return spec


def _settings() -> dict[str, str]:
    data: dict[str, str] = named("ConfigMap", "healthscore-settings")["data"]
    return data


def _gateway_file() -> tuple[str, dict[str, str]]:
    """The file HS_GATEWAY_CONFIG names, read from the ConfigMap mounted there, and the
    ConfigMap's data."""
    config_path = Path(_settings()["HS_GATEWAY_CONFIG"])
    volumes = {v["name"]: v for v in _pod()["spec"]["volumes"]}
    mount = next(
        m for m in _container()["volumeMounts"] if Path(m["mountPath"]) == config_path.parent
    )
    data: dict[str, str] = named("ConfigMap", volumes[mount["name"]]["configMap"]["name"])["data"]
    return data[config_path.name], data


def _secret_like(name: str) -> bool:
    return bool(re.search(r"TOKEN|SECRET|PASSWORD|DSN|KEY", name))


# --- the image ----------------------------------------------------------------------------


def test_the_image_holds_every_package_the_project_installs_and_the_gateway() -> None:
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    packages = {name for name in find["find"]["include"] if "." not in name}
    copied = {
        args.split()[0] for name, args in dockerfile() if name == "COPY" and "--from" not in args
    }
    assert packages | {"gateway"} <= copied
    allowed = {
        line[1:].rstrip("/")
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    assert packages | {"gateway"} <= allowed, "the build context would leave a package out"


# --- docker compose -----------------------------------------------------------------------


def test_compose_runs_the_gateway_from_the_worker_image() -> None:
    services = compose_services()
    gateway, worker = services["gateway"], services["worker-1"]
    assert gateway["command"] == ["gateway"]
    assert gateway["build"] == worker["build"]
    assert gateway["image"] == worker["image"]
    assert gateway["depends_on"]["kafka"] == {"condition": "service_healthy"}
    assert gateway["restart"] == "unless-stopped"


def test_compose_gateway_uses_the_workers_kafka_and_partitions() -> None:
    services = compose_services()
    env, worker_env = services["gateway"]["environment"], services["worker-1"]["environment"]
    # Another partition count would stop the gateway (it checks the topics as a worker does).
    for name in ("HS_KAFKA_BOOTSTRAP", "HS_PARTITIONS"):
        assert env[name] == worker_env[name], name
    assert env["HS_GATEWAY_HOST"] == "0.0.0.0"
    assert all(key.startswith("HS_") for key in env)


def test_compose_gateway_is_published_on_loopback_only_and_checked_on_readyz() -> None:
    gateway = compose_services()["gateway"]
    port = gateway["environment"]["HS_GATEWAY_PORT"]
    assert gateway["ports"] == [f"127.0.0.1:{port}:{port}"]
    check = " ".join(gateway["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/readyz" in check


def test_compose_publishes_each_host_port_once() -> None:
    published: dict[str, str] = {}
    for name, service in compose_services().items():
        for entry in service.get("ports", []):
            host_port = str(entry).split(":")[-2]
            assert host_port not in published, f"{name} and {published[host_port]}: {host_port}"
            published[host_port] = name


def test_compose_gateway_secrets_come_from_the_env_file_never_literal() -> None:
    gateway = compose_services()["gateway"]
    env = gateway["environment"]
    assert set(env) >= GATEWAY_SECRETS
    for name in GATEWAY_SECRETS:
        # Empty when not set: the route or source is off, and the gateway still starts.
        assert env[name] == f"${{{name}:-}}", name
    for name in set(env) - GATEWAY_SECRETS:
        assert not _secret_like(name), f"{name} is no setting of the gateway's"
    assert "env_file" not in gateway, "healthscore.env holds the workers' sink credentials"
    assert "HS_GATEWAY" in COMPOSE.read_text().split("\nname:")[0], "the header says where"


def test_prometheus_scrapes_the_compose_gateway_in_a_job_of_its_own() -> None:
    jobs = scrape_jobs()
    port = compose_services()["gateway"]["environment"]["HS_GATEWAY_PORT"]
    (static,) = jobs[JOB]["static_configs"]
    assert static["targets"] == [f"gateway:{port}"]
    worker_targets = {t for s in jobs["healthscore"]["static_configs"] for t in s["targets"]}
    assert f"gateway:{port}" not in worker_targets


# --- Kubernetes ---------------------------------------------------------------------------


def test_the_gateway_is_a_deployment_of_two_from_the_worker_image() -> None:
    deployment = named("Deployment", GATEWAY)
    (worker,) = _worker_pod()["containers"]
    container = _container()
    assert deployment["spec"]["replicas"] == 2
    assert container["args"] == ["gateway"]
    assert container["image"] == worker["image"]
    labels = _pod()["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert set(container["resources"]) == {"requests", "limits"}


def test_the_gateway_probes_hit_healthz_and_readyz_on_the_port_it_listens_on() -> None:
    container = _container()
    (port,) = container["ports"]
    assert port["containerPort"] == int(_settings()["HS_GATEWAY_PORT"])
    assert _settings()["HS_GATEWAY_HOST"] == "0.0.0.0"
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    annotations = _pod()["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port["containerPort"])
    assert annotations["prometheus.io/path"] == "/metrics"


def test_the_gateway_runs_as_locked_down_as_the_workers() -> None:
    (worker,) = _worker_pod()["containers"]
    assert _pod()["spec"]["securityContext"] == _worker_pod()["securityContext"]
    assert _container()["securityContext"] == worker["securityContext"]


def test_the_service_and_the_budget_select_the_gateway_pods() -> None:
    labels = _pod()["metadata"]["labels"]
    (port,) = _container()["ports"]
    service = named("Service", GATEWAY)
    assert service["spec"]["selector"].items() <= labels.items()
    (service_port,) = service["spec"]["ports"]
    assert service_port["port"] == port["containerPort"] == 6067
    assert service_port["targetPort"] == port["name"]
    budget = named("PodDisruptionBudget", GATEWAY)
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["minAvailable"] < named("Deployment", GATEWAY)["spec"]["replicas"]
    worker_labels = named("StatefulSet", "healthscore-worker")["spec"]["template"]["metadata"]
    assert not service["spec"]["selector"].items() <= worker_labels["labels"].items()


def test_the_gateway_takes_its_secrets_from_its_own_secret_never_literal_values() -> None:
    container = _container()
    secret = named("Secret", "healthscore-gateway-secrets")
    assert set(secret["stringData"]) == GATEWAY_SECRETS
    assert all("REPLACE_ME" in value for value in secret["stringData"].values())
    refs = [ref for ref in container["envFrom"] if "secretRef" in ref]
    assert refs == [{"secretRef": {"name": "healthscore-gateway-secrets"}}]
    for var in container.get("env", []):
        assert "value" not in var or not _secret_like(var["name"]), var["name"]
        if _secret_like(var["name"]):
            assert var["valueFrom"]["secretKeyRef"]["name"] == "healthscore-secrets"
    # Neither side sees the other's credentials.
    (worker,) = _worker_pod()["containers"]
    assert {"secretRef": {"name": "healthscore-gateway-secrets"}} not in worker["envFrom"]
    config_maps = [doc for _, doc in manifests() if doc["kind"] == "ConfigMap"]
    for doc in config_maps:
        assert not GATEWAY_SECRETS & set(doc["data"]), doc["metadata"]["name"]
    for probe in ("livenessProbe", "readinessProbe"):
        assert "httpHeaders" not in container[probe]["httpGet"]


def test_hs_gateway_config_names_a_file_of_the_mounted_config_map() -> None:
    config_path = Path(_settings()["HS_GATEWAY_CONFIG"])
    assert config_path.is_absolute()
    mount = next(
        m for m in _container()["volumeMounts"] if Path(m["mountPath"]) == config_path.parent
    )
    assert mount["readOnly"] is True
    text, _ = _gateway_file()
    assert isinstance(yaml.safe_load(text), dict)


def test_the_gateway_pod_mounts_the_model_it_reads() -> None:
    model = Path(_settings()["HS_MODEL"])
    mounts = {m["name"]: m["mountPath"] for m in _container()["volumeMounts"]}
    volumes = {v["name"]: v for v in _pod()["spec"]["volumes"]}
    (name,) = [n for n, path in mounts.items() if Path(path) == model.parent]
    files = named("ConfigMap", volumes[name]["configMap"]["name"])["data"]
    assert model.name in files


def test_every_source_the_config_map_serves_has_its_signing_secret() -> None:
    text, _ = _gateway_file()
    sections = yaml.safe_load(text)
    assert set(sections) <= set(SOURCES)
    secrets = set(named("Secret", "healthscore-gateway-secrets")["stringData"])
    for name, section in sections.items():
        if (section or {}).get("enabled", True):
            # Else the gateway refuses to start, naming the variable.
            assert SIGNING_SECRETS[name] in secrets, name


def test_the_gateway_config_map_passes_check_gateway(tmp_path: Path) -> None:
    config = pytest.importorskip("gateway.config", reason="the gateway's sources are not here")
    text, files = _gateway_file()
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    path = tmp_path / "gateway.yaml"
    path.write_text(text)
    assert config.check_gateway_file(str(path)) == []
    environ = named("Secret", "healthscore-gateway-secrets")["stringData"]
    assert set(config.load_sources(str(path), environ)) == set(yaml.safe_load(text))


# --- Prometheus ---------------------------------------------------------------------------


def _rules(path: Path) -> list[dict[str, Any]]:
    groups = yaml.safe_load(path.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _tests_of(path: Path) -> Path:
    return path.with_name(path.name.replace(".rules.yml", ".rules.test.yml"))


def test_every_rules_file_has_promtool_tests_beside_it() -> None:
    files = rule_files()
    assert GATEWAY_RULES in files
    for path in files:
        tests = _tests_of(path)
        assert tests.is_file(), f"{path.name} has no {tests.name}"
        assert yaml.safe_load(tests.read_text())["rule_files"] == [path.name]


def test_the_promtool_tests_see_every_gateway_alert_fire() -> None:
    tests = _tests_of(GATEWAY_RULES)
    fired = {
        case["alertname"]
        for test in yaml.safe_load(tests.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in _rules(GATEWAY_RULES)} <= fired


def test_gateway_rules_watch_the_gateway_job_and_only_gateway_metrics() -> None:
    rules = _rules(GATEWAY_RULES)
    assert rules
    for rule in rules:
        expr = rule["expr"]
        for selector in re.findall(r"\bup\{([^}]*)\}", expr):
            assert f'job="{JOB}"' in selector, rule["alert"]
        metrics = set(re.findall(r"\b(healthscore_[a-z0-9_]+)\b", expr))
        assert all(m.startswith("healthscore_gateway_") for m in metrics), rule["alert"]
        assert rule["alert"].startswith("HealthscoreGateway")
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    assert JOB in scrape_jobs()


def test_gateway_rules_name_only_metrics_the_gateway_defines() -> None:
    metrics = pytest.importorskip("gateway.metrics", reason="the gateway's metrics are not here")
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    defined = {
        family.name + suffix
        for family in metrics.GatewayMetrics().registry.collect()
        for suffix in suffixes[family.type]
    }
    for rule in _rules(GATEWAY_RULES):
        used = set(re.findall(r"\b(healthscore_[a-z0-9_]+)\b", rule["expr"]))
        assert used <= defined, f"{rule['alert']}: {used - defined}"
