"""Per-kernel times of one warm call, from Nsight Compute's CSV of thunder-run
(`ncu --metrics gpu__time_duration.sum --csv ... thunder-run M --repeat 1 ...`).

    python3 bench/ncu_kernels.py NCU.csv

thunder-run makes a first call, then --repeat warm calls, then torch's reference run. A call
is taken to end where the first kernel launched (the model's first region) is launched again:
the table is the second call's launches, grouped by kernel name, longest total first, with
each group's share of the call's kernel time (the gaps between kernels are not counted)."""
import collections
import csv
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    launches = []  # (id, name, ns)
    with open(sys.argv[1], newline="") as f:
        lines = [line for line in f if line.startswith('"')]  # ncu's own messages are not CSV
    for row in csv.DictReader(lines):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        value = float(row["Metric Value"].replace(",", ""))
        unit = row.get("Metric Unit", "nsecond")
        scale = {"nsecond": 1, "usecond": 1e3, "msecond": 1e6, "second": 1e9}.get(unit, 1)
        launches.append((int(row["ID"]), row["Kernel Name"], value * scale))
    launches.sort()
    if not launches:
        sys.exit("ncu_kernels.py: no gpu__time_duration.sum rows in " + sys.argv[1])
    first = launches[0][1]
    starts = [i for i, (_, name, _) in enumerate(launches) if name == first]
    if len(starts) < 2:
        sys.exit(f"ncu_kernels.py: {first} (the first kernel) was launched once: no warm call profiled")
    end = starts[2] if len(starts) > 2 else len(launches)
    call = launches[starts[1]:end]
    groups = collections.defaultdict(lambda: [0, 0.0])
    for _, name, ns in call:
        short = name.split("(")[0][:70]
        groups[short][0] += 1
        groups[short][1] += ns
    total = sum(ns for _, _, ns in call)
    print(f"one warm call: {len(call)} kernels, {total / 1e6:.3f} ms of kernel time")
    print(f"{'kernel':72} {'launches':>8} {'ms':>9} {'share':>7}")
    for name, (count, ns) in sorted(groups.items(), key=lambda kv: -kv[1][1])[:40]:
        print(f"{name:72} {count:8d} {ns / 1e6:9.3f} {100 * ns / total:6.1f}%")


if __name__ == "__main__":
    main()
