// Helpers of the cache tests: runfiles, fresh folders, models and plans, and running the test helper
// binary (cache_helper) in fresh processes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/model.h"
#include "runtime/plan.h"
#include "runtime/tensor.h"

namespace sofie::cache_testing {

// A runfile by workspace-relative path ("tools/models/mlp/model.onnx").
std::string runfile(const std::string& path);
// A fresh, empty folder under $TEST_TMPDIR.
std::string fresh_dir(const std::string& name);

std::string model_path(const std::string& model);  // "mlp" -> its model.onnx
// The model's test input: data set 0 is batch 1, data set 1 is batch 5.
Tensor model_input(const std::string& model, int data_set);

// The plan the runtime builds for `inputs` (the model must outlive it).
std::shared_ptr<const Plan> build_plan(const Model& model, const std::vector<TensorView>& inputs);

struct ProcessResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs `program args...` in a fresh process (fork + exec) and waits for it.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args);
// Starts it without waiting; finish with wait_process.
struct Running {
  int pid = -1;
  std::string out_path, err_path;
};
Running start_process(const std::string& program, const std::vector<std::string>& args, const std::string& tag);
ProcessResult wait_process(const Running& r);

// The test helper binary (tests/cache/cache_helper.cc).
std::string helper_path();
// "name=value" of the helper's output lines ("" when absent).
std::string field(const std::string& out, const std::string& name);

// Entry files (*.entry) and temporary files of a cache root.
std::vector<std::string> entry_files(const std::string& root);
std::vector<std::string> temp_files(const std::string& root);

std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& bytes);

// True when LLVM or clang are mapped into this process.
bool llvm_mapped();

}  // namespace sofie::cache_testing
