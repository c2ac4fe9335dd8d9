"""The "no silent wait over 5 seconds" walk of issue #20 (a tool, not a test).

Runs every CLI command in its documented or quick form, every demo's quick mode
and every README python block, each in a fresh interpreter in a scratch folder,
and times its output: the wall time and the longest stretch without any output
byte (stdout and stderr together, unbuffered, ``\\r`` progress-bar refreshes
count) from the start to the end, and the CPU seconds the process used during
that gap (about its length on an idle machine). A gap is SILENT when its CPU time
exceeds 5 s and no status line ending in "..." announced it. Prints a Markdown
table and, last, one JSON line. Wall times on a shared machine depend on the
load, printed beside them.

Usage::

    nice -n 10 python tests/silent_walk.py [--only SUBSTRING ...] [--skip-readme]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
LIMIT_S = 5.0
#: A wait announced by a status line ("doing X ...") is listed as announced, not silent.
ANNOUNCED = re.compile(r"(\.\.\.|…)\s*$")


def cli(*args):
    return [PY, "-m", "boltz", *args]


def demo(name, *args):
    return [PY, str(REPO / "demos" / f"{name}.py"), *args]


def commands():
    """``(label, argv)`` in run order (later commands read the files of earlier ones)."""
    cmds = [("boltz --help", cli("--help"))]
    for sub in ("ising", "denoise", "rbm train", "rbm eval", "rbm sample", "dbm train",
                "dbm eval", "dbm sample", "ebm train", "ebm pitfall", "mrf fit"):
        cmds.append((f"boltz {sub} --help", cli(*sub.split(), "--help")))
    cmds += [
        ("boltz denoise --demo", cli("denoise", "--demo")),
        ("boltz ising --L 32 --T-range 1.8 3.0 7 --algorithm wolff --plot",
         cli("ising", "--L", "32", "--T-range", "1.8", "3.0", "7", "--algorithm", "wolff",
             "--plot")),
        ("boltz ising --lattice triangular --L 24 --algorithm wolff --correlation-length",
         cli("ising", "--lattice", "triangular", "--L", "24", "--algorithm", "wolff",
             "--correlation-length")),
        # quick forms of the MNIST commands (the documented ones train for minutes)
        ("boltz rbm train --hidden 50 --epochs 1 --subset 5000",
         cli("rbm", "train", "--hidden", "50", "--epochs", "1", "--subset", "5000")),
        # eval with fewer AIS temperatures: the same waits, a shorter AIS bar
        ("boltz rbm eval out/rbm/rbm.npz --betas 2000",
         cli("rbm", "eval", "out/rbm/rbm.npz", "--betas", "2000")),
        ("boltz rbm sample out/rbm/rbm.npz", cli("rbm", "sample", "out/rbm/rbm.npz")),
        ("boltz dbm train --hidden 50 100 --epochs 1 --pretrain-epochs 1 --max-samples 2000",
         cli("dbm", "train", "--hidden", "50", "100", "--epochs", "1", "--pretrain-epochs", "1",
             "--max-samples", "2000")),
        ("boltz dbm eval out/dbm/dbm.npz --betas 2000",
         cli("dbm", "eval", "out/dbm/dbm.npz", "--betas", "2000")),
        ("boltz dbm sample out/dbm/dbm.npz", cli("dbm", "sample", "out/dbm/dbm.npz")),
        ("boltz ebm train --density swiss_roll --objective nce --steps 300",
         cli("ebm", "train", "--density", "swiss_roll", "--objective", "nce", "--steps", "300")),
        ("boltz ebm pitfall --plot", cli("ebm", "pitfall", "--plot")),
        ("boltz mrf fit data.npy --method pl", cli("mrf", "fit", "data.npy", "--method", "pl")),
    ]
    for name in sorted(p.stem for p in (REPO / "demos").glob("*.py")):
        cmds.append((f"demos/{name}.py --quick", demo(name, "--quick")))
    return cmds


#: Reduced forms, run only when named by --only: the same waits in less time.
EXTRA = [
    ("boltz ebm pitfall --chains 2000", cli("ebm", "pitfall", "--chains", "2000")),
    ("boltz ebm train --density swiss_roll --steps 30 --samples 200 --sample-steps 50",
     cli("ebm", "train", "--density", "swiss_roll", "--steps", "30", "--samples", "200",
         "--sample-steps", "50")),
]


def readme_blocks():
    fence = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in fence.finditer(text)]


def _cpu_seconds(pid):
    """CPU time (user + system, all threads) the process has used so far, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def timed(argv, cwd, env, timeout=1800):
    """``(rc, wall s, longest silent gap s, when the gap ended, output, gap context, gap CPU s)``.

    The context is the output just before and just after the longest gap. The gap's
    CPU seconds (the process's user + system time during it) estimate how long the
    gap lasts on an idle machine, whatever the load (an overestimate for
    multi-threaded work).
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    last = t0
    last_cpu = 0.0
    gap, gap_end, gap_at, gap_cpu = 0.0, 0.0, 0, 0.0
    out = bytearray()
    fd = proc.stdout.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        now = time.perf_counter()
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            cpu = _cpu_seconds(proc.pid)
            if now - last > gap:
                gap, gap_end, gap_at, gap_cpu = now - last, now - t0, len(out), cpu - last_cpu
            last, last_cpu = now, cpu
            out += chunk
        if now - t0 > timeout:
            proc.kill()
            break
    final_cpu = _cpu_seconds(proc.pid)  # the process has not been reaped yet
    rc = proc.wait()
    end = time.perf_counter()
    if end - last > gap:
        gap, gap_end, gap_at, gap_cpu = end - last, end - t0, len(out), final_cpu - last_cpu
    text = out.decode(errors="replace")
    before = out[:gap_at].decode(errors="replace")[-70:]
    after = out[gap_at:].decode(errors="replace")[:70]
    context = (before + " <GAP> " + after).replace("\r", "\\r").replace("\n", "\\n")
    return rc, end - t0, gap, gap_end, text, context, gap_cpu


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None, help="run labels containing these")
    ap.add_argument("--skip-readme", action="store_true", help="leave out the README blocks")
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a temporary one)")
    args = ap.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    env.setdefault("BOLTZ_DATA", str(REPO.parent / "shared" / "data"))
    env.pop("COLUMNS", None)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="boltz-walk-"))
    work.mkdir(parents=True, exist_ok=True)
    import numpy as np

    rng = np.random.default_rng(0)
    np.save(work / "data.npy", np.where(rng.random((500, 16)) < 0.5, 1, -1).astype(np.int8))
    jobs = commands()
    if not args.skip_readme:
        for line, code in readme_blocks():
            script = work / f"readme_line{line}.py"
            script.write_text(code, encoding="utf-8")
            jobs.append((f"README block at line {line}", [PY, str(script)]))
    jobs += [(label, argv) for label, argv in EXTRA if args.only]
    if args.only:
        jobs = [j for j in jobs if any(s in j[0] for s in args.only)]
    rows = []
    print("| command | rc | wall s | longest silent gap s (ends at s) | its CPU s | load avg |")
    print("|---|---|---|---|---|---|")
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    for i, (label, cmd) in enumerate(jobs):
        rc, wall, gap, gap_end, text, context, gap_cpu = timed(cmd, work, env)
        (logs / f"{i:02d}.txt").write_text(f"$ {label}\n{text}", encoding="utf-8")
        load = os.getloadavg()[0]
        announced = bool(ANNOUNCED.search(context.split(" <GAP> ")[0].replace("\\n", "\n")))
        # over the limit on an idle machine (its CPU time) or here (its wall time)
        over = gap_cpu > LIMIT_S or gap > LIMIT_S
        flag = ("" if not over else " (announced)" if announced
                else " **SILENT**" if gap_cpu > LIMIT_S else " (over 5 s only under load)")
        print(f"| `{label}` | {rc} | {wall:.1f} | {gap:.1f} (at {gap_end:.1f}){flag} | "
              f"{gap_cpu:.1f} | {load:.1f} |", flush=True)
        last_line = text.strip().splitlines()[-1][:200] if text.strip() else ""
        rows.append({"command": label, "rc": rc, "wall_s": round(wall, 1),
                     "silent_gap_s": round(gap, 1), "gap_ends_at_s": round(gap_end, 1),
                     "gap_cpu_s": round(gap_cpu, 1),
                     "load": round(load, 1), "last_line": last_line,
                     "gap_context": context, "announced": announced})
        if gap > LIMIT_S:
            print(f"    gap: {context}", flush=True)
        if rc != 0:
            print(f"    rc={rc}: {text[-600:]!r}", flush=True)
    silent = [r["command"] for r in rows if r["gap_cpu_s"] > LIMIT_S and not r["announced"]]
    print(json.dumps({"silent_over_5s": silent, "rows": rows, "workdir": str(work)}))
    return 1 if silent else 0


if __name__ == "__main__":
    sys.exit(main())
