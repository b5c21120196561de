// ONNX (protobuf) -> Graph. Models are untrusted input: every malformed piece is an error naming what
// and where, never a crash or an attempt at an absurd allocation.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/graph.h"
#include "runtime/model.h"

namespace sofie {

// Models up to 2 GB (protobuf's limit); external data is read relative to the model's folder.
absl::StatusOr<std::shared_ptr<const Graph>> load_onnx_file(const std::string& path, const LoadOptions& options);
absl::StatusOr<std::shared_ptr<const Graph>> load_onnx_buffer(const void* data, size_t size,
                                                              const LoadOptions& options);

}  // namespace sofie
