"""A `rasa run` process for the tests that need the real server (browser, faults,
replicas), started as `make run` starts it, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from tests.conftest import ROOT, free_port


def wait_for(url: str, process: subprocess.Popen, seconds: int = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited while starting ({url})")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


class RasaServer:
    def __init__(
        self,
        model: Path,
        folder: Path,
        env: Dict[str, str],
        endpoints: Path = ROOT / "endpoints.yml",
        rest: bool = False,
        exit_path: Optional[str] = None,
    ) -> None:
        self.model, self.folder, self.endpoints = model, folder, endpoints
        self.port = free_port()
        self.log = folder / f"rasa-{self.port}.log"
        credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
        channel = credentials["bot.channels.webchat.WebChatInput"]
        channel["allowed_origins"] = [self.url]
        if exit_path is not None:
            channel["exit_url"] = self.url + exit_path
        if rest:
            credentials["bot.channels.rest.GuardedRestInput"] = None
        self.credentials = folder / f"credentials-{self.port}.yml"
        self.credentials.write_text(yaml.safe_dump(credentials))
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "WEBCHAT_ALLOWED_ORIGINS": "",
            "WEBCHAT_EXIT_URL": "",
            **env,
        }
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RasaServer:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rasa",
                "run",
                "--model",
                str(self.model),
                "--endpoints",
                str(self.endpoints),
                "--credentials",
                str(self.credentials),
                "-i",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_for(f"{self.url}/webhooks/webchat/health", self.process)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def say(self, sender: str, text: str) -> List[str]:
        """One message through the REST channel (only when started with rest=True)."""
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return [m.get("text", "") for m in json.load(answer)]

    def stored(self, sender: str) -> List[tuple]:
        """(type, data) of the stored events of one conversation, from the SQLite file."""
        with sqlite3.connect(self.env["TRACKER_DB"]) as connection:
            return connection.execute(
                "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
            ).fetchall()


def action_port(action_url: str) -> str:
    return action_url.split(":")[-1].split("/")[0]


def error_lines(logs: List[Path], limit: int = 40) -> List[str]:
    """The lines of server logs that tell of an error, to show beside a failed assertion."""
    lines = []
    for log in logs:
        if log.is_file():
            for line in log.read_text(errors="replace").splitlines():
                if any(word in line for word in ("ERROR", "Error", "Exception", "Traceback")):
                    lines.append(f"{log.name}: {line}")
    return lines[-limit:]
