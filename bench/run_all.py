"""Every benchmark, one after the other (long: minutes to an hour on 2 cores). `make bench` runs this."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = ("scale.py", "claims_stage.py", "email_chains.py", "api.py", "feeds.py")


def main() -> None:
    failed = []
    for script in SCRIPTS:
        path = BENCH / script
        if not path.exists():
            continue
        print(f"\n## {script}\n", flush=True)
        if subprocess.run([sys.executable, str(path)], check=False).returncode != 0:
            failed.append(script)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
