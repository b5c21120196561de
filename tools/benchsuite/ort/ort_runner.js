// ONNX Runtime's runner of the benchmark suite, through the npm package onnxruntime-node (installed by
// tools/benchsuite/setup.sh into ./node_modules). One intra-op and one inter-op thread, sequential execution,
// all graph optimisations. The protocol and the JSON line are those of ../runner_common.h:
//
//   node ort_runner.js --model FILE --input IN.f32 --shape 1,7 [--reference REF.f32] [--rtol R] [--atol A]
//                      [--output OUT.f32] [--seconds S]
//   node ort_runner.js --baseline
//
// Every session.run of onnxruntime-node goes through a Promise and a setImmediate before the native call: the
// suite times an Identity model of the same input too, to show that binding cost.
'use strict';

const fs = require('fs');

function die(message) {
  process.stderr.write(`ort_runner: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { values: {}, baseline: false };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--baseline') {
      args.baseline = true;
    } else if (a.startsWith('--') && i + 1 < argv.length) {
      args.values[a.slice(2)] = argv[++i];
    } else {
      die(`bad argument '${a}'`);
    }
  }
  return args;
}

function need(args, key) {
  if (!(key in args.values)) die(`missing --${key}`);
  return args.values[key];
}

function readF32(path) {
  const bytes = fs.readFileSync(path);
  // Copy into an aligned buffer of its own (a Buffer may sit at any offset of a shared pool).
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

// VmHWM of /proc/self/status, not resourceUsage().maxRSS: Linux carries that across exec, so it would report
// the peak of a large parent (the Python driver) instead of this process's.
function peakRssMb() {
  const m = /VmHWM:\s*(\d+)\s*kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

async function timeCalls(call, seconds) {
  const kMinChunkMs = 5, kChunkTargetMs = 6, kMaxCalls = 2 ** 26;
  const chunkMs = async (calls) => {
    const t0 = nowMs();
    for (let i = 0; i < calls; ++i) await call();
    return nowMs() - t0;
  };
  let calls = 1;
  while ((await chunkMs(calls)) < kMinChunkMs && calls < kMaxCalls) calls *= 2;
  let fastest = Infinity;
  for (let k = 0; k < 3; ++k) fastest = Math.min(fastest, (await chunkMs(calls)) / calls);
  const perChunk = Math.min(kMaxCalls, Math.max(1, Math.ceil(kChunkTargetMs / Math.max(fastest, 1e-9))));
  const us = [];
  const start = nowMs();
  while (us.length < 3 || nowMs() - start < seconds * 1000) us.push((await chunkMs(perChunk)) * 1000 / perChunk);
  us.sort((a, b) => a - b);
  const m = us.length;
  return {
    median_us: m % 2 ? us[(m - 1) / 2] : 0.5 * (us[m / 2 - 1] + us[m / 2]),
    min_us: us[0], max_us: us[m - 1], chunks: m, calls_per_chunk: perChunk,
  };
}

function compare(y, ref, rtol, atol) {
  const c = { ok: true, max_abs_err: 0, message: '' };
  if (y.length !== ref.length) {
    return { ok: false, max_abs_err: 0, message: `output has ${y.length} elements, the reference ${ref.length}` };
  }
  for (let i = 0; i < y.length; ++i) {
    const err = Math.abs(y[i] - ref[i]);
    if (!(err <= atol + rtol * Math.abs(ref[i]))) {
      if (c.ok) c.message = `element ${i}: ${y[i]} vs ${ref[i]}`;
      c.ok = false;
    }
    if (!(err <= c.max_abs_err)) c.max_abs_err = err;
  }
  return c;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = require('onnxruntime-node');
  if (args.baseline) {
    console.log(JSON.stringify({ runtime: 'ort', baseline: true, peak_rss_mb: +peakRssMb().toFixed(1) }));
    return 0;
  }
  const shape = need(args, 'shape').split(',').map(Number);
  const input = readF32(need(args, 'input'));
  if (input.length !== shape.reduce((a, b) => a * b, 1)) die('input size does not match --shape');
  const seconds = Number(args.values.seconds ?? '1');
  const rtol = Number(args.values.rtol ?? '1e-3'), atol = Number(args.values.atol ?? '1e-4');

  let t0 = nowMs();
  const session = await ort.InferenceSession.create(need(args, 'model'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, shape) };
  const outputName = session.outputNames[0];
  const loadMs = nowMs() - t0;
  t0 = nowMs();
  let result = await session.run(feeds);
  const firstCallMs = nowMs() - t0;
  const y = result[outputName].data;

  let check = { ok: true, max_abs_err: 0, message: '' };
  if ('output' in args.values) fs.writeFileSync(args.values.output, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  if ('reference' in args.values) check = compare(y, readF32(args.values.reference), rtol, atol);

  let t = { median_us: 0, min_us: 0, max_us: 0, chunks: 0, calls_per_chunk: 0 };
  if (check.ok && seconds > 0) t = await timeCalls(() => session.run(feeds), seconds);
  console.log(JSON.stringify({
    runtime: 'ort', ok: check.ok, max_abs_err: check.max_abs_err, median_us: t.median_us, min_us: t.min_us,
    max_us: t.max_us, chunks: t.chunks, calls_per_chunk: t.calls_per_chunk, load_ms: loadMs,
    first_call_ms: firstCallMs, peak_rss_mb: +peakRssMb().toFixed(1), ort_version: ort.env.versions.common,
  }));
  if (!check.ok) {
    process.stderr.write(`ort_runner: output does not match the reference: ${check.message}\n`);
    return 3;
  }
  return 0;
}

main().then((code) => process.exit(code), (e) => die(e.stack || String(e)));
