// The `sofie` binary end to end: exit statuses, key output lines, and clean failures on bad usage.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/tools/test_util.h"

namespace sofie::tools {
namespace {

using testing::runfile;

using Result = testing::SofieRun;

Result sofie(const std::vector<std::string>& args) {
  Result r = testing::run_sofie(args);
  REQUIRE(r.exit_code != -2);
  return r;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kMlp = "tools/models/mlp";

TEST_CASE("sofie inspect on the mlp") {
  Result r = sofie({"inspect", runfile(kMlp + "/model.onnx")});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "opsets: ai.onnx 13"));
  CHECK(has(r.out, "input   float32  [batch,7]"));
  CHECK(has(r.out, "output  float32  [batch,1]"));
  CHECK(has(r.out, "Gemm"));
  CHECK(has(r.out, "unsupported ops: none"));
}

TEST_CASE("sofie inspect names every unsupported op") {
  const std::string dir = testing::fresh_temp_dir("cli_unknown") + "/case";
  testing::write_unknown_op_case(dir);
  Result r = sofie({"inspect", dir + "/model.onnx"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "unsupported ops (2):"));
  CHECK(has(r.out, "FrobnicateXYZ (opset 13)"));
  CHECK(has(r.out, "com.example.Blorp (opset 1)"));
}

TEST_CASE("sofie run on the mlp with a given input") {
  Result r = sofie({"run", runfile(kMlp + "/model.onnx"), "--input",
                    "input=" + runfile(kMlp + "/test_data_set_1/input_0.pb"), "--repeat", "5"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "input 'input': float32 [5,7] from "));
  CHECK(has(r.out, "output 'output': float32 [5,1]"));
  CHECK(has(r.out, "  values: "));
  CHECK(has(r.out, "  checksum: sum "));
  CHECK(has(r.out, "time: median "));
  CHECK(has(r.out, " over 5 runs"));
}

TEST_CASE("sofie run with random inputs and --profile") {
  Result r = sofie({"run", runfile(kMlp + "/model.onnx"), "--dim", "batch=3", "--repeat=4", "--profile",
                    "--tier", "interp"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "input 'input': float32 [3,7] random (seed "));
  CHECK(has(r.out, "output 'output': float32 [3,1]"));
  CHECK(has(r.out, "by op type"));
  CHECK(has(r.out, "Gemm"));
  CHECK(has(r.out, "top "));

  // Same seed, same data: the printed values do not change between invocations.
  Result again = sofie({"run", runfile(kMlp + "/model.onnx"), "--dim", "batch=3", "--repeat", "0"});
  CHECK(again.exit_code == 0);
  auto values_line = [](const std::string& out) {
    const size_t at = out.find("  values: ");
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  CHECK(!values_line(r.out).empty());
  CHECK(values_line(r.out) == values_line(again.out));
  CHECK(!has(again.out, "time: median"));
}

TEST_CASE("sofie run: a dynamic input that is not given is an error naming it") {
  Result r = sofie({"run", runfile(kMlp + "/model.onnx")});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, "sofie: input 'input' has dynamic shape [batch,7]: give it with --input input=FILE"));
  CHECK(has(r.err, "--dim batch=N"));
  CHECK(r.out.empty());
  CHECK(has(r.err, "--input input=FILE"));
}

TEST_CASE("sofie check on the mlp case and on the models folder") {
  Result r = sofie({"check", runfile(kMlp)});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "PASS mlp\n"));
  CHECK(has(r.out, "1 passed, 0 failed, 0 skipped\n"));

  Result all = sofie({"check", runfile("tools/models"), "--rtol", "1e-4", "--atol=1e-6"});
  INFO(all.out << all.err);
  CHECK(all.exit_code == 0);
  CHECK(all.out == "PASS dense_net\nPASS mlp\n2 passed, 0 failed, 0 skipped\n");
}

TEST_CASE("sofie check: failures and skips set the exit status and the summary") {
  const std::string dir = testing::fresh_temp_dir("cli_check");
  testing::write_wrong_output_case(runfile(kMlp), dir + "/a_wrong", 0, 1.0f);
  testing::write_unknown_op_case(dir + "/b_unknown");
  Result r = sofie({"check", dir});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(has(r.out, "FAIL a_wrong: output worst element at [0,0]: got "));
  CHECK(has(r.out, "SKIP b_unknown: unsupported ops: FrobnicateXYZ (opset 13), com.example.Blorp (opset 1)\n"));
  CHECK(has(r.out, "0 passed, 1 failed, 1 skipped\n"));

  Result skip_only = sofie({"check", dir + "/b_unknown"});
  CHECK(skip_only.exit_code == 0);
  CHECK(has(skip_only.out, "0 passed, 0 failed, 1 skipped\n"));
}

TEST_CASE("sofie: help and bad usage") {
  Result help = sofie({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(has(help.out, "usage: sofie <command>"));
  for (const char* command : {"run", "inspect", "check"}) {
    Result r = sofie({command, "--help"});
    INFO(command);
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, std::string("usage: sofie ") + command));
  }
  CHECK(sofie({"help", "check"}).out == sofie({"check", "-h"}).out);

  struct Bad {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::string model = runfile(kMlp + "/model.onnx");
  const std::vector<Bad> bad = {
      {{}, 2, "usage: sofie <command>"},
      {{"frobnicate"}, 2, "sofie: unknown command 'frobnicate'"},
      {{"run", model, "--bogus"}, 2, "sofie: unknown flag '--bogus' for 'sofie run'"},
      {{"run"}, 2, "sofie: run: missing MODEL"},
      {{"run", model, "--repeat"}, 2, "sofie: flag '--repeat' needs a value"},
      {{"run", model, "--repeat", "many"}, 2, "sofie: --repeat wants an integer, got 'many'"},
      {{"run", model, "--tier", "fast"}, 2, "sofie: unknown tier 'fast' (expected interp, jit or auto)"},
      {{"check", model, "--tier=turbo"}, 2, "sofie: unknown tier 'turbo'"},
      {{"check", "--rtol", "x", model}, 2, "sofie: --rtol wants a number"},
      {{"inspect", "-x"}, 2, "sofie: unknown option '-x'"},
      {{"run", "no/such/model.onnx"}, 1, "sofie: cannot load 'no/such/model.onnx'"},
      {{"inspect", "no/such/model.onnx"}, 1, "sofie: cannot open"},
      {{"check", "no/such/folder"}, 1, "sofie: 'no/such/folder' does not exist"},
      {{"run", model, "--input", "nope=x.pb"}, 1, "sofie: --input nope=x.pb: the model has no input 'nope'"},
      {{"run", model, "--input", "input=no/such.npy"}, 1, "sofie: input 'input': "},
      {{"run", runfile(kMlp + "/test_data_set_0/input_0.pb")}, 1, "sofie: cannot load"},
      {{"inspect", runfile(kMlp + "/test_data_set_0/input_0.pb")}, 1, "sofie: "},
      {{"inspect", runfile(kMlp)}, 1, "is a folder, not a model file"},
  };
  for (const Bad& b : bad) {
    Result r = sofie(b.args);
    std::string command;
    for (const std::string& a : b.args) command += a + " ";
    INFO("sofie " << command << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == b.exit_code);
    CHECK(has(r.err, b.message));
  }
}

}  // namespace
}  // namespace sofie::tools
