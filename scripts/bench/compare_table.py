#!/usr/bin/env python3
"""Prints engine vs reference bench results side by side, with reference/engine ratios.

    compare_table.py LABEL ENGINE.json REFERENCE.json [REFERENCE-KV.json] [LABEL ...]

Every group is a label followed by the engine's JSON and one or two reference JSONs (the
arguments ending in .json; a label must not). All are bench outputs (`lisa bench -o json`,
reference_bench.py -o json): {"stages": {stage: {"mean_ms", "sd_ms"}},
"decode_tokens_per_s": {"mean", "sd"}, "peak_memory_gib", "peak_memory_kind", ...}.
A reference goes in the "KV cache" columns when its "kv_cache" is true (reference_bench.py
--kv-cache on), else in the plain reference columns (LISA's own settings: no KV cache);
a column pair shows only when some group has such a file.
Output is a Markdown table; a ratio > 1 means the engine is faster (or smaller, for memory).
"""

import json
import sys

STAGES = ["preprocess", "clip", "sam_encoder", "prefill", "decode", "sam_decode", "postprocess", "total"]
VARIANTS = [(False, "reference"), (True, "reference, KV cache")]


def cell(stat):
    return f"{stat['mean_ms']:.1f} ± {stat['sd_ms']:.1f}"


def ratio(reference, engine):
    return f"{reference / engine:.2f}" if engine > 0 else "–"


def peak(result):
    return result.get("peak_memory_gib")


def peak_cell(result, kind):
    """The peak in GiB, with its kind when it is not the engine's (the row's) kind."""
    value = peak(result)
    if value is None:
        return "–"
    other = result.get("peak_memory_kind")
    return f"{value:.2f}" + (f" ({other})" if other and other != kind else "")


def rows(label, engine, references, shown):
    """One table row per stage, for decode tok/s and for peak memory; `references` maps a
    variant (kv_cache flag) to its result, `shown` lists the variants with columns."""
    def row(name, engine_text, reference_cells):
        return f"| {label} | {name} | {engine_text} | " + " | ".join(reference_cells) + " |"

    def for_each_variant(make):
        cells = []
        for variant in shown:
            reference = references.get(variant)
            cells += make(reference) if reference is not None else ["–", "–"]
        return cells

    out = []
    for stage in STAGES:
        e = engine["stages"][stage]
        out.append(row(stage, cell(e), for_each_variant(
            lambda r: [cell(r["stages"][stage]), ratio(r["stages"][stage]["mean_ms"], e["mean_ms"])])))
    e = engine["decode_tokens_per_s"]
    out.append(row("decode tok/s", f"{e['mean']:.1f} ± {e['sd']:.1f}", for_each_variant(
        lambda r: [f"{r['decode_tokens_per_s']['mean']:.1f} ± {r['decode_tokens_per_s']['sd']:.1f}",
                   ratio(e["mean"], r["decode_tokens_per_s"]["mean"])])))
    kind = engine.get("peak_memory_kind", "")
    out.append(row(f"peak memory GiB{f' ({kind})' if kind else ''}", peak_cell(engine, kind), for_each_variant(
        lambda r: [peak_cell(r, kind),
                   ratio(peak(r), peak(engine)) if peak(r) is not None and peak(engine) is not None else "–"])))
    return out


def groups(argv):
    """[(label, engine path, [reference paths])] from the command line."""
    out = []
    for arg in argv:
        if not arg.endswith(".json"):
            out.append((arg, []))
        elif not out:
            raise SystemExit(f"{arg}: a group starts with its label\n\n{__doc__}")
        else:
            out[-1][1].append(arg)
    for label, paths in out:
        if len(paths) not in (2, 3):
            raise SystemExit(f"{label}: needs the engine's and one or two references' JSON, got {len(paths)} "
                             f"file(s)\n\n{__doc__}")
    return [(label, paths[0], paths[1:]) for label, paths in out]


def load(path):
    with open(path) as f:
        return json.load(f)


def main(argv):
    parsed = groups(argv)
    if not parsed:
        raise SystemExit(__doc__)
    tables = []
    for label, engine_path, reference_paths in parsed:
        references = {}
        for path in reference_paths:
            result = load(path)
            variant = bool(result.get("kv_cache", False))
            if variant in references:
                raise SystemExit(f"{label}: two references with kv_cache={variant}: {path}")
            references[variant] = result
        tables.append((label, load(engine_path), references))
    shown = [v for v, _ in VARIANTS if any(v in refs for _, _, refs in tables)]
    names = dict(VARIANTS)
    header = "| query | stage | engine ms | " + " | ".join(
        f"{names[v]} ms | {names[v]} / engine" for v in shown) + " |"
    lines = [header, "|---|---|---:|" + "---:|---:|" * len(shown)]
    for label, engine, references in tables:
        lines += rows(label, engine, references, shown)
    print("\n".join(lines))
    print("\n(decode tok/s row: engine rate / reference rate; peak memory, weights included: the engine process's, the reference's over its run of that length)")


if __name__ == "__main__":
    main(sys.argv[1:])
