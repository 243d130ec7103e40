"""Shared fixtures. TensorFlow is told to use the machine's 2 cores before any
Rasa import; the trained model and the action server are started once per session."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# Tests (and the action servers they start) never write to the real outcomes database.
os.environ.setdefault("OUTCOMES_DB_URL", f"sqlite:///{tempfile.mkdtemp(prefix='outcomes-')}/outcomes.db")

import pytest  # noqa: E402

from bot.knowledge import Knowledge, load_knowledge  # noqa: E402
from bot.nlu.understanding import Analyser, default_analyser  # noqa: E402


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="session")
def analyser() -> Analyser:
    return default_analyser()


# --- end-to-end: the trained model, a real action server, an SQLite tracker store ---

import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Iterator  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "triage.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The trained model; `make train` retrains only if data, config or code changed."""
    subprocess.run(["make", "--no-print-directory", "train"], cwd=ROOT, check=True)
    return MODEL


@pytest.fixture(scope="session")
def action_server_log(tmp_path_factory) -> Path:
    """Where the action server writes its log: tests that fail on a server error show it."""
    return tmp_path_factory.mktemp("actions") / "action-server.log"


@pytest.fixture(scope="session")
def action_server(action_server_log) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=action_server_log.open("a"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=1)
            break
        except OSError as error:
            if process.poll() is not None:
                raise RuntimeError("the action server exited at start") from error
            time.sleep(0.5)
    else:
        process.kill()
        raise RuntimeError("the action server did not start in 120 s")
    yield f"{url}/webhook"
    process.terminate()
    process.wait(timeout=30)


def load_agent(model: Path, action_url: str, db: Path):
    from rasa.core.agent import Agent
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    from bot.store.tracker_store import DurableSQLTrackerStore

    store = DurableSQLTrackerStore(Domain.load(str(ROOT / "domain.yml")), dialect="sqlite", db=str(db))
    return Agent.load(str(model), tracker_store=store, action_endpoint=EndpointConfig(url=action_url))


@pytest.fixture(scope="session")
def agent(model_path, action_server, tmp_path_factory):
    return load_agent(model_path, action_server, tmp_path_factory.mktemp("store") / "tracker.db")


@pytest.fixture(scope="session")
def agent_without_actions(model_path, tmp_path_factory):
    """The bot when its action server is down (nothing listens on the port)."""
    url = f"http://127.0.0.1:{free_port()}/webhook"
    return load_agent(model_path, url, tmp_path_factory.mktemp("store") / "tracker.db")
