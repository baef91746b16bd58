"""compose.yaml, the Dockerfile and .dockerignore agree with the code.

No Docker engine is needed: the files are parsed and compared with what the code defines
(worker names, CLI commands, the fields of ``Settings``), so a deployment that names a
worker, a command or a setting the code does not have fails here, not in production
(the seed's compose set PULSAR_ADDRESS while its app read BROKER_HOST). Where the
Docker Compose CLI plugin is installed, ``docker compose config`` validates the file
against the Compose Specification as well.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from workers.bootstrap import WORKERS
from workers.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

PROFILES = {"pulsar", "alpespartners", "notificacion", "ui", "observability"}
# Standard OpenTelemetry variables a worker may pass through (tracing: docs/deployment.md).
OTEL_PASS_THROUGH = {
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_TRACES_EXPORTER",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_RESOURCE_ATTRIBUTES",
}
# worker name -> the profile its service belongs to
WORKER_PROFILES = {
    "commands": "alpespartners",
    "relay": "alpespartners",
    "projector": "alpespartners",
    "notifications": "notificacion",
}


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose()["services"]
    return result


def alpes_services() -> dict[str, dict[str, Any]]:
    """The services that run our image (built from the Dockerfile)."""
    return {
        name: service
        for name, service in services().items()
        if isinstance(service.get("build"), dict)
        and service["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
    }


def profiles_of(service: dict[str, Any]) -> set[str]:
    return set(service.get("profiles", []))


def depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    raw = service.get("depends_on", {})
    if isinstance(raw, list):  # short syntax
        return {name: {"condition": "service_started"} for name in raw}
    return dict(raw)


def seconds(duration: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * units[u] for n, u in parts)


# --- Compose interpolation (${VAR}, ${VAR:-default}, ${VAR-default}, $$), for defaults ---


def interpolate(value: str, env: dict[str, str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value.startswith("$$", i):
            out.append("$")
            i += 2
        elif value.startswith("${", i):
            end = _closing_brace(value, i + 2)
            out.append(_substitute(value[i + 2 : end], env))
            i = end + 1
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _closing_brace(value: str, start: int) -> int:
    depth = 1
    for j in range(start, len(value)):
        if value.startswith("${", j):
            depth += 1
        elif value[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    raise AssertionError(f"unbalanced ${{ in {value!r}")


def _substitute(expression: str, env: dict[str, str]) -> str:
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?", expression, re.DOTALL)
    assert match, f"unsupported interpolation ${{{expression}}}"
    name, operator, default = match.groups()
    current = env.get(name)
    if operator == ":-" and not current:
        return interpolate(default, env)
    if operator == "-" and current is None:
        return interpolate(default, env)
    return current or ""


def test_interpolation_helper() -> None:
    assert interpolate("${A:-x}", {}) == "x"
    assert interpolate("${A:-x}", {"A": "y"}) == "y"
    assert interpolate("a${A:-${B:-b}}c", {}) == "abc"
    assert interpolate("${A:--Xmx1g}", {}) == "-Xmx1g"
    assert interpolate("$$HOME", {}) == "$HOME"


def environment(service: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, str]:
    """The service's environment with defaults applied; pass-through entries (no value)
    are left out, as Compose leaves them unset when the caller has not set them."""
    raw = service.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    return {
        key: interpolate(str(value), env or {}) for key, value in raw.items() if value is not None
    }


# --- The file itself --------------------------------------------------------------------


def test_compose_specification_without_version_key() -> None:
    assert "version" not in compose(), "the Compose Specification has no `version:`"
    assert services()


def test_the_profiles_exist_and_every_service_has_one() -> None:
    used = set().union(*(profiles_of(s) for s in services().values()))
    assert used == PROFILES
    for name, service in services().items():
        assert profiles_of(service), f"{name} has no profile: it would start on a plain `up`"


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("with_pulsar", [True, False])
def test_each_profile_starts_on_its_own(profile: str, with_pulsar: bool) -> None:
    """`--profile X` (with or without `--profile pulsar`) names no service it leaves out,
    which Compose refuses ("depends on undefined service"); only an optional dependency
    (`required: false`, the broker) may be missing."""
    active = {profile, "pulsar"} if with_pulsar else {profile}
    enabled = {name for name, s in services().items() if profiles_of(s) & active}
    for name in enabled:
        for dependency, spec in depends_on(services()[name]).items():
            if spec.get("required", True):
                assert dependency in enabled, f"{name} needs {dependency}, not in {active}"


# --- Workers ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WORKER_PROFILES))
def test_worker_service_runs_alpes_worker_run(name: str) -> None:
    service = alpes_services().get(name)
    assert service is not None, f"no `{name}` service built from the Dockerfile"
    assert service["command"] == ["worker", "run", name]
    assert WORKER_PROFILES[name] in profiles_of(service)


def test_every_worker_of_the_code_is_deployed_and_none_other() -> None:
    deployed = {
        s["command"][2]
        for s in alpes_services().values()
        if list(s.get("command", []))[:2] == ["worker", "run"]
    }
    assert deployed == set(WORKERS) == set(WORKER_PROFILES), (
        f"compose runs {sorted(deployed)}, workers.bootstrap.WORKERS is {sorted(WORKERS)}"
    )


@pytest.mark.parametrize("name", sorted(WORKER_PROFILES))
def test_worker_waits_for_migrate_and_a_healthy_broker(name: str) -> None:
    service = services()[name]
    needs = depends_on(service)
    assert needs["migrate"]["condition"] == "service_completed_successfully"
    assert needs["migrate"].get("required", True) is True
    assert needs["pulsar"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", sorted(WORKER_PROFILES))
def test_worker_restarts_and_stops_gracefully(name: str) -> None:
    service = services()[name]
    assert service["restart"] == "unless-stopped"
    assert service.get("stop_signal", "SIGTERM") == "SIGTERM"
    assert seconds(service["stop_grace_period"]) >= 20
    assert service.get("init") is True, "a worker must not run as PID 1 (signals, zombies)"


def test_command_workers_scale_out_as_competing_consumers() -> None:
    service = services()["commands"]
    assert service["deploy"]["replicas"] >= 2
    assert "container_name" not in service, "a fixed container name forbids replicas"
    assert "ports" not in service


def test_migrate_is_one_shot_after_a_healthy_database() -> None:
    service = alpes_services()["migrate"]
    assert service["command"] == ["db", "upgrade"]
    assert service.get("restart", "no") == "no"
    assert depends_on(service)["postgres"]["condition"] == "service_healthy"
    # Every profile that runs a worker runs migrate and its database too.
    assert {WORKER_PROFILES[n] for n in WORKER_PROFILES} <= profiles_of(service)
    assert profiles_of(service) <= profiles_of(services()["postgres"])


def test_notifications_keep_their_data_dir_on_a_volume() -> None:
    service = services()["notifications"]
    data_dir = environment(service)["ALPES_DATA_DIR"]
    targets = {v.split(":")[1] for v in service["volumes"]}
    assert data_dir in targets
    assert environment(service)["ALPES_NOTIFICATION_SENDER"] == "log"


def test_events_view_is_the_ui_profile() -> None:
    service = alpes_services()["events"]
    assert service["command"] == ["events", "tail"]
    assert profiles_of(service) == {"ui"}
    assert service["tty"] is True
    assert depends_on(service)["pulsar"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", sorted(alpes_services()))
def test_service_command_exists_in_the_cli(name: str) -> None:
    """The service's command is a real `alpes` command and its arguments parse."""
    from cli import app

    args = list(alpes_services()[name].get("command", []))
    shown = f"`alpes {' '.join(args)}`"
    command: Any = typer.main.get_command(app)
    consumed = 0
    while getattr(command, "commands", None) is not None and consumed < len(args):
        sub = command.commands.get(args[consumed])
        assert sub is not None, f"{shown} is not a command of the CLI"
        command, consumed = sub, consumed + 1
    assert getattr(command, "commands", None) is None, f"{shown} is a group, not a command"
    command.make_context(f"alpes {' '.join(args[:consumed])}", args[consumed:])


# --- Settings ---------------------------------------------------------------------------


def test_alpes_services_set_only_settings_fields() -> None:
    prefix = Settings.model_config.get("env_prefix")
    assert prefix == "ALPES_"
    fields = set(Settings.model_fields)
    for name, service in alpes_services().items():
        raw = service.get("environment", {})
        for key in raw if isinstance(raw, dict) else [i.split("=", 1)[0] for i in raw]:
            if key in OTEL_PASS_THROUGH:
                assert raw[key] is None, f"{name}: {key} is the caller's, passed through"
                continue
            assert key.startswith(prefix), f"{name}: {key} is not an ALPES_ setting"
            assert key[len(prefix) :].lower() in fields, (
                f"{name}: {key} is no field of workers.settings.Settings"
            )
        assert "env_file" not in service or all(
            not isinstance(e, str) for e in service["env_file"]
        ), f"{name}: an env_file would bypass this check"


@pytest.mark.parametrize("name", sorted(alpes_services()))
def test_default_environment_is_valid_settings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing set by the caller, each service's environment parses as Settings and
    reaches the compose broker and database."""
    for key in list(os.environ):
        if key.startswith("ALPES_"):
            monkeypatch.delenv(key)
    for key, value in environment(services()[name]).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.pulsar_url == "pulsar://pulsar:6650"
    assert settings.pulsar_flavor == "apache"
    assert settings.database_url == "postgresql://alpes_runtime:alpes_runtime@postgres:5432/alpes"
    assert settings.readonly_url == (
        "postgresql://alpes_readonly:alpes_readonly@postgres:5432/alpes"
    )
    owner = "postgresql://alpes:alpes@postgres:5432/alpes"
    assert settings.migration_url == (owner if name == "migrate" else settings.database_url)
    assert settings.pulsar_token is None
    assert settings.notification_sender == "log"


def test_secrets_are_passed_through_not_written() -> None:
    for name, service in alpes_services().items():
        raw = service.get("environment", {})
        for key in (
            "ALPES_PULSAR_TOKEN",
            "ALPES_PULSAR_TLS_TRUST_CERTS",
            "ALPES_SMTP_PASSWORD",
            "OTEL_EXPORTER_OTLP_HEADERS",  # may carry a collector's token
        ):
            if key in raw:
                assert raw[key] is None, f"{name}: {key} must come from the caller's env"


def test_database_passwords_follow_postgres() -> None:
    passwords = {
        "POSTGRES_PASSWORD": "s3cret",
        "POSTGRES_RUNTIME_PASSWORD": "s3cret-rt",
        "POSTGRES_READONLY_PASSWORD": "s3cret-ro",
    }
    postgres = environment(services()["postgres"], passwords)
    assert all(postgres[k] == v for k, v in passwords.items())
    migrate = environment(services()["migrate"], passwords)
    owner = postgres["POSTGRES_USER"]
    assert migrate["ALPES_MIGRATION_DATABASE_URL"] == (
        f"postgresql://{owner}:s3cret@postgres:5432/alpes"
    )
    for name in ("migrate", *WORKER_PROFILES):
        env = environment(services()[name], passwords)
        assert env["ALPES_DATABASE_URL"] == (
            "postgresql://alpes_runtime:s3cret-rt@postgres:5432/alpes"
        )
        assert env["ALPES_READONLY_DATABASE_URL"] == (
            "postgresql://alpes_readonly:s3cret-ro@postgres:5432/alpes"
        )


def test_only_migrate_connects_as_the_schema_owner() -> None:
    for name, service in alpes_services().items():
        env = environment(service)
        owner_urls = [k for k, v in env.items() if v.startswith("postgresql://alpes:")]
        assert owner_urls == (["ALPES_MIGRATION_DATABASE_URL"] if name == "migrate" else []), name


def test_postgres_creates_the_least_privilege_roles_on_first_start() -> None:
    volumes = {v.split(":")[1]: v.split(":")[0] for v in services()["postgres"]["volumes"]}
    script = volumes["/docker-entrypoint-initdb.d/10-alpes-roles.sh"]
    text = (ROOT / script).read_text(encoding="utf-8")
    for sql in ("roles.sql", "grants.sql"):
        assert (ROOT / volumes[f"/alpes/{sql}"]).is_file()
        assert f"/alpes/{sql}" in text


# --- Operations: health, metrics, Prometheus and Grafana --------------------------------


@pytest.mark.parametrize("name", sorted(WORKER_PROFILES))
def test_worker_serves_metrics_to_the_compose_network_only(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = services()[name]
    for key in list(os.environ):
        if key.startswith("ALPES_"):
            monkeypatch.delenv(key)
    for key, value in environment(service).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.metrics_port == 9464
    assert settings.metrics_host == "0.0.0.0", "Prometheus scrapes from another container"
    assert "ports" not in service, "the endpoint is for the compose network, not published"


@pytest.mark.parametrize("name", sorted(WORKER_PROFILES))
def test_worker_has_a_healthcheck_on_its_readiness(name: str) -> None:
    health = services()[name]["healthcheck"]
    assert health["test"][:2] == ["CMD", "python"], "the image has Python, not curl"
    probe = " ".join(health["test"])
    assert "/readyz" in probe and 'os.environ["ALPES_METRICS_PORT"]' in probe
    assert "127.0.0.1" in probe
    assert seconds(health["timeout"]) < seconds(health["interval"]) + 1
    assert seconds(health["start_period"]) >= 10


@pytest.mark.parametrize(("ready", "code"), [(True, 0), (False, 1)])
async def test_the_worker_healthcheck_passes_only_when_ready(ready: bool, code: int) -> None:
    """The healthcheck's own command, run against a real endpoint (the Python of the
    image stands in for this one)."""
    import asyncio
    import sys

    from adapters.telemetry.endpoint import OpsEndpoint

    async def check() -> tuple[bool, str]:
        return ready, "checked"

    endpoint = OpsEndpoint("127.0.0.1", 0, metrics=None, checks={"broker": check})
    await endpoint.start()
    try:
        argv = list(services()["relay"]["healthcheck"]["test"][1:])
        argv[0] = sys.executable
        probe = await asyncio.create_subprocess_exec(
            *argv,
            env={"ALPES_METRICS_PORT": str(endpoint.port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert await asyncio.wait_for(probe.wait(), 30) == code
    finally:
        await endpoint.stop()


def test_observability_profile_runs_prometheus_and_grafana_from_repository_files() -> None:
    prometheus, grafana = services()["prometheus"], services()["grafana"]
    for service in (prometheus, grafana):
        assert profiles_of(service) == {"observability"}
        for port in service["ports"]:
            assert str(port).startswith("127.0.0.1:"), f"{port}: loopback only"
    mounts = {
        target: source
        for service in (prometheus, grafana)
        for source, target, *_ in (v.split(":") for v in service["volumes"])
        if source.startswith("./")
    }
    for target, source in mounts.items():
        assert (ROOT / source).exists(), f"{source} (mounted at {target}) is not in the repository"
    assert mounts["/etc/prometheus/prometheus.yml"] == "./infra/observability/prometheus.yml"
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    provider = yaml.safe_load(
        (ROOT / "infra/observability/grafana/provisioning/dashboards/alpes.yaml").read_text()
    )["providers"][0]
    dashboards = mounts[provider["options"]["path"]]
    assert (ROOT / dashboards / "alpes.json").is_file()
    assert mounts["/etc/grafana/provisioning"] == "./infra/observability/grafana/provisioning"
    env = grafana["environment"]
    assert env["GF_SECURITY_ADMIN_PASSWORD"] is None, "the admin's password is passed through"
    assert depends_on(grafana)["prometheus"]["condition"] == "service_healthy"


# --- Infrastructure services ------------------------------------------------------------


def test_pulsar_standalone_with_a_healthcheck() -> None:
    service = services()["pulsar"]
    assert profiles_of(service) == {"pulsar"}
    image, _, tag = service["image"].partition(":")
    assert image == "apachepulsar/pulsar"
    assert tag.startswith("4.0."), tag
    command = " ".join(service["command"])
    assert "bin/pulsar standalone" in command
    assert "-nfw" in command and "-nss" in command
    assert "--advertised-address" in command
    health = service["healthcheck"]
    assert "8080/admin/v2/" in " ".join(health["test"])
    assert seconds(health["start_period"]) >= 30
    published = {str(p).rsplit(":", 1)[-1] for p in service["ports"]}
    assert published == {"6650", "8080"}
    assert any(v.endswith(":/pulsar/data") for v in service["volumes"])


def test_pulsar_image_is_the_release_ci_tests_against() -> None:
    pom = (ROOT / "infra" / "pulsar-standalone" / "pom.xml").read_text(encoding="utf-8")
    match = re.search(r"<pulsar\.version>([^<]+)</pulsar\.version>", pom)
    assert match, "no <pulsar.version> in infra/pulsar-standalone/pom.xml"
    assert services()["pulsar"]["image"] == f"apachepulsar/pulsar:{match.group(1)}"


def test_postgres_with_a_healthcheck() -> None:
    service = services()["postgres"]
    assert service["image"].split(":")[0] == "postgres"
    env = environment(service)
    assert env["POSTGRES_USER"] == env["POSTGRES_DB"] == "alpes"
    assert env["POSTGRES_PASSWORD"] == "alpes"
    assert service["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in service["volumes"])


# --- Dockerfile and .dockerignore -------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


def test_dockerfile_is_python_311_slim() -> None:
    instructions = dockerfile_instructions()
    args = dict(
        rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG" and "=" in rest
    )
    bases = [rest.split()[0] for keyword, rest in instructions if keyword == "FROM"]
    resolved = {re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], b) for b in bases}
    assert resolved == {"python:3.11-slim"}


def test_dockerfile_entrypoint_is_alpes() -> None:
    entrypoints = [rest for keyword, rest in final_stage() if keyword == "ENTRYPOINT"]
    assert entrypoints == ['["alpes"]']


def test_dockerfile_does_not_run_as_root() -> None:
    users = [rest for keyword, rest in final_stage() if keyword == "USER"]
    assert users, "the runtime stage sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_dockerfile_installs_without_dev_extras() -> None:
    runs = " ".join(rest for keyword, rest in dockerfile_instructions() if keyword == "RUN")
    assert "pip install" in runs
    assert "[dev]" not in runs


def test_dockerignore_keeps_what_pip_install_needs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = pyproject["tool"]["setuptools"]
    needed = {"pyproject.toml", pyproject["project"]["readme"]}
    needed |= {f"{module}.py" for module in setuptools.get("py-modules", [])}
    needed |= {p.rstrip("*") for p in setuptools["packages"]["find"]["include"]}
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in sorted(needed):
        excluded = [p for p in patterns if not p.startswith("!") and fnmatch.fnmatch(path, p)]
        assert not excluded, f".dockerignore drops {path} ({excluded})"
    for path in (".git", ".venv", "tests", ".env"):
        assert any(fnmatch.fnmatch(path, p) for p in patterns), f"{path} goes into the image"


# --- docker compose config, where the Compose plugin is installed -------------------------


def compose_unavailable_reason() -> str | None:
    if shutil.which("docker") is None:
        return "no docker CLI on this machine"
    try:
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`docker compose version` failed: {error}"
    if probe.returncode != 0:
        return "the Docker Compose CLI plugin is not installed (`docker compose` is unknown)"
    return None


def docker_compose(*args: str) -> subprocess.CompletedProcess[str]:
    # The caller's settings (environment, an .env file) must not change what is validated.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPES_", "POSTGRES_", "PULSAR_", "COMPOSE_"))
    }
    return subprocess.run(
        [
            "docker",
            "compose",
            "--project-directory",
            str(ROOT),
            "--env-file",
            os.devnull,
            "-f",
            str(COMPOSE),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    "active",
    [
        ("pulsar",),
        ("pulsar", "alpespartners"),
        ("pulsar", "notificacion"),
        ("pulsar", "ui"),
        ("alpespartners",),
        ("observability",),
        ("pulsar", "alpespartners", "notificacion", "ui", "observability"),
    ],
    ids="+".join,
)
def test_docker_compose_config_validates(active: tuple[str, ...]) -> None:
    reason = compose_unavailable_reason()
    if reason:
        pytest.skip(reason)
    flags = [arg for profile in active for arg in ("--profile", profile)]
    result = docker_compose(*flags, "config", "--quiet")
    assert result.returncode == 0, result.stderr
    listed = docker_compose(*flags, "config", "--services")
    assert listed.returncode == 0, listed.stderr
    expected = {n for n, s in services().items() if profiles_of(s) & set(active)}
    assert set(listed.stdout.split()) == expected
