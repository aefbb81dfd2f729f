"""Celery worker processes for tests: real workers on the test database.

Each fleet has a queue of its own, so parallel test runs never share work.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


class Fleet:
    """Worker processes on one broker and queue, started and killed at will."""

    def __init__(self, tmp_path: Path, broker: str, **env: str) -> None:
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.broker = broker
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "SEND_BATCH_SIZE": "250",
            "SEND_LANES": "4",
            "SEND_CLAIM_TIMEOUT": "4",
            "SIMULATOR_MIN_DELAY": "0",
            "SIMULATOR_MAX_DELAY": "1",
            "MEGAFONO_VAR_DIR": str(tmp_path),
            **env,
        }

    def start(self, *, beat: bool = False) -> subprocess.Popen:
        n = len(self.processes)
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "-Q", self.queue, "-c", "1", "-P", "solo", "-n", f"w{n}-{self.queue}@%h",
            "--without-gossip", "--without-mingle", "-l", "WARNING",
        ]  # fmt: skip
        if beat:
            command += ["-B", "-s", str(self.tmp_path / f"beat-{n}")]
        log = open(self.tmp_path / f"worker-{n}.log", "w")  # noqa: SIM115
        # A session of its own: killing it kills its embedded beat process too.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def send(self, task: str, *args: object) -> None:
        app = Celery(broker=self.broker)
        app.send_task(task, args=list(args), queue=self.queue)
        app.close()

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """`kill -9` of the worker and everything it started."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            self.kill(process)
