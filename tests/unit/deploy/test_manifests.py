"""deploy/: the Kubernetes manifests validate against the Kubernetes schemas, and every configuration
runs what the scale-out design says (3 NATS nodes with R3 streams, each adapter its own process,
two orchestrators, probes on the health endpoints) without a secret written into it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from gxplink.security import SYSTEMS

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
SECRET_VALUE = re.compile(r"(?i)(password|token|secret)\s*[:=]\s*(?![\"']?\$\{)(?![\"']?/)[\"']?[A-Za-z0-9_\-]{6,}")


def resources() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources() if r["kind"] == kind}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_validates_against_the_kubernetes_schema(path: Path) -> None:
    for resource in yaml.safe_load_all(path.read_text()):
        if resource:
            kubernetes_validate.validate(resource, kubernetes_validate.latest_version(), strict=True)


def test_a_three_node_nats_cluster_with_jetstream_and_r3_streams() -> None:
    nats = by_kind("StatefulSet")["nats"]
    assert nats["spec"]["replicas"] == 3
    config = by_kind("ConfigMap")["nats-config"]["data"]["nats.conf"]
    assert "jetstream" in config and config.count("nats-route://") == 3 and "sync_interval: always" in config
    env = by_kind("ConfigMap")["gxplink-env"]["data"]
    assert env["GXPLINK_STREAM_REPLICAS"] == "3" and env["GXPLINK_NATS_URL"].count("tls://") == 3


def test_each_adapter_two_orchestrators_the_audit_writer_and_the_console_run_as_deployments_with_probes() -> None:
    deployments = by_kind("Deployment")
    assert {f"adapter-{s}" for s in SYSTEMS} | {"orchestrator", "audit-writer", "console"} <= set(deployments)
    assert deployments["orchestrator"]["spec"]["replicas"] >= 2
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"][0] == "run", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/live", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/health", name
        creds = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}["creds"]["secret"]
        assert creds["secretName"] == "gxplink-nats-creds" and creds["defaultMode"] == 0o440, name
        env = {e["name"]: e for e in container["env"]}
        assert "secretKeyRef" in env["GXPLINK_DB_URL"]["valueFrom"], name


def test_the_console_reaches_every_component_health_endpoint() -> None:
    services = by_kind("Service")
    (container,) = by_kind("Deployment")["console"]["spec"]["template"]["spec"]["containers"]
    urls = {e["name"]: e.get("value", "") for e in container["env"]}["GXPLINK_CONSOLE_HEALTH_URLS"].split(",")
    hosts = {url.split("//")[1].split(":")[0] for url in urls}
    assert hosts == {f"{name}-health" for name in by_kind("Deployment") if name != "console"}
    assert hosts <= set(services) and "console" in services


def test_compose_runs_the_same_topology() -> None:
    compose = yaml.safe_load((DEPLOY / "compose" / "docker-compose.yml").read_text())
    services = compose["services"]
    nats = [s for s in services if s.startswith("nats-")]
    assert len(nats) == 3 and "postgres" in services
    assert {f"adapter-{s}" for s in SYSTEMS} | {"orchestrator", "audit-writer", "console"} <= set(services)
    assert services["orchestrator"]["deploy"]["replicas"] >= 2
    for name in [s for s in services if s.startswith(("adapter-", "orchestrator", "audit-writer", "console"))]:
        service = services[name]
        assert service["command"][0] == "run" and "--health-port" in service["command"], name
        assert service["environment"]["GXPLINK_STREAM_REPLICAS"] == "3" and "healthcheck" in service, name
    conf = (DEPLOY / "compose" / "nats.conf").read_text()
    assert conf.count("nats-route://") == 3 and "sync_interval: always" in conf


@pytest.mark.parametrize("path", [*MANIFESTS, *sorted(DEPLOY.rglob("*.conf")), *sorted(DEPLOY.rglob("*.yml")),
                                  *sorted(DEPLOY.rglob("*.env"))], ids=lambda p: p.name)
def test_no_secret_is_written_into_a_deploy_file(path: Path) -> None:
    assert not SECRET_VALUE.search(path.read_text()), SECRET_VALUE.search(path.read_text())
