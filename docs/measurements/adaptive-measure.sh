#!/usr/bin/env bash
# Issue #18's must-show figures: the default run with right-20 and with `rule: adaptive`, started together on the same
# machine, then compared (relative gaps, device rows per query, paths meeting the tolerance and why the others
# stopped, coarse-KN Jaccard, queries/s).
#
#   [METHOD=dai] docs/measurements/adaptive-measure.sh MODEL_PATH OUTDIR [extra pipeline args, e.g. --set data.facts=60]
#
# MODEL_PATH is given to both runs as model.path (an embedded model folder or a checkpoint), so both attribute the
# same model and queries whatever `model.path: embedded` resolves to today. PIPELINE overrides the binary (default:
# this repository's Release build; build it first and do not rebuild while this runs).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 MODEL_PATH OUTDIR [extra pipeline args]" >&2
  exit 2
fi
MODEL=$1; OUT=$2; shift 2
PIPELINE=${PIPELINE:-$(cd "$(dirname "$0")/../.." && pwd)/pipeline/bin/Release/net10.0/linux-x64/pipeline}
[ -x "$PIPELINE" ] || { echo "no pipeline binary at $PIPELINE (build it, or set PIPELINE)" >&2; exit 2; }
[ -e "$MODEL" ] || { echo "no model at $MODEL" >&2; exit 2; }
if [ -e "$OUT/r20" ] || [ -e "$OUT/rad" ]; then
  echo "$OUT/r20 or $OUT/rad exists: a rerun would resume it, not measure; give a new OUTDIR" >&2
  exit 2
fi
mkdir -p "$OUT"
echo "binary $PIPELINE; model $MODEL; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Both runs start together and differ only in the rule, so they see the same queries and the same load while both
# run (right-20 runs longer, so its last part runs alone: the queries/s ratio then favours right-20).
"$PIPELINE" run --run-dir "$OUT/r20" --no-report --set "model.path=$MODEL" "$@" > "$OUT/r20.log" 2>&1 &
R20=$!
"$PIPELINE" run --run-dir "$OUT/rad" --no-report --set "model.path=$MODEL" --set attribution.rule=adaptive "$@" \
  > "$OUT/rad.log" 2>&1 &
RAD=$!
fail=0
wait $RAD || { echo "adaptive run failed: see $OUT/rad.log" >&2; fail=1; }
echo "adaptive finished at $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
wait $R20 || { echo "right-20 run failed: see $OUT/r20.log" >&2; fail=1; }
echo "right-20 finished at $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
[ $fail = 0 ] || exit 1

for run in r20 rad; do
  for table in attributions kn_sets; do
    "$PIPELINE" export "$OUT/$run" "$table" --format jsonl --out "$OUT/$run-$table.jsonl"
  done
done

python3 - "$OUT" "${METHOD:-}" <<'EOF'
import json, math, statistics, sys
out = sys.argv[1]
# Runs with several attribution methods write one row per (query, method): compare one method (METHOD, default the
# run's first), so every query counts once.
methods = json.load(open(f'{out}/rad/manifest.json'))['config']['attribution'].get('methods') or [None]
method = sys.argv[2] or methods[0]
print(f"method {method} (of {methods})")

def load(path):
    with open(path) as f:
        return {d['query_id']: d for d in map(json.loads, f) if d.get('method') in (None, '', method)}

a, b = load(f'{out}/r20-attributions.jsonl'), load(f'{out}/rad-attributions.jsonl')
manifest = json.load(open(f'{out}/rad/manifest.json'))
att = manifest['config']['attribution']
tol, max_steps = att['tolerance'], att['max_steps']
print(f"git {manifest['git_sha'][:12]}; tolerance {tol}, max_steps {max_steps}")
common = a.keys() & b.keys()
print(f'attributed queries: right-20 {len(a)}, adaptive {len(b)}, both {len(common)}')
if len(common) != len(a) or len(common) != len(b):
    print('WARNING: the runs attributed different queries; figures below use the common ones')

def rel_gaps(rows):
    rel = []
    for r in rows:
        for fb, g in zip(r['layer_f_baseline'], r['layer_gap']):
            den = abs(r['fa'] - fb)
            if den > 0 and math.isfinite(g):
                rel.append(abs(g) / den)
    return sorted(rel)

def q(xs, p):
    return xs[min(len(xs) - 1, int(p * len(xs)))]

ra, rb = [a[k] for k in sorted(common)], [b[k] for k in sorted(common)]
ga, gb = rel_gaps(ra), rel_gaps(rb)
print(f'relative gap, median: right-20 {statistics.median(ga):.3g}, adaptive {statistics.median(gb):.3g}')
print(f'relative gap, p95:    right-20 {q(ga, .95):.3g}, adaptive {q(gb, .95):.3g}')
print(f'paths within {tol}: right-20 {sum(g <= tol for g in ga) / len(ga):.1%}, adaptive {sum(g <= tol for g in gb) / len(gb):.1%}')

# Device rows: a fixed rule evaluates its m points plus the F(b) row per layer (right-20: 21); adaptive's points
# include α = 0, which is its F(b) row, so its rows are the sum of layer_points.
rows_a = statistics.mean(sum(p + 1 for p in r['layer_points']) for r in ra)
rows_b = statistics.mean(sum(r['layer_points']) for r in rb)
print(f'device rows per query: right-20 {rows_a:.2f}, adaptive {rows_b:.2f}, ratio {rows_b / rows_a:.1%}')
points = [p for r in rb for p in r['layer_points']]
nl = len(rb[0]['layer_points'])
per_layer = ', '.join(f"{statistics.mean(r['layer_points'][i] for r in rb):.1f}" for i in range(nl))
print(f'adaptive points per path: {statistics.mean(points):.2f} (by layer: {per_layer})')

# Why each adaptive path stopped, from its values (the records keep only tolerance_met): below the noise floor
# (|gap| <= 1e-5·max|F|), at max_steps (one more 6-point bisection would pass it), non-finite, else stagnation.
# A stagnation stop at max_steps' last round counts as max_steps.
paths = met = floor = capped = stagnant = nonfinite = 0
pts = {'met': 0, 'floor': 0, 'max_steps': 0, 'stagnation': 0, 'non-finite': 0}
for r in rb:
    for fb, g, p, m in zip(r['layer_f_baseline'], r['layer_gap'], r['layer_points'], r['layer_tolerance_met']):
        paths += 1
        if m:
            met += 1; pts['met'] += p
        elif not math.isfinite(g) or r['non_finite']:
            nonfinite += 1; pts['non-finite'] += p
        elif abs(g) <= 1e-5 * max(abs(r['fa']), abs(fb)):
            floor += 1; pts['floor'] += p
        elif p + 6 > max_steps:
            capped += 1; pts['max_steps'] += p
        else:
            stagnant += 1; pts['stagnation'] += p
total = sum(pts.values())
print(f'adaptive paths {paths}: tolerance met {met / paths:.1%}; unmet: noise floor {floor}, max_steps {capped} '
      f'({pts["max_steps"] / total:.1%} of points), stagnation {stagnant} ({pts["stagnation"] / total:.1%} of points), '
      f'non-finite {nonfinite}')

ka, kb = load(f'{out}/r20-kn_sets.jsonl'), load(f'{out}/rad-kn_sets.jsonl')
js = []
for k in sorted(ka.keys() & kb.keys()):
    sa = set(zip(ka[k]['layer'], ka[k]['unit'])); sb = set(zip(kb[k]['layer'], kb[k]['unit']))
    js.append(1.0 if not sa and not sb else len(sa & sb) / len(sa | sb))
print(f'coarse KN sets: mean Jaccard {statistics.mean(js):.3f}, median {statistics.median(js):.3f}, '
      f'identical {sum(j == 1.0 for j in js) / len(js):.1%} (n {len(js)})')

sa, sb = (json.load(open(f'{out}/{run}/summary.json')) for run in ('r20', 'rad'))
print(f"queries/s: right-20 {sa['queries_per_s']:.1f} (device {sa['device_s']:.0f} s, wall {sa['wall_s']:.0f} s), "
      f"adaptive {sb['queries_per_s']:.1f} (device {sb['device_s']:.0f} s, wall {sb['wall_s']:.0f} s), "
      f"ratio {sb['queries_per_s'] / sa['queries_per_s']:.2f}")
EOF
