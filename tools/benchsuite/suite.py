#!/usr/bin/python3
"""The benchmark suite's driver: makes the models, runs every runner in fresh processes, writes the results.

    suite.py --out DIR --work DIR [--quick] [--runtimes a,b,...] [--models a,b,...] [--repeats R] [--seconds S]
             [--sofie-runner PATH] [--libtorch-runner PATH] [--ort-runner PATH] [--no-plots]

Runtimes: sofie_interp, sofie_jit (tools/benchsuite:sofie_runner), ort (ort/ort_runner.js under node; an
Identity model of the same input is timed too, as ort_identity), libtorch (tools/benchsuite:libtorch_runner).
For every (model, batch), every runtime runs in a fresh process: it checks its output against PyTorch's
reference (make_models.py) before timing, and a runtime whose output disagrees is reported, never timed.
Repeats are interleaved (repeat 1 of every case and runtime, then repeat 2, ...; the runtimes' order rotates),
so slow phases of a shared machine hit every runtime alike. A figure is the median over the repeats of each
process's median chunk time; its spread is the range of those per-process medians (with one repeat: the
range of that process's chunk means). Peak RSS is the median over the repeats of each process's peak.

Writes DIR/results.md (tables), DIR/summary.md (the compact table of README's Benchmarks section),
DIR/results.json (every raw figure) and, unless --no-plots, the PNG plots
(plots.py). The GNNs' figures versus size come from tools/gnn's bench_gnn, merged by gnn.py (run.sh does both);
a full run keeps the GNN part of DIR/results.json until gnn.py replaces it. Needs Debian's Python (torch, onnx, numpy; matplotlib for the plots): /usr/bin/python3.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

ALL_RUNTIMES = ["sofie_interp", "sofie_jit", "ort", "ort_identity", "libtorch"]
LABELS = {
    "sofie_interp": "sofie interp",
    "sofie_jit": "sofie JIT",
    "ort": "ONNX Runtime",
    "ort_identity": "ORT Identity",
    "libtorch": "LibTorch",
}
BASELINE_RUNTIMES = {"sofie_interp": "sofie", "sofie_jit": "sofie", "ort": "ort", "ort_identity": "ort",
                     "libtorch": "libtorch"}

FULL_MODELS = ["linear_16", "linear_64", "linear_256", "linear_1024", "linear_4096", "higgs_mlp", "vae_decoder",
               "conv2d", "conv3d", "resnet_small", "resnet18", "lstm_h8", "lstm_h64", "gru_h8", "gru_h64"]
QUICK_MODELS = ["linear_16", "linear_256", "higgs_mlp", "conv2d", "lstm_h8"]


def log(message):
    print(f"suite: {message}", file=sys.stderr, flush=True)


def make_models(work, names):
    """Runs make_models.py into WORK/models unless the models there came from the same script."""
    script = os.path.join(HERE, "make_models.py")
    with open(script, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    models_dir = os.path.join(work, "models")
    stamp = os.path.join(models_dir, "stamp.json")
    done = {}
    if os.path.exists(stamp):
        with open(stamp) as f:
            done = json.load(f)
        if done.get("script") != digest:
            done = {}
    todo = [n for n in names if n not in done.get("models", [])]
    if todo:
        log(f"making models {', '.join(todo)}")
        os.makedirs(models_dir, exist_ok=True)
        subprocess.run([sys.executable, "-W", "ignore", script, models_dir] + todo, check=True,
                       stdout=subprocess.DEVNULL)
        done = {"script": digest, "models": sorted(set(done.get("models", [])) | set(todo))}
        with open(stamp, "w") as f:
            json.dump(done, f)
    return models_dir


def runner_command(runtime, paths, model_dir, batch, meta, seconds, scratch):
    shape = ",".join(str(d) for d in [batch] + meta["input_shape"])
    data = ["--input", os.path.join(model_dir, f"input_b{batch}.f32"), "--shape", shape, "--seconds", str(seconds)]
    if runtime == "ort_identity":
        return (["node", paths["ort"], "--model", os.path.join(model_dir, "identity.onnx"),
                 "--reference", os.path.join(model_dir, f"input_b{batch}.f32")] + data)
    data += ["--reference", os.path.join(model_dir, f"ref_b{batch}.f32")]
    if scratch:
        data += ["--output", os.path.join(scratch, f"{runtime}.f32")]
    if runtime.startswith("sofie_"):
        return [paths["sofie"], "--model", os.path.join(model_dir, "model.onnx"),
                "--tier", runtime[len("sofie_"):]] + data
    if runtime == "ort":
        return ["node", paths["ort"], "--model", os.path.join(model_dir, "model.onnx")] + data
    if runtime == "libtorch":
        return [paths["libtorch"], "--model", os.path.join(model_dir, "model.pt")] + data
    raise ValueError(runtime)


def baseline_command(runtime, paths):
    if runtime == "ort":
        return ["node", paths["ort"], "--baseline"]
    return [paths[runtime], "--baseline"]


RUNNER_ENV = dict(os.environ, OMP_NUM_THREADS="1")


def run_json(cmd, timeout):
    """Runs one runner process; returns (its JSON object or None, an error text or None)."""
    env = RUNNER_ENV
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else None
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["(no message)"])[-1]
        if result is not None and result.get("ok") is False:
            return result, f"output mismatch: {tail}"
        return result, f"exit {p.returncode}: {tail}"
    if result is None:
        return None, "no JSON line"
    return result, None


def median(values):
    return statistics.median(values) if values else None


def cross_check(scratch, runtimes):
    """Largest absolute difference between the outputs the runtimes wrote for one case."""
    import numpy as np
    outs = {}
    for r in runtimes:
        path = os.path.join(scratch, f"{r}.f32")
        if os.path.exists(path):
            outs[r] = np.fromfile(path, dtype="<f4")
    worst = 0.0
    names = sorted(outs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if outs[a].shape == outs[b].shape and outs[a].size:
                worst = max(worst, float(np.max(np.abs(outs[a] - outs[b]))))
    return worst


def machine_info():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        flags = "AVX-512" if "avx512f" in text else ("AVX2" if "avx2" in text else "")
    except OSError:
        pass
    osname = platform.system()
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {"cpu": cpu, "isa": flags, "cores": os.cpu_count(), "os": osname, "kernel": platform.release()}


def versions(results_runs):
    def dpkg(pkg):
        try:
            return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True,
                                  timeout=10).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            return None

    def git(*args):
        try:
            p = subprocess.run(["git", "-C", HERE] + list(args), capture_output=True, text=True, timeout=10)
            return p.stdout.strip() if p.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    v = {}
    commit = git("rev-parse", "--short", "HEAD")
    if commit:
        v["sofie"] = commit + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")
    ort = [r.get("ort_version") for r in results_runs if r.get("ort_version")]
    if ort:
        v["onnxruntime-node"] = ort[0]
    lt = dpkg("libtorch-dev")
    if lt:
        v["libtorch-dev"] = lt
    try:
        v["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    for pkg in ("python3-torch", "libblis-serial-dev", "llvm-16-dev"):
        pv = dpkg(pkg)
        if pv:
            v[pkg] = pv
    return v


def fmt_us(x):
    if x is None:
        return "-"
    if x >= 10000:
        return f"{x / 1000:.1f} ms"
    if x >= 1000:
        return f"{x / 1000:.2f} ms"
    if x >= 100:
        return f"{x:.0f} µs"
    if x >= 10:
        return f"{x:.1f} µs"
    return f"{x:.2f} µs"


def fmt_cell(fig):
    if fig is None:
        return "-"
    if fig.get("error"):
        return "mismatch" if "mismatch" in fig["error"] else "error"
    return f"{fmt_us(fig['median_us'])} ({fmt_us(fig['lo_us']).split(' ')[0]}–{fmt_us(fig['hi_us'])})"


def ratio(a, b):
    if not a or not b or a.get("error") or b.get("error"):
        return None
    return a["median_us"] / b["median_us"]


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}"


def aggregate(runs):
    """runs: the JSON lines of one (runtime, model, batch) over the repeats -> one figure."""
    errors = [r["error"] for r in runs if r.get("error")]
    if errors:
        return {"error": errors[0], "repeats": len(runs)}
    medians = [r["median_us"] for r in runs]
    fig = {"median_us": median(medians), "repeats": len(runs),
           "peak_rss_mb": median([r["peak_rss_mb"] for r in runs]),
           "load_ms": median([r.get("load_ms", 0) for r in runs]),
           "first_call_ms": median([r.get("first_call_ms", 0) for r in runs]),
           "max_abs_err": max(r.get("max_abs_err", 0) for r in runs),
           "process_medians_us": medians}
    if len(runs) >= 2:
        fig["lo_us"], fig["hi_us"], fig["spread"] = min(medians), max(medians), "range of per-process medians"
    else:
        fig["lo_us"], fig["hi_us"], fig["spread"] = runs[0]["min_us"], runs[0]["max_us"], "range of chunk means"
    if "compile_ms" in runs[0]:
        fig["compile_ms"] = median([r["compile_ms"] for r in runs])
        fig["tier_served"] = sorted({r.get("tier", "") for r in runs})
    return fig


def write_markdown(path, doc):
    runtimes = doc["runtimes"]
    timed = [r for r in ["sofie_interp", "sofie_jit", "ort", "ort_identity", "libtorch"] if r in runtimes]
    memory = [r for r in ["sofie_interp", "sofie_jit", "ort", "libtorch"] if r in runtimes]
    m = doc["machine"]
    lines = [
        "# sofie benchmark suite: results",
        "",
        f"- Machine: {m['cpu']} ({m['cores']} cores{', ' + m['isa'] if m['isa'] else ''}), {m['os']}, "
        f"Linux {m['kernel']}",
        f"- Date: {doc['date']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in doc["versions"].items()),
        f"- Mode: {doc['mode']}; {doc['repeats']} repeat(s) of a fresh process per (runtime, model, batch), "
        f"about {doc['seconds']} s of timed calls each; every runtime single-threaded "
        "(sofie: one Session on the calling thread; ONNX Runtime: intra-op and inter-op threads 1, sequential; "
        "LibTorch: at::set_num_threads(1), set_num_interop_threads(1), torch::InferenceMode).",
        "- Each figure is the median over the repeats of each process's median time per inference (a process "
        "times chunks of back-to-back calls on the same input); in brackets the spread: "
        + ("the fastest and slowest per-process median." if doc["repeats"] >= 2 else
           "the fastest and slowest chunk mean of the one process."),
        "- Before timing, every runtime's output was checked against PyTorch's (|y - ref| <= 1e-4 + 1e-3 |ref|); "
        "the largest difference between any two runtimes' outputs is in the last column. That check runs in a "
        "process of its own before the timed ones; for sofie's JIT it is the cold compile (an empty cache), and "
        "the timed JIT processes load the compiled code from the cache.",
        "- ONNX Runtime runs from Node.js (onnxruntime-node): each call pays the binding (a Promise and a "
        "setImmediate). 'ORT Identity' times an Identity model on the same input: that binding cost, which a C/C++ "
        "caller of ONNX Runtime would not pay. The machine is shared with other jobs: compare ratios, not absolute "
        "figures, and expect noise of tens of percent on the small models.",
        "",
        "## Time per inference",
        "",
        "Ratios: sofie's time over the other runtime's (below 1: sofie is faster).",
        "",
    ]
    head = ["model", "batch"] + [LABELS[r] for r in timed]
    ratio_cols = []
    for s in ("sofie_jit", "sofie_interp"):
        for o in ("ort", "libtorch"):
            if s in runtimes and o in runtimes:
                ratio_cols.append((s, o))
    head += [f"{'JIT' if s == 'sofie_jit' else 'interp'}/{'ORT' if o == 'ort' else 'LibTorch'}" for s, o in ratio_cols]
    if "sofie_jit" in runtimes:
        head.append("JIT compile (cold)")
    head.append("max output diff")
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in doc["rows"]:
        f = row["figures"]
        cells = [row["model"], str(row["batch"])] + [fmt_cell(f.get(r)) for r in timed]
        cells += [fmt_ratio(ratio(f.get(s), f.get(o))) for s, o in ratio_cols]
        if "sofie_jit" in runtimes:
            j = f.get("sofie_jit")
            cold_ms = j.get("cold_compile_ms") if j and not j.get("error") else None
            # Below a millisecond: the check process found code compiled for an earlier case of the same model
            # (one compile serves every batch size when the plan's structure is the same).
            cells.append("-" if cold_ms is None else ("cached" if cold_ms < 1 else f"{cold_ms:.0f} ms"))
        cells.append(f"{row['max_output_diff']:.1e}")
        lines.append("| " + " | ".join(cells) + " |")

    lines += ["", "## Peak resident memory (MB), a fresh process per (runtime, model, batch)", ""]
    base = doc["baseline_rss_mb"]
    lines.append("Baseline, no model loaded: " + ", ".join(
        f"{k} {v:.1f} MB" for k, v in base.items()) + " (ONNX Runtime's includes Node.js; sofie's JIT maps "
        "LLVM and clang, ~100 MB, when it compiles).")
    lines.append("")
    if "sofie_jit" in runtimes:
        lines += ["'sofie JIT' is a process that loads the compiled code from sofie's cache (filled by the check "
                  "phase of this run); 'sofie JIT compiling' is the check phase's process, which compiled the model "
                  "(cache empty) and so mapped LLVM and clang.", ""]
    head = ["model", "batch"] + [LABELS[r] for r in memory]
    if "sofie_jit" in runtimes:
        head.insert(head.index("sofie JIT") + 1, "sofie JIT compiling")
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in doc["rows"]:
        f = row["figures"]
        cells = [row["model"], str(row["batch"])]
        for r in memory:
            fig = f.get(r)
            cells.append("-" if not fig or fig.get("error") else f"{fig['peak_rss_mb']:.1f}")
            if r == "sofie_jit":
                cold_mb = fig.get("cold_peak_rss_mb") if fig and not fig.get("error") else None
                cells.append("-" if cold_mb is None else f"{cold_mb:.1f}")
        lines.append("| " + " | ".join(cells) + " |")

    lines += ["", "## Where sofie is slower", ""]
    slower = doc["sofie_slower"]
    if not slower:
        lines.append("Nowhere in this run: the faster sofie tier beats every other runtime on every row.")
    for s in slower:
        lines.append(f"- {s['model']} batch {s['batch']}: sofie's faster tier ({LABELS[s['tier']]}, "
                     f"{fmt_us(s['sofie_us'])}) is {s['ratio']:.2f}x {LABELS[s['other']]} ({fmt_us(s['other_us'])})")
    failures = [(row, r, fig) for row in doc["rows"] for r, fig in row["figures"].items() if fig.get("error")]
    if failures:
        lines += ["", "## Failures", ""]
        for row, r, fig in failures:
            lines.append(f"- {row['model']} batch {row['batch']}, {LABELS[r]}: {fig['error']}")
    lines += ["", "## Models", ""]
    for name, desc in doc["models"].items():
        lines.append(f"- `{name}`: {desc}")
    if doc.get("gnn"):  # added by gnn.py (tools/gnn's bench_gnn, run by run.sh's full mode)
        import gnn
        lines += gnn.markdown_lines(doc["gnn"])
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_summary(path, doc):
    """The compact table of README's Benchmarks section: median times, sofie's faster tier against the
    others, peak RSS."""
    f_rt = doc["runtimes"]
    lines = ["| model | batch | sofie interp | sofie JIT | ONNX Runtime (Identity) | LibTorch | sofie/ORT | "
             "sofie/LibTorch | peak RSS MB: sofie JIT, ORT, LibTorch |", "|" + "---|" * 9]
    for row in doc["rows"]:
        f = row["figures"]

        def t(r):
            fig = f.get(r)
            return fmt_us(fig["median_us"]) if fig and not fig.get("error") else "-"

        def mb(r):
            fig = f.get(r)
            return f"{fig['peak_rss_mb']:.0f}" if fig and not fig.get("error") else "-"

        sofie = [f[r] for r in ("sofie_interp", "sofie_jit") if r in f and not f[r].get("error")]
        best = min(sofie, key=lambda x: x["median_us"]) if sofie else None
        ort = t("ort") + (f" ({t('ort_identity')})" if "ort_identity" in f_rt else "")
        lines.append(f"| {row['model']} | {row['batch']} | {t('sofie_interp')} | {t('sofie_jit')} | {ort} | "
                     f"{t('libtorch')} | {fmt_ratio(ratio(best, f.get('ort')))} | "
                     f"{fmt_ratio(ratio(best, f.get('libtorch')))} | {mb('sofie_jit')}, {mb('ort')}, {mb('libtorch')} |")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runtimes", default=",".join(ALL_RUNTIMES))
    ap.add_argument("--models", default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--sofie-runner", default=None)
    ap.add_argument("--libtorch-runner", default=None)
    ap.add_argument("--ort-runner", default=os.path.join(HERE, "ort", "ort_runner.js"))
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args(argv[1:])

    runtimes = [r for r in a.runtimes.split(",") if r]
    unknown = [r for r in runtimes if r not in ALL_RUNTIMES]
    if unknown:
        ap.error(f"unknown runtime(s) {unknown}; known: {ALL_RUNTIMES}")
    models = a.models.split(",") if a.models else (QUICK_MODELS if a.quick else FULL_MODELS)
    repeats = a.repeats or (1 if a.quick else 3)
    seconds = a.seconds if a.seconds is not None else (0.25 if a.quick else 1.0)
    paths = {"sofie": a.sofie_runner, "libtorch": a.libtorch_runner, "ort": a.ort_runner}
    for r in runtimes:
        need = "sofie" if r.startswith("sofie") else ("ort" if r.startswith("ort") else "libtorch")
        if not paths[need] or not os.path.exists(paths[need]):
            ap.error(f"runtime {r} needs --{need}-runner (an existing file)")

    os.makedirs(a.out, exist_ok=True)
    models_dir = make_models(a.work, models)
    jit_cache = os.path.join(a.work, "jit-cache")
    shutil.rmtree(jit_cache, ignore_errors=True)
    os.makedirs(jit_cache)
    RUNNER_ENV["SOFIE_CACHE_DIR"] = jit_cache
    scratch_root = os.path.join(a.work, "outputs")

    cases = []
    descriptions = {}
    for name in models:
        with open(os.path.join(models_dir, name, "meta.json")) as f:
            meta = json.load(f)
        descriptions[name] = meta["description"]
        for batch in meta["batches"]:
            cases.append((name, batch, meta))

    baselines = {}
    for br in sorted({BASELINE_RUNTIMES[r] for r in runtimes}):
        values = []
        for _ in range(repeats):
            res, err = run_json(baseline_command(br, paths), 120)
            if err:
                raise SystemExit(f"suite: baseline of {br} failed: {err}")
            values.append(res["peak_rss_mb"])
        baselines[br] = median(values)
    log("baseline RSS: " + ", ".join(f"{k} {v:.1f} MB" for k, v in baselines.items()))

    # Check phase, before any timing: one call per (case, runtime) in a fresh process, checked against PyTorch's
    # output; the outputs are compared across runtimes too. It also fills the JIT's cache (an empty one of this
    # run), so sofie_jit's cold compile time and memory are measured here, and the timed JIT processes load
    # the compiled code from the cache, as a long-running deployment would after its first start.
    cold = {}  # (model, batch, runtime) -> the check run's JSON
    cross = {}
    failed = {}
    for name, batch, meta in cases:
        scratch = os.path.join(scratch_root, f"{name}_b{batch}")
        os.makedirs(scratch, exist_ok=True)
        for r in runtimes:
            cmd = runner_command(r, paths, os.path.join(models_dir, name), batch, meta, 0, scratch)
            res, err = run_json(cmd, a.timeout)
            cold[(name, batch, r)] = dict(res or {})
            if err:
                failed[(name, batch, r)] = err
                log(f"check {name} batch {batch} {r}: {err}")
        cross[(name, batch)] = cross_check(scratch, [r for r in runtimes if r != "ort_identity"])
    log(f"checked {len(cases)} cases x {len(runtimes)} runtimes: {len(failed)} failed")

    raw = {}  # (model, batch, runtime) -> [json per repeat]
    for rep in range(repeats):
        for ci, (name, batch, meta) in enumerate(cases):
            order = runtimes[(rep + ci) % len(runtimes):] + runtimes[:(rep + ci) % len(runtimes)]
            for r in order:
                key = (name, batch, r)
                if key in failed:
                    raw[key] = [{"error": failed[key]}]
                    continue
                cmd = runner_command(r, paths, os.path.join(models_dir, name), batch, meta, seconds, None)
                res, err = run_json(cmd, a.timeout)
                entry = dict(res or {})
                if err:
                    entry["error"] = err
                    failed[key] = err
                    log(f"{name} batch {batch} {r}: {err}")
                raw.setdefault(key, []).append(entry)
            log(f"repeat {rep + 1}/{repeats}: {name} batch {batch} done")

    rows = []
    slower = []
    for name, batch, meta in cases:
        figures = {r: aggregate(raw[(name, batch, r)]) for r in runtimes if (name, batch, r) in raw}
        jit_cold = cold.get((name, batch, "sofie_jit"))
        if "sofie_jit" in figures and jit_cold and not figures["sofie_jit"].get("error"):
            figures["sofie_jit"]["cold_compile_ms"] = jit_cold.get("compile_ms")
            figures["sofie_jit"]["cold_peak_rss_mb"] = jit_cold.get("peak_rss_mb")
        rows.append({"model": name, "batch": batch, "figures": figures, "max_output_diff": cross[(name, batch)]})
        sofie = [(figures[t]["median_us"], t) for t in ("sofie_interp", "sofie_jit")
                 if t in figures and not figures[t].get("error")]
        if sofie:
            best_us, best_tier = min(sofie)
            for other in ("ort", "libtorch"):
                o = figures.get(other)
                if o and not o.get("error") and best_us > o["median_us"]:
                    slower.append({"model": name, "batch": batch, "tier": best_tier, "sofie_us": best_us,
                                   "other": other, "other_us": o["median_us"], "ratio": best_us / o["median_us"]})

    all_runs = [e for v in raw.values() for e in v]
    doc = {
        "machine": machine_info(),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "versions": versions(all_runs),
        "mode": "quick" if a.quick else "full",
        "repeats": repeats,
        "seconds": seconds,
        "runtimes": runtimes,
        "baseline_rss_mb": baselines,
        "models": descriptions,
        "rows": rows,
        "sofie_slower": slower,
    }
    # The GNN part (gnn.py) has its own date and is merged after this; until then, keep the previous one.
    previous = os.path.join(a.out, "results.json")
    if not a.quick and os.path.exists(previous):
        with open(previous) as f:
            old_gnn = json.load(f).get("gnn")
        if old_gnn:
            doc["gnn"] = old_gnn
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    write_markdown(os.path.join(a.out, "results.md"), doc)
    write_summary(os.path.join(a.out, "summary.md"), doc)
    log(f"wrote {os.path.join(a.out, 'results.md')} and results.json")
    if not a.no_plots:
        subprocess.run([sys.executable, os.path.join(HERE, "plots.py"), a.out], check=True)
    shutil.rmtree(scratch_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
