"""deploy/: the manifests agree with the app they deploy.

No Docker or cluster here: the files are loaded (PyYAML) and checked for what
the app relies on -- probe paths that exist, the port it serves, environment
names it reads (every one documented in .env.example), commands that exist,
selectors that select, and the settings a scaled-out deployment needs.
"""

import configparser
import importlib.util
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from app.core.config import PROJECT_ROOT
from app.main import create_app
from tests.fixtures.app import make_settings

DEPLOY = PROJECT_ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
APP_PORT = 8000
APP_SERVICES = ("migrate", "api", "worker")
ENV_NAME = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def documented_settings() -> set[str]:
    return set(ENV_NAME.findall((PROJECT_ROOT / ".env.example").read_text()))


@pytest.fixture(scope="module")
def get_paths() -> set[str]:
    """The GET paths of the app's OpenAPI schema (the probes are in it)."""
    app = create_app(make_settings("sqlite+aiosqlite://", 25))
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {path for path, operations in paths.items() if "get" in operations}


def kubernetes_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in kubernetes_documents() if d["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in of_kind(kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: {len(found)} found"
    return found[0]


def gatehouse_containers() -> Iterator[tuple[str, dict[str, Any]]]:
    """(workload name, container) for every container running the app image."""
    for document in of_kind("Deployment") + of_kind("Job"):
        for container in document["spec"]["template"]["spec"]["containers"]:
            if container["image"] == "gatehouse":
                yield document["metadata"]["name"], container


def python_module(command: list[str]) -> str:
    assert command[:2] == ["python", "-m"], command
    return command[2]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yml").read_text())
    return loaded


# --- Kubernetes ---------------------------------------------------------------------


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def test_the_api_probes_paths_the_app_serves_on_its_port(get_paths: set[str]) -> None:
    api = named("Deployment", "gatehouse-api")
    (container,) = api["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": APP_PORT}
    probes = {
        kind: container[kind]["httpGet"]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert probes["readinessProbe"]["path"] == "/health/ready"
    assert probes["livenessProbe"]["path"] == "/health/live"
    for probe in probes.values():
        assert probe["path"] in get_paths
        assert probe["port"] in ports


def test_the_api_drains_before_it_is_killed() -> None:
    spec = named("Deployment", "gatehouse-api")["spec"]
    config = named("ConfigMap", "gatehouse-config")["data"]
    grace = spec["template"]["spec"]["terminationGracePeriodSeconds"]
    drain = float(config["SHUTDOWN_DRAIN_SECONDS"])
    timeout = float(config["SHUTDOWN_TIMEOUT_SECONDS"])
    assert drain > 0
    assert grace > drain + timeout
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_every_environment_name_is_a_documented_setting() -> None:
    documented = documented_settings()
    names = set(named("ConfigMap", "gatehouse-config")["data"])
    names |= set(named("Secret", "gatehouse-secrets")["stringData"])
    for _, container in gatehouse_containers():
        names |= {variable["name"] for variable in container.get("env", [])}
    assert names - documented == set()


def test_every_app_container_reads_the_config_and_the_secrets() -> None:
    for workload, container in gatehouse_containers():
        sources = {
            next(iter(source.values()))["name"] for source in container["envFrom"]
        }
        assert sources == {"gatehouse-config", "gatehouse-secrets"}, workload


def test_every_app_command_exists() -> None:
    modules = {
        workload: python_module(container["command"])
        for workload, container in gatehouse_containers()
    }
    assert modules == {
        "gatehouse-api": "app.serve",
        "gatehouse-worker": "commands.worker",
        "gatehouse-migrate": "commands.migrate",
    }
    for module in modules.values():
        assert importlib.util.find_spec(module) is not None, module


def test_a_scaled_out_deployment_shares_redis_and_goes_through_pgbouncer() -> None:
    config = named("ConfigMap", "gatehouse-config")["data"]
    secrets = named("Secret", "gatehouse-secrets")["stringData"]
    assert config["ENVIRONMENT"] == "production"
    assert config["DATABASE_POOLER"] == "pgbouncer"
    assert "REDIS_URL" in secrets
    assert "gatehouse-pgbouncer" in secrets["DATABASE_URL"]
    assert "gatehouse-pgbouncer" not in secrets["MIGRATIONS_DATABASE_URL"]
    pgbouncer = named("ConfigMap", "gatehouse-pgbouncer")["data"]["pgbouncer.ini"]
    assert "pool_mode = transaction" in pgbouncer


def test_only_the_api_delivers_no_email_itself() -> None:
    api = named("Deployment", "gatehouse-api")
    (container,) = api["spec"]["template"]["spec"]["containers"]
    env = {v["name"]: v["value"] for v in container["env"]}
    assert env["OUTBOX_WORKER_ENABLED"] == "false"
    assert named("Deployment", "gatehouse-worker")["spec"]["replicas"] >= 1


def test_selectors_select_their_pods() -> None:
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in of_kind("Deployment")
    }
    for deployment in of_kind("Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pods[deployment["metadata"]["name"]].items()
    for service in of_kind("Service"):
        selected = [
            name
            for name, labels in pods.items()
            if service["spec"]["selector"].items() <= labels.items()
        ]
        assert selected == [service["metadata"]["name"]], service["metadata"]
    budget = named("PodDisruptionBudget", "gatehouse-api")["spec"]
    assert budget["selector"]["matchLabels"].items() <= pods["gatehouse-api"].items()
    target = named("HorizontalPodAutoscaler", "gatehouse-api")["spec"]
    assert target["scaleTargetRef"]["name"] == "gatehouse-api"
    assert target["minReplicas"] >= 2


def test_service_ports_reach_named_container_ports() -> None:
    container_ports = {}
    for deployment in of_kind("Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for port in container.get("ports", []):
                container_ports[(deployment["metadata"]["name"], port["name"])] = port
    for service in of_kind("Service"):
        for port in service["spec"]["ports"]:
            key = (service["metadata"]["name"], port["targetPort"])
            assert key in container_ports, key


def test_app_pods_run_as_a_non_root_user() -> None:
    for document in of_kind("Deployment") + of_kind("Job"):
        assert document["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]


# --- compose ------------------------------------------------------------------------


def test_compose_has_every_part_of_a_scaled_out_deployment() -> None:
    services = compose()["services"]
    assert set(services) == {
        "postgres",
        "pgbouncer",
        "redis",
        "migrate",
        "api",
        "worker",
        "nginx",
    }
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["migrate"]["restart"] == "no"
    for name, service in services.items():
        if name != "migrate":
            assert service["restart"] == "unless-stopped", name
            assert "healthcheck" in service or name == "worker", name
    api_needs = services["api"]["depends_on"]
    assert api_needs["migrate"]["condition"] == "service_completed_successfully"
    assert api_needs["pgbouncer"]["condition"] == "service_healthy"
    assert api_needs["redis"]["condition"] == "service_healthy"
    # Only the proxy is reachable from outside.
    assert [name for name, s in services.items() if "ports" in s] == ["nginx"]


def test_compose_app_services_run_existing_commands_with_documented_settings(
    get_paths: set[str],
) -> None:
    services = compose()["services"]
    documented = documented_settings()
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert importlib.util.find_spec(python_module(service["command"]))
        assert set(service["environment"]) - documented == set(), name
    api = services["api"]["environment"]
    assert api["DATABASE_POOLER"] == "pgbouncer"
    assert "@pgbouncer:" in api["DATABASE_URL"]
    assert "@postgres:" in api["MIGRATIONS_DATABASE_URL"]
    assert api["REDIS_URL"].startswith("redis://")
    assert api["OUTBOX_WORKER_ENABLED"] == "false"
    check = " ".join(services["api"]["healthcheck"]["test"])
    path = re.search(rf"127\.0\.0\.1:{APP_PORT}(/\S*?)'", check)
    assert path is not None, check
    assert path.group(1) == "/health/ready"
    assert path.group(1) in get_paths


def test_the_example_env_file_names_documented_settings() -> None:
    example = (DEPLOY / "gatehouse.env.example").read_text()
    assert set(ENV_NAME.findall(example)) - documented_settings() == set()


# --- images -------------------------------------------------------------------------


def test_the_image_is_multi_stage_without_dev_dependencies_and_not_root() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", dockerfile, re.MULTILINE)
    assert stages == ["build", "runtime"]
    assert "uv sync --frozen --no-dev" in dockerfile
    runtime = dockerfile.split("AS runtime", 1)[1]
    user = re.search(r"^USER (\S+)", runtime, re.MULTILINE)
    assert user is not None
    assert not user.group(1).startswith(("root", "0"))
    assert f"EXPOSE {APP_PORT}" in runtime
    assert 'CMD ["python", "-m", "app.serve"]' in runtime


def test_pgbouncer_runs_in_transaction_mode_dropping_statements() -> None:
    config = configparser.ConfigParser()
    config.read_string((DEPLOY / "pgbouncer" / "pgbouncer.ini").read_text())
    pgbouncer = config["pgbouncer"]
    assert pgbouncer["pool_mode"] == "transaction"
    assert pgbouncer["server_reset_query"] == "DISCARD ALL"
    assert pgbouncer["server_reset_query_always"] == "1"


def test_deployment_secrets_are_never_committed() -> None:
    ignored = (PROJECT_ROOT / ".gitignore").read_text().split()
    for secret in (
        "deploy/gatehouse.env",
        "deploy/pgbouncer/userlist.txt",
        "deploy/kubernetes/secret.yaml",
    ):
        assert secret in ignored
