#!/usr/bin/env python3
"""Prints engine vs reference bench results side by side, with reference/engine ratios.

    compare_table.py LABEL ENGINE.json REFERENCE.json [LABEL ENGINE.json REFERENCE.json ...]

Both JSON files are bench outputs (`lisa bench -o json`, reference_bench.py -o json):
{"stages": {stage: {"mean_ms", "sd_ms"}}, "decode_tokens_per_s": {"mean", "sd"}, ...}.
Output is a Markdown table; a ratio > 1 means the engine is faster.
"""

import json
import sys

STAGES = ["preprocess", "clip", "sam_encoder", "prefill", "decode", "sam_decode", "postprocess", "total"]


def cell(stat):
    return f"{stat['mean_ms']:.1f} ± {stat['sd_ms']:.1f}"


def ratio(reference, engine):
    return f"{reference / engine:.2f}" if engine > 0 else "–"


def rows(label, engine, reference):
    out = []
    for stage in STAGES:
        e, r = engine["stages"][stage], reference["stages"][stage]
        out.append(f"| {label} | {stage} | {cell(e)} | {cell(r)} | {ratio(r['mean_ms'], e['mean_ms'])} |")
    e, r = engine["decode_tokens_per_s"], reference["decode_tokens_per_s"]
    out.append(
        f"| {label} | decode tok/s | {e['mean']:.1f} ± {e['sd']:.1f} | {r['mean']:.1f} ± {r['sd']:.1f} "
        f"| {ratio(e['mean'], r['mean'])} |"
    )
    return out


def main(argv):
    if len(argv) < 3 or len(argv) % 3:
        raise SystemExit(__doc__)
    lines = [
        "| query | stage | engine ms | reference ms | reference / engine |",
        "|---|---|---:|---:|---:|",
    ]
    for i in range(0, len(argv), 3):
        label, engine_path, reference_path = argv[i:i + 3]
        with open(engine_path) as f:
            engine = json.load(f)
        with open(reference_path) as f:
            reference = json.load(f)
        lines += rows(label, engine, reference)
    print("\n".join(lines))
    print("\n(decode tok/s row: engine rate / reference rate)")


if __name__ == "__main__":
    main(sys.argv[1:])
