// Shared by the GNN benchmarks (bench_gnn.cc for sofie, bench_gnn_libtorch.cc for LibTorch): the inputs of
// every (model, size) case, timing, memory figures and the CSV line, so both measure the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/tensor.h"

namespace sofie::gnn_bench {

// Peak and current resident memory of this process from /proc/self/status ("VmHWM", "VmRSS"), in MB.
double status_mb(const char* field);
// VmHWM := VmRSS (Linux: "5" to /proc/self/clear_refs).
void reset_peak_rss();

struct Timing {
  double median_us = 0;
  double fastest_us = 0;
};
// Chunks of back-to-back calls of at least 2 ms each, at least 11 chunks and `min_ms` in all: the median and
// the fastest of the chunk means.
Timing time_calls(const std::function<void()>& call, double min_ms);

// The inputs of a case, deterministic per (model, size). lhcb_toy: nodes [N,4], edges [4N,4], globals [1,1],
// senders, receivers [4N]; message_passing: x [N,6], edge_attr [4N,3], senders, receivers; particlenet:
// points [1,2,P], features [1,7,P]; atlas_tracks: tracks [1,T,21], jet [1,2].
struct CaseInputs {
  std::vector<Tensor> tensors;
  int64_t nodes = 0;  // nodes, points or tracks
  int64_t edges = 0;
};
CaseInputs make_inputs(const std::string& model, int64_t size);

const char* csv_header();  // with a newline
struct CaseResult {
  std::string model, tier;
  int64_t size = 0, nodes = 0, edges = 0;
  Timing timing;
  double peak_rss_mb = 0, first_peak_mb = 0, loaded_rss_mb = 0, compile_ms = 0;
};
std::string csv_line(const CaseResult& r);  // with a newline

// Largest |a - b| over two float32 tensors of equal shape; infinity when the shapes differ.
double max_abs_diff(const TensorView& a, const TensorView& b);

}  // namespace sofie::gnn_bench
