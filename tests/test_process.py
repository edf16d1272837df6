"""The server process (app.asgi) tunes the garbage collector once it is built."""

import json
import subprocess
import sys

from app.core.config import PROJECT_ROOT
from app.core.process import YOUNG_GENERATION_THRESHOLD

PROBE = (
    "import gc, json; import app.asgi; "
    "print(json.dumps([gc.get_threshold()[0], gc.get_freeze_count()]))"
)


def test_importing_the_server_entry_point_freezes_start_up_objects() -> None:
    # A fresh interpreter: the test process itself must stay untouched.
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/bin:/bin", "LOG_LEVEL": "WARNING", "HOME": "/tmp"},
    )
    threshold, frozen = json.loads(result.stdout.strip().splitlines()[-1])

    assert threshold == YOUNG_GENERATION_THRESHOLD
    assert frozen > 10_000
