"""Install the system parts the test suite uses when they are missing (Debian packages).

`make test` runs this first, so a fresh machine needs nothing by hand: PostgreSQL for the
database tests, Chromium for the browser tests, zbar for decoding QR codes, Redis and nginx for
the cluster tier. `python -m tests.tools.ensure_system cluster` (make cluster) installs only
what the cluster needs.
"""

import glob
import os
import shutil
import subprocess
import sys

NEEDED = {
    "postgresql": lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
    "chromium": lambda: bool(shutil.which("chromium")),
    "zbar-tools": lambda: bool(shutil.which("zbarimg")),
    "libzbar0": lambda: bool(glob.glob("/usr/lib/*/libzbar.so*") or glob.glob("/usr/lib/libzbar.so*")),
    "redis-server": lambda: bool(shutil.which("redis-server")),
    "nginx": lambda: bool(shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")),
    # Chinese glyphs for the phone screenshots (tests/e2e/screens.py): small, unlike Noto CJK
    "fonts-wqy-microhei": lambda: bool(glob.glob("/usr/share/fonts/truetype/wqy/wqy-microhei.tt*")),
}
CLUSTER = ("postgresql", "redis-server", "nginx")


def main(argv: list[str]) -> int:
    needed = {pkg: NEEDED[pkg] for pkg in CLUSTER} if argv[:1] == ["cluster"] else NEEDED
    missing = [pkg for pkg, present in needed.items() if not present()]
    if not missing:
        return 0
    print("installing missing system packages:", " ".join(missing), flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    still = [pkg for pkg, present in needed.items() if not present()]
    if still:
        print("still missing after install:", " ".join(still), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
