"""`DEMO=0 make run` (the production way) never seeds demo accounts; plain `make run` does."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def planned(demo: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "DEMO"}
    if demo is not None:
        env["DEMO"] = demo
    return subprocess.run(["make", "-n", "run"], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout


def test_demo_zero_never_seeds():
    assert "seed-demo" not in planned("0")
    assert "seed-demo --if-empty" in planned(None)
    assert "seed-demo --if-empty" in planned("1")
