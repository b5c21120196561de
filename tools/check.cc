#include "tools/check.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <limits>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "runtime/model.h"
#include "runtime/tensor_io.h"
#include "tools/inspect.h"

namespace sofie::tools {
namespace fs = std::filesystem;

namespace {

// "[1,0,3]": the multi-index of flat element `flat` in a row-major tensor of shape `shape`.
std::string index_string(int64_t flat, absl::Span<const int64_t> shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    const int64_t d = shape[i] > 0 ? shape[i] : 1;
    index[i] = flat % d;
    flat /= d;
  }
  return absl::StrCat("[", absl::StrJoin(index, ","), "]");
}

double float_at(const TensorView& t, int64_t i) {
  return t.dtype == DType::kFloat32 ? static_cast<double>(t.data_as<float>()[i]) : t.data_as<double>()[i];
}

// Integers and bools as int64 (exact for every type sofie has except the top half of uint64, which it lacks).
int64_t int_at(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::kInt64: return t.data_as<int64_t>()[i];
    case DType::kInt32: return t.data_as<int32_t>()[i];
    case DType::kInt8: return t.data_as<int8_t>()[i];
    case DType::kUInt8: return t.data_as<uint8_t>()[i];
    case DType::kBool: return t.data_as<uint8_t>()[i] != 0;
    default: return 0;
  }
}

std::string format_float(double v, DType dtype) {
  return absl::StrFormat(dtype == DType::kFloat32 ? "%.9g" : "%.17g", v);
}

// Data set folders sorted by their number: test_data_set_2 before test_data_set_10.
std::vector<fs::path> data_set_dirs(const fs::path& case_dir) {
  std::vector<std::pair<int64_t, fs::path>> found;
  std::error_code ec;
  for (fs::directory_iterator it(case_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    absl::string_view rest = name;
    int64_t number = 0;
    if (absl::ConsumePrefix(&rest, "test_data_set_") && absl::SimpleAtoi(rest, &number) &&
        it->is_directory(ec)) {
      found.emplace_back(number, it->path());
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [number, path] : found) out.push_back(path);
  return out;
}

// prefix_0.pb, prefix_1.pb, ... up to the first missing one.
std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (int k = 0;; ++k) {
    fs::path p = dir / absl::StrCat(prefix, "_", k, ".pb");
    if (!fs::exists(p, ec)) break;
    out.push_back(p);
  }
  return out;
}

// The loader prefixes its errors with "model '<path>': "; the case line already names the case.
std::string without_model_path(const absl::Status& status, const std::string& model_path) {
  absl::string_view message = status.message();
  absl::ConsumePrefix(&message, absl::StrCat("model '", model_path, "': "));
  return std::string(message);
}

CaseResult finish(CaseResult r, CaseStatus status, std::string message = "") {
  r.status = status;
  r.message = std::move(message);
  return r;
}

// An error while reading data or running: a SKIP when it is a feature sofie does not implement, else a FAIL.
CaseResult fail_or_skip(CaseResult r, const absl::Status& status, const std::string& context) {
  if (absl::IsUnimplemented(status)) {
    return finish(std::move(r), CaseStatus::kSkip, absl::StrCat("unsupported: ", status.message()));
  }
  return finish(std::move(r), CaseStatus::kFail, absl::StrCat(context, ": ", status.message()));
}

CaseResult check_case_unguarded(const std::string& dir, const std::string& name, const CheckOptions& options) {
  CaseResult result;
  result.name = name;
  result.dir = dir;
  const fs::path case_dir(dir);
  const std::string model_path = (case_dir / "model.onnx").string();

  LoadOptions load_options;
  load_options.tier = options.tier;
  absl::StatusOr<Model> model = Model::try_load(model_path, load_options);
  if (!model.ok()) {
    // Operators or element types sofie lacks: skipped, naming all of them (the loader stops at the first).
    absl::StatusOr<ModelSummary> summary = inspect_model_file(model_path);
    if (summary.ok()) {
      std::string reason = unsupported_reason(*summary);
      if (!reason.empty()) return finish(result, CaseStatus::kSkip, reason);
    }
    return fail_or_skip(result, absl::Status(model.status().code(), without_model_path(model.status(), model_path)),
                        "load failed");
  }

  // Random generators: the expected outputs come from another generator and cannot be reproduced.
  if (absl::StatusOr<ModelSummary> summary = inspect_model_file(model_path); summary.ok()) {
    std::vector<std::string> random_ops;
    for (const OpUse& op : summary->ops) {
      if (op.domain.empty() && (op.op_type.rfind("Random", 0) == 0 || op.op_type == "Bernoulli" ||
                                op.op_type == "Multinomial")) {
        random_ops.push_back(op.op_type);
      }
    }
    if (!random_ops.empty()) {
      return finish(result, CaseStatus::kSkip,
                    absl::StrCat("random operators (", absl::StrJoin(random_ops, ", "),
                                 "): the expected outputs come from another generator"));
    }
  }

  const std::vector<fs::path> data_sets = data_set_dirs(case_dir);
  if (data_sets.empty()) return finish(result, CaseStatus::kFail, "no test_data_set_N folders");
  const size_t num_inputs = model->inputs().size();
  const size_t num_outputs = model->outputs().size();

  for (const fs::path& data_dir : data_sets) {
    const std::string where = data_dir.filename().string();
    std::vector<Tensor> inputs;
    std::vector<TensorView> input_views;
    const std::vector<fs::path> input_files = numbered_files(data_dir, "input");
    if (input_files.size() != num_inputs) {
      return finish(result, CaseStatus::kFail,
                    absl::StrCat(where, " has ", input_files.size(), " input files, the model has ", num_inputs,
                                 " inputs"));
    }
    for (const fs::path& file : input_files) {
      absl::StatusOr<NamedTensor> t = read_tensor_file(file.string());
      if (!t.ok()) return fail_or_skip(result, t.status(), absl::StrCat(where, "/", file.filename().string()));
      inputs.push_back(std::move(t->tensor));
    }
    for (const Tensor& t : inputs) input_views.push_back(t.view());

    absl::StatusOr<std::vector<Tensor>> outputs = model->try_infer(input_views);
    if (!outputs.ok()) return fail_or_skip(result, outputs.status(), absl::StrCat("inference failed on ", where));
    const std::vector<fs::path> expected_files = numbered_files(data_dir, "output");
    if (expected_files.size() != num_outputs || outputs->size() != num_outputs) {
      return finish(result, CaseStatus::kFail,
                    absl::StrCat(where, " has ", expected_files.size(), " expected outputs, the model ",
                                 num_outputs, " outputs and inference returned ", outputs->size()));
    }
    for (size_t k = 0; k < num_outputs; ++k) {
      absl::StatusOr<NamedTensor> expected = read_tensor_file(expected_files[k].string());
      if (!expected.ok()) {
        return fail_or_skip(result, expected.status(),
                            absl::StrCat(where, "/", expected_files[k].filename().string()));
      }
      absl::Status same =
          compare_tensors(model->outputs()[k].name, (*outputs)[k].view(), expected->tensor.view(), options);
      if (!same.ok()) {
        const std::string suffix = data_sets.size() > 1 ? absl::StrCat(" in ", where) : "";
        return finish(result, CaseStatus::kFail, absl::StrCat(same.message(), suffix));
      }
    }
    ++result.data_sets;
  }
  return finish(result, CaseStatus::kPass);
}

}  // namespace

const char* case_status_name(CaseStatus status) {
  switch (status) {
    case CaseStatus::kPass: return "PASS";
    case CaseStatus::kFail: return "FAIL";
    case CaseStatus::kSkip: return "SKIP";
  }
  return "FAIL";
}

std::string format_case_line(const CaseResult& r) {
  if (r.message.empty()) return absl::StrCat(case_status_name(r.status), " ", r.name);
  return absl::StrCat(case_status_name(r.status), " ", r.name, ": ", r.message);
}

std::string format_summary(const CheckSummary& s) {
  return absl::StrCat(s.passed, " passed, ", s.failed, " failed, ", s.skipped, " skipped");
}

bool is_case_dir(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "model.onnx", ec);
}

absl::StatusOr<std::vector<FoundCase>> find_cases(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return absl::NotFoundError(absl::StrCat("'", path, "' does not exist"));
  if (is_case_dir(path)) {
    fs::path p = fs::path(path).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();  // "dir/" -> "dir"
    std::string name = p.filename().string();
    if (name.empty() || name == "." || name == "..") {
      name = fs::weakly_canonical(fs::absolute(p, ec), ec).filename().string();
    }
    return std::vector<FoundCase>{{name, path}};
  }
  if (!fs::is_directory(path, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is neither a test case folder (with model.onnx) nor a folder of them"));
  }
  std::vector<FoundCase> cases;
  // Runfiles trees and test-suite checkouts are often symlink farms: follow directory links.
  fs::recursive_directory_iterator it(path, fs::directory_options::follow_directory_symlink, ec), end;
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot list '", path, "': ", ec.message()));
  for (; it != end; it.increment(ec)) {
    if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot list '", path, "': ", ec.message()));
    std::error_code dir_ec;
    if (!it->is_directory(dir_ec) || !is_case_dir(it->path().string())) continue;
    cases.push_back({it->path().lexically_relative(path).generic_string(), it->path().string()});
    it.disable_recursion_pending();  // a case's own folders are data sets, not cases
  }
  std::sort(cases.begin(), cases.end(), [](const FoundCase& a, const FoundCase& b) { return a.name < b.name; });
  return cases;
}

CaseResult check_case(const std::string& dir, const std::string& name, const CheckOptions& options) {
  try {
    return check_case_unguarded(dir, name, options);
  } catch (const std::exception& e) {
    CaseResult r;
    r.name = name;
    r.dir = dir;
    r.status = CaseStatus::kFail;
    r.message = absl::StrCat("internal error: ", e.what());
    return r;
  }
}

absl::StatusOr<CheckSummary> check_paths(const std::vector<std::string>& paths, const CheckOptions& options,
                                         const std::function<void(const CaseResult&)>& on_case) {
  // Find every case first: a bad path is reported before anything runs.
  std::vector<std::vector<FoundCase>> found;
  for (const std::string& path : paths) {
    absl::StatusOr<std::vector<FoundCase>> cases = find_cases(path);
    if (!cases.ok()) return cases.status();
    if (cases->empty()) {
      return absl::NotFoundError(absl::StrCat("no test cases (folders with a model.onnx) under '", path, "'"));
    }
    found.push_back(std::move(*cases));
  }
  CheckSummary summary;
  for (const std::vector<FoundCase>& cases : found) {
    for (const FoundCase& c : cases) {
      CaseResult r = check_case(c.dir, c.name, options);
      switch (r.status) {
        case CaseStatus::kPass: ++summary.passed; break;
        case CaseStatus::kFail: ++summary.failed; break;
        case CaseStatus::kSkip: ++summary.skipped; break;
      }
      if (on_case) on_case(r);
      summary.cases.push_back(std::move(r));
    }
  }
  return summary;
}

absl::Status compare_tensors(const std::string& name, const TensorView& got, const TensorView& expected,
                             const CheckOptions& options) {
  if (got.dtype != expected.dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": got dtype ", dtype_name(got.dtype), ", expected ", dtype_name(expected.dtype)));
  }
  if (got.shape != expected.shape) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": got shape ", dims_string(got.shape), ", expected ",
                                                   dims_string(expected.shape)));
  }
  const int64_t n = expected.numel();
  int64_t bad = 0;
  int64_t worst = -1;
  double worst_badness = -1;  // how far out of tolerance, in units of the tolerance
  double worst_diff = 0, worst_tolerance = 0;
  const bool floating = is_float(expected.dtype);
  for (int64_t i = 0; i < n; ++i) {
    double badness = 0, diff = 0, tolerance = 0;
    if (floating) {
      const double a = float_at(got, i), b = float_at(expected, i);
      if (a == b || (std::isnan(a) && std::isnan(b))) continue;
      diff = std::fabs(a - b);
      tolerance = options.atol + options.rtol * std::fabs(b);
      if (std::isfinite(diff) && diff <= tolerance) continue;
      badness = std::isfinite(diff) ? (tolerance > 0 ? diff / tolerance : diff)
                                    : std::numeric_limits<double>::infinity();
    } else {
      const int64_t a = int_at(got, i), b = int_at(expected, i);
      if (a == b) continue;
      diff = std::fabs(static_cast<double>(a) - static_cast<double>(b));
      badness = diff;
    }
    ++bad;
    if (badness > worst_badness) {
      worst_badness = badness;
      worst = i;
      worst_diff = diff;
      worst_tolerance = tolerance;
    }
  }
  if (bad == 0) return absl::OkStatus();

  std::string got_s, expected_s, detail;
  if (floating) {
    got_s = format_float(float_at(got, worst), got.dtype);
    expected_s = format_float(float_at(expected, worst), expected.dtype);
    detail = absl::StrFormat(", |diff| %.3g > tolerance %.3g", worst_diff, worst_tolerance);
  } else if (expected.dtype == DType::kBool) {
    got_s = int_at(got, worst) ? "true" : "false";
    expected_s = int_at(expected, worst) ? "true" : "false";
  } else {
    got_s = absl::StrCat(int_at(got, worst));
    expected_s = absl::StrCat(int_at(expected, worst));
  }
  return absl::InvalidArgumentError(absl::StrCat(name, " worst element at ", index_string(worst, expected.shape),
                                                 ": got ", got_s, " expected ", expected_s, " (shape ",
                                                 dims_string(expected.shape), ", ", bad, " of ", n,
                                                 " elements differ", detail, ")"));
}

}  // namespace sofie::tools
