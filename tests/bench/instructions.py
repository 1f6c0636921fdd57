"""Instructions per request, counted by valgrind: the same figure however busy the machine is.

    .venv/bin/python -m tests.bench.instructions [N]     # N requests of each kind (default 300)

The bench's world is built as tests.bench.cpu builds it (fresh SQLite files, the seeded
workers with tokens, the success rush's bench host), outside valgrind. Then one child process
under `valgrind --tool=callgrind` opens test clients on those files, warms each kind up (100
requests) and runs N requests of each kind (the bare hello-world, /healthz, the availability
read, the bare guarded insert, the success rush), calling sched_yield() between kinds:
`--dump-before=sched_yield` closes a dump there, so each kind's requests are counted in a dump
of their own. Prints user-space instructions per request (the interpreter, the app, SQLite; not
the kernel) and the ratios of the bench's goals as instruction ratios. Slow (~3 min for N=300):
valgrind runs the child ~50 times slower than the CPU would.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench import cpu
from tests.bench import run as bench

KINDS = ("hello", "healthz", "availability", "baseline", "success")
WARM = 100


def child(tmp: Path, n: int) -> None:
    rows_of = json.loads((tmp / "rows.json").read_text())
    client, base = cpu.clients(tmp)
    for name in KINDS:  # warm-up: every kind, before the first counted dump
        cpu.measure(base if name in cpu.BARE else client, rows_of[name][:WARM], warm=0)
    statements = {}
    for name in KINDS:
        rows = rows_of[name][WARM : WARM + n]
        os.sched_yield()  # the dump before this one holds what came before
        cpu.measure(base if name in cpu.BARE else client, rows, warm=0)
        statements[name] = cpu.STATEMENTS[0] / n
    os.sched_yield()
    (tmp / "statements.json").write_text(json.dumps(statements))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), int(sys.argv[3]))
        return 0
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="booking-instructions-"))
    try:
        rows_of = cpu.setup(tmp, n + WARM, seed_workers=int(os.environ.get("BENCH_SEED_WORKERS", "2000")))
        (tmp / "rows.json").write_text(json.dumps({k: v[: n + WARM] for k, v in rows_of.items()}, default=str))
        out = tmp / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--dump-before=sched_yield",
                "--dump-instr=no",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-m",
                "tests.bench.instructions",
                "--child",
                str(tmp),
                str(n),
            ],
            cwd=bench.ROOT,
            check=True,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=str(bench.ROOT)),
        )
        dumps = sorted(tmp.glob("callgrind.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
        totals = [int(re.search(r"^summary:\s+(\d+)", d.read_text(), re.M).group(1)) for d in dumps]
        # dumps: start-up and warm-up, then one per kind (the last: after the final sched_yield)
        per = {name: totals[1 + i] / n for i, name in enumerate(KINDS)}
        statements = json.loads((tmp / "statements.json").read_text())
        for name in KINDS:
            print(f"{name:>13}: {per[name] / 1e6:6.3f} M instructions/request  {statements[name]:.2f} SQL/request")
        print(cpu.ratios(per, "instructions"))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
