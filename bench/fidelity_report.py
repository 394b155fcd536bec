#!/usr/bin/env python3
"""Prints the fidelity tables (markdown) from a `make fidelity` run: per study, metasweep's mean
± std over seeds (read with `metasweep results --format json`, the public contract), the
oracle's on the same config where one exists, the paper's claim, and for PoolFormer Table 5 the
Kendall tau between our ordering and the paper's. Standard library only."""
import argparse, glob, json, math, os, re, statistics, subprocess, sys

p = argparse.ArgumentParser()
p.add_argument("--bin", required=True)
p.add_argument("--db", required=True)
p.add_argument("--oracle", required=True)
p.add_argument("--sweeps", default="kv_synthetic gmlp_sequence poolformer_table5_fmnist")
a = p.parse_args()

NAMES = {"kv_synthetic": "fidelity-kv-synthetic", "gmlp_sequence": "fidelity-gmlp-sequence",
         "poolformer_table5_fmnist": "fidelity-poolformer-table5-fmnist"}


def jobs(sweep):
    out = subprocess.run([a.bin, "results", "--db", a.db, "--sweep", sweep, "--format", "json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"metasweep results failed for {sweep}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def mean_std(values):
    if not values:
        return "—"
    m = statistics.mean(values)
    s = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * m:.2f} ± {100 * s:.2f} ({len(values)})"


def kendall_tau(x, y):
    """Kendall tau-b of two equally long lists."""
    n = len(x)
    conc = disc = tx = ty = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif dx * dy > 0:
                conc += 1
            else:
                disc += 1
    denom = math.sqrt((conc + disc + tx) * (conc + disc + ty))
    return (conc - disc) / denom if denom else float("nan")


def grouped(rows, key):
    g = {}
    for r in rows:
        if r["status"] == "done" and r.get("test_acc") is not None:
            g.setdefault(key(r), []).append(r["test_acc"])
    return g


def wall(rows):
    return sum(r.get("wall_s") or 0 for r in rows)


for short in a.sweeps.split():
    sweep = NAMES[short]
    rows = jobs(sweep)
    print(f"\n### {sweep} ({len(rows)} jobs, {wall(rows) / 60:.1f} min of training in all)\n")
    if short == "kv_synthetic":
        mixer_of = {"attention": "qkv", "kv_attention": "kv", "kv_pos_attention": "kvpos"}
        ours = grouped(rows, lambda r: (r["config"]["task"]["dataset"], mixer_of[r["config"]["model"]["mixers"][0]]))
        print("| task | form | metasweep test_acc | oracle test_acc | Δ (points) |")
        print("|---|---|---|---|---|")
        worst = 0.0
        for task in ["copy", "sub", "reverse", "sort", "swap"]:
            for mixer, name in [("qkv", "QKV"), ("kv", "KV"), ("kvpos", "KV+Pos")]:
                oracle = []
                for f in sorted(glob.glob(os.path.join(a.oracle, f"{task}-{mixer}-*.txt"))):
                    m = re.search(r"^final test_acc ([0-9.]+)", open(f).read(), re.M)
                    if m:
                        oracle.append(float(m.group(1)))
                mine = ours.get((task, mixer), [])
                delta = ""
                if mine and oracle:
                    d = 100 * (statistics.mean(mine) - statistics.mean(oracle))
                    worst = max(worst, abs(d))
                    delta = f"{d:+.2f}"
                print(f"| {task} | {name} | {mean_std(mine)} | {mean_std(oracle)} | {delta} |")
        print(f"\nLargest |Δ| against the oracle: {worst:.2f} points.")
    else:
        ours = grouped(rows, lambda r: (r["section"], r["variant"]))
        refs = {}
        for r in rows:
            if r.get("reference") is not None:
                refs[(r["section"], r["variant"])] = r["reference"]
        print("| section | variant | metasweep test_acc | paper |")
        print("|---|---|---|---|")
        order = []
        for r in rows:
            k = (r["section"], r["variant"])
            if k not in order:
                order.append(k)
        for k in order:
            ref = refs.get(k, "")
            print(f"| {k[0]} | {k[1]} | {mean_std(ours.get(k, []))} | {ref} |")
        pairs = [(statistics.mean(ours[k]), refs[k]) for k in order if k in ours and k in refs]
        if len(pairs) >= 3:
            tau = kendall_tau([x for x, _ in pairs], [y for _, y in pairs])
            print(f"\nKendall tau-b of our ordering against the paper's over {len(pairs)} rows with a reference: {tau:.3f}")
