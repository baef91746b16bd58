"""The CLI against the secured Apache Pulsar: every refusal is one line on stderr that
names the topic (or the broker) and the role, never the token, and no pulsar-client
log line comes with it."""

import subprocess
from pathlib import Path

import pytest

from contracts.topics import COMMAND_TOPICS, COMMANDS_V2
from tests.support.secure import CONSUMER, PRODUCER, SecureBroker
from tests.support.servers.workers import ALPES
from workers.commands import SUBSCRIPTION as COMMANDS_SUBSCRIPTION

pytestmark = [pytest.mark.security, pytest.mark.timeout(300)]

EXAMPLE = Path(__file__).resolve().parents[2] / "contracts" / "v2" / "examples"


def alpes(
    broker: SecureBroker, token: str | None, *args: str, tmp: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    env = {"ALPES_DATABASE_URL": f"sqlite:///{tmp / 'alpes.db'}"} | env
    return subprocess.run(
        [ALPES, *args],
        env=broker.env(token, **env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp,
    )


def one_error_line(result: subprocess.CompletedProcess[str], token: str | None) -> str:
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    if token:
        assert token not in result.stdout + result.stderr
    return lines[0]


def create(broker: SecureBroker, token: str | None, tmp: Path, **env: str) -> str:
    result = alpes(
        broker,
        token,
        "campaign",
        "create",
        "--file",
        str(EXAMPLE / "crear-campana.json"),
        tmp=tmp,
        **env,
    )
    return one_error_line(result, token)


def test_a_consumer_token_cannot_send_commands(secure_pulsar: SecureBroker, tmp_path: Path) -> None:
    token = secure_pulsar.token(CONSUMER)
    line = create(secure_pulsar, token, tmp_path)
    assert line == (
        f"error: Pulsar refused role {CONSUMER!r} to produce on "
        f"{COMMANDS_V2}: AuthorizationError: Client is not authorized to "
        "Get Partition Metadata. Grant it (`alpes topics grant`) or use the token of a role "
        "that may."
    )


def test_a_consumer_token_cannot_run_the_command_worker(
    secure_pulsar: SecureBroker, tmp_path: Path
) -> None:
    token = secure_pulsar.token(CONSUMER)
    assert alpes(secure_pulsar, None, "db", "upgrade", tmp=tmp_path).returncode == 0
    result = alpes(secure_pulsar, token, "worker", "run", "commands", tmp=tmp_path)
    line = one_error_line(result, token)
    assert line.startswith(f"error: Pulsar refused role {CONSUMER!r} to consume on ")
    assert f"(subscription {COMMANDS_SUBSCRIPTION!r}): AuthorizationError" in line
    assert any(topic in line for topic in (COMMANDS_V2, *COMMAND_TOPICS.values())), line


@pytest.mark.parametrize("credential", ["missing", "expired", "forged"])
def test_a_refused_token_is_one_line_naming_the_role(
    secure_pulsar: SecureBroker, tmp_path: Path, credential: str
) -> None:
    token, who = {
        "missing": (None, "a client without a token"),
        "expired": (secure_pulsar.token(PRODUCER, expires_in=-60), f"role {PRODUCER!r}, expired"),
        "forged": (secure_pulsar.forged_token(PRODUCER), f"role {PRODUCER!r}"),
    }[credential]
    line = create(secure_pulsar, token, tmp_path)
    assert line.startswith(f"error: Pulsar at {secure_pulsar.url} refused {who}")
    assert line.endswith(
        ": AuthenticationError: Failed to authenticate. Use a valid, unexpired token signed "
        "with the broker's key (ALPES_PULSAR_TOKEN)."
    )


def test_a_client_that_does_not_trust_the_ca_is_one_line(
    secure_pulsar: SecureBroker, tmp_path: Path
) -> None:
    token = secure_pulsar.token(PRODUCER)
    line = create(secure_pulsar, token, tmp_path, ALPES_PULSAR_TLS_TRUST_CERTS="")
    assert line == (
        f"error: Pulsar at {secure_pulsar.url} refused role {PRODUCER!r}: TLS: the broker's "
        "certificate was not accepted (unable to get local issuer certificate). Use a CA file "
        "that signed the broker's certificate (ALPES_PULSAR_TLS_TRUST_CERTS)."
    )


def test_only_a_superuser_may_grant(secure_pulsar: SecureBroker, tmp_path: Path) -> None:
    token = secure_pulsar.token(PRODUCER)
    result = alpes(
        secure_pulsar, None, "topics", "grant", tmp=tmp_path, ALPES_PULSAR_ADMIN_TOKEN=token
    )
    line = one_error_line(result, token)
    assert line.startswith("error: Pulsar admin API: PUT /admin/v2/persistent/public/default/")
    assert line.endswith(
        f" as role {PRODUCER!r}: HTTP 403, Unauthorized to validateNamespaceOperation for "
        "operation [CREATE_TOPIC] on namespace [public/default]"
    )


def test_grant_is_idempotent_and_lists_what_it_granted(
    secure_pulsar: SecureBroker, tmp_path: Path
) -> None:
    admin = secure_pulsar.admin_token()
    result = alpes(
        secure_pulsar, None, "topics", "grant", tmp=tmp_path, ALPES_PULSAR_ADMIN_TOKEN=admin
    )
    assert result.returncode == 0, result.stderr
    assert admin not in result.stdout + result.stderr
    assert "(0 topics created)" in result.stderr  # the session fixture created them
    granted = result.stdout.splitlines()
    assert f"{PRODUCER:<18} {'produce':<16} {COMMAND_TOPICS['crear-campana']}" in granted
