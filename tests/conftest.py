import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.database.migrate import upgrade
from tests.support.brokers import RealBroker, lite_broker, standalone_broker
from tests.support.secure import SecureBroker, grant, secure_broker
from tests.support.servers.apache_pulsar import Standalone, unavailable_reason
from tests.support.servers.postgres import create_database, drop_database, postgres_server_url
from tests.support.servers.pulsar_lite import running_pulsar_lite

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def pulsar_lite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBroker]:
    with running_pulsar_lite(tmp_path_factory.mktemp("pulsar-lite")) as lite:
        yield lite_broker(lite)


@pytest.fixture(scope="session")
def apache_pulsar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBroker]:
    """Apache Pulsar standalone: the one .ci/run started (ALPES_TEST_APACHE_PULSAR=1 and
    the PULSAR_* ports in the environment), or one started here for the session."""
    if os.environ.get("ALPES_TEST_APACHE_PULSAR") == "1":
        yield standalone_broker(Standalone())
        return
    reason = unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI must test against Apache Pulsar, but {reason}")
        pytest.skip(reason)
    data = tmp_path_factory.mktemp("pulsar-standalone")
    standalone = Standalone(
        {
            "PULSAR_STANDALONE_DATA": str(data),
            "PULSAR_BROKER_PORT": os.environ.get("ALPES_TEST_PULSAR_BROKER_PORT", "16650"),
            "PULSAR_WEB_PORT": os.environ.get("ALPES_TEST_PULSAR_WEB_PORT", "18080"),
            "PULSAR_BOOKIE_PORT": os.environ.get("ALPES_TEST_PULSAR_BOOKIE_PORT", "13181"),
        }
    )
    standalone.start()
    try:
        yield standalone_broker(standalone)
    finally:
        standalone.stop()


@pytest.fixture(scope="session")
def secure_pulsar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """Apache Pulsar standalone with token authentication, authorization and TLS only,
    started for the session beside any plain one, with the service's permissions
    granted by `alpes topics grant`."""
    reason = unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI must test security against Apache Pulsar, but {reason}")
        pytest.skip(reason)
    standalone = Standalone.private(tmp_path_factory.mktemp("pulsar-secure"), secure=True)
    broker = secure_broker(standalone.start())
    try:
        granted = grant(broker)
        assert granted.returncode == 0, granted.stderr
        yield broker
    finally:
        standalone.stop()


@pytest.fixture
def topic() -> str:
    """A topic no other test uses."""
    return f"persistent://public/default/test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = postgres_server_url()
    if url is None:
        reason = "PostgreSQL is not available (set ALPES_TEST_POSTGRES_URL or install it)"
        if IN_CI:
            pytest.fail(f"CI must test against PostgreSQL, but {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database at the head revision: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'alpes.db'}"
        await upgrade(url)
        yield url
        return
    server = request.getfixturevalue("postgres_server")
    url = await create_database(server)
    try:
        await upgrade(url)
        yield url
    finally:
        await drop_database(server, url)
