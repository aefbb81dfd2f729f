"""Keep one `smpp_bind` process running per enabled SMPP route (`make run`)."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from messaging.gateways.smpp import routing

logger = logging.getLogger(__name__)

RESTART_DELAY = 5.0  # seconds before a bind that died is started again
STOP_WAIT = 15.0  # seconds a bind gets to unbind after SIGTERM


class Command(BaseCommand):
    help = (
        "Start an smpp_bind process for every enabled SMPP route, restart the "
        "ones that die, follow routes being added or removed; SIGTERM stops all."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval", type=float, default=30.0, help="seconds between route checks"
        )

    def handle(self, *args, interval: float, **options) -> None:
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        children: dict[str, subprocess.Popen] = {}
        died_at: dict[str, float] = {}
        try:
            while not self.stopping:
                wanted = set(routing.smpp_route_keys())
                for key in set(children) - wanted:
                    self._end(children.pop(key))
                for key in sorted(wanted):
                    child = children.get(key)
                    if child is not None and child.poll() is None:
                        continue
                    if child is not None:
                        logger.warning("smpp_bind %s exited %s", key, child.returncode)
                        died_at[key] = time.monotonic()
                        del children[key]
                    if time.monotonic() - died_at.get(key, -RESTART_DELAY) >= (
                        RESTART_DELAY
                    ):
                        children[key] = self._start(key)
                self._sleep(min(interval, RESTART_DELAY))
        finally:
            for child in children.values():
                self._end(child)

    def _stop(self, *_signal: object) -> None:
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < until:
            time.sleep(0.2)

    def _start(self, key: str) -> subprocess.Popen:
        manage = settings.BASE_DIR / "manage.py"
        logger.info("starting smpp_bind %s", key)
        command = [sys.executable, str(manage), "smpp_bind", "--gateway", key]
        return subprocess.Popen(command)

    def _end(self, child: subprocess.Popen) -> None:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=STOP_WAIT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
