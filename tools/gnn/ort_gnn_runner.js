// ONNX Runtime's side of bench_gnn, through the npm package onnxruntime-node (the copy tools/benchsuite/setup.sh
// installs). One case: one intra-op and one inter-op thread, sequential execution, all graph optimisations,
// timed as bench_gnn times sofie (chunks of at least 2 ms, at least 11 chunks and --min-ms in all, median of
// the chunk means). Inputs are raw little-endian files written by bench_gnn; output 0 is compared with sofie's
// interpreter (a difference above 1e-3 is reported on stderr). Each call pays the Node.js binding (a Promise
// per run): --identity times an Identity model of the first input, that binding's cost.
//
//   node ort_gnn_runner.js --ort DIR/onnxruntime-node --model M.onnx --identity I.onnx --min-ms T
//        --reference OUT0.f32 --input NAME:float32|int64:D0,D1,...:FILE [--input ...]
//
// Prints one JSON line: {median_us, fastest_us, identity_us, peak_rss_mb, first_peak_mb, loaded_rss_mb,
// max_abs_diff}.
'use strict';

const fs = require('fs');

function die(message) {
  process.stderr.write(`ort_gnn_runner: ${message}\n`);
  process.exit(2);
}

function statusMb(field) {
  const m = new RegExp(`${field}:\\s*(\\d+)\\s*kB`).exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function resetPeak() {
  fs.writeFileSync('/proc/self/clear_refs', '5');
}

function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

async function timeCalls(call, minMs) {
  const chunkMs = async (calls) => {
    const t0 = nowMs();
    for (let i = 0; i < calls; ++i) await call();
    return nowMs() - t0;
  };
  let calls = 1;
  while ((await chunkMs(calls)) < 2 && calls < 2 ** 24) calls *= 2;
  const us = [];
  let total = 0;
  while ((us.length < 11 || total < minMs) && us.length < 400) {
    const ms = await chunkMs(calls);
    total += ms;
    us.push((ms * 1000) / calls);
  }
  us.sort((a, b) => a - b);
  const m = us.length;
  return { median: m % 2 ? us[(m - 1) / 2] : 0.5 * (us[m / 2 - 1] + us[m / 2]), fastest: us[0] };
}

function readTyped(file, dtype) {
  const bytes = fs.readFileSync(file);
  const out = dtype === 'int64' ? new BigInt64Array(bytes.length / 8) : new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);  // an aligned copy (a Buffer may sit at any offset of a pool)
  return out;
}

async function main() {
  const argv = process.argv.slice(2);
  const values = {};
  const inputs = [];
  for (let i = 0; i + 1 < argv.length; i += 2) {
    if (argv[i] === '--input') inputs.push(argv[i + 1]);
    else values[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  for (const key of ['ort', 'model', 'identity', 'min-ms', 'reference']) {
    if (!(key in values)) die(`missing --${key}`);
  }
  const ort = require(values.ort);
  const options = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  const feeds = {};
  let first = null;
  for (const spec of inputs) {
    const [name, dtype, dims, file] = spec.split(':');
    const shape = dims === '' ? [] : dims.split(',').map(Number);
    feeds[name] = new ort.Tensor(dtype, readTyped(file, dtype), shape);
    if (first === null) first = feeds[name];
  }
  const session = await ort.InferenceSession.create(values.model, options);
  const loaded = statusMb('VmRSS');
  let result = await session.run(feeds);
  result = await session.run(feeds);
  const y = result[session.outputNames[0]].data;
  const ref = readTyped(values.reference, 'float32');
  let diff = y.length === ref.length ? 0 : Infinity;
  for (let i = 0; i < Math.min(y.length, ref.length); ++i) diff = Math.max(diff, Math.abs(y[i] - ref[i]));
  if (!(diff <= 1e-3)) process.stderr.write(`ort_gnn_runner: ${values.model}: output 0 differs from sofie's by ${diff}\n`);
  const firstPeak = statusMb('VmHWM');
  resetPeak();
  const minMs = Number(values['min-ms']);
  const t = await timeCalls(() => session.run(feeds), minMs);
  const peak = statusMb('VmHWM');

  const identity = await ort.InferenceSession.create(values.identity, options);
  const identityFeeds = { [identity.inputNames[0]]: first };
  const ti = await timeCalls(() => identity.run(identityFeeds), Math.min(minMs, 200));
  console.log(JSON.stringify({
    median_us: t.median, fastest_us: t.fastest, identity_us: ti.median, peak_rss_mb: peak, first_peak_mb: firstPeak,
    loaded_rss_mb: loaded, max_abs_diff: diff,
  }));
}

main().catch((e) => die(e.stack || String(e)));
