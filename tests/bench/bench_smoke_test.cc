// `sofie bench` end to end on the mlp benchmark model with both tiers (its JSON line parsed and its fields
// checked for sanity, never for speed), its command-line errors, and the benchmark models against their
// PyTorch reference outputs under the interpreter and the JIT.
#include <catch2/catch.hpp>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/tools/test_util.h"
#include "tools/check.h"

namespace sofie {
namespace {

using tools::testing::runfile;

using Result = tools::testing::SofieRun;

Result sofie(const std::vector<std::string>& args) {
  Result r = tools::testing::run_sofie(args);
  REQUIRE(r.exit_code != -2);
  return r;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A strict JSON reader, enough to hold `sofie bench --json` to the grammar: objects, arrays, strings
// (escapes kept undecoded but checked), numbers, true/false/null. Throws on anything else.
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  double number = 0;
  std::string text;                // kString (raw), kBool ("true"/"false")
  std::vector<std::string> keys;   // kObject, parallel to items
  std::vector<Json> items;         // kArray elements or kObject values

  const Json* find(const std::string& key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}

  Json parse_document() {
    Json v = value();
    skip_space();
    if (i_ != s_.size()) error("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void error(const std::string& what) {
    throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(i_));
  }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) error(std::string("expected '") + c + "'");
  }
  bool literal(const char* word) {
    const size_t n = std::strlen(word);
    if (s_.compare(i_, n, word) != 0) return false;
    i_ += n;
    return true;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x20) error("control character in a string");
      if (c == '\\') {
        if (++i_ >= s_.size() || !std::strchr("\"\\/bfnrtu", s_[i_])) error("bad escape");
        out += '\\';
      }
      out += s_[i_++];
    }
    if (i_ >= s_.size()) error("unterminated string");
    ++i_;
    return out;
  }
  double number() {
    const size_t start = i_;
    auto digits = [&] {
      const size_t d = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ == d) error("digits expected");
    };
    if (s_[i_] == '-') ++i_;
    digits();
    if (i_ < s_.size() && s_[i_] == '.') ++i_, digits();
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      digits();
    }
    return std::strtod(s_.substr(start, i_ - start).c_str(), nullptr);
  }
  Json value() {
    skip_space();
    if (i_ >= s_.size()) error("value expected");
    Json v;
    const char c = s_[i_];
    if (c == '{') {
      v.kind = Json::kObject;
      ++i_;
      if (eat('}')) return v;
      do {
        skip_space();
        v.keys.push_back(string());
        expect(':');
        v.items.push_back(value());
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      v.kind = Json::kArray;
      ++i_;
      if (eat(']')) return v;
      do {
        v.items.push_back(value());
      } while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.kind = Json::kString;
      v.text = string();
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      v.kind = Json::kNumber;
      v.number = number();
    } else if (literal("true") || literal("false")) {
      v.kind = Json::kBool;
    } else if (literal("null")) {
      v.kind = Json::kNull;
    } else {
      error("unexpected character");
    }
    return v;
  }

  const std::string& s_;
  size_t i_ = 0;
};

const std::string kMlp = "tools/bench/models/mlp";

// One `sofie bench --json` run on the mlp at batch 1; returns the parsed object after the common checks.
Json bench_mlp_json(const std::string& tier) {
  Result r = sofie({"bench", runfile(kMlp + "/model.onnx"), "--shape", "input=1,7", "--tier", tier, "--seconds",
                    "0.2", "--json"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  // Exactly one line, and it is one JSON object.
  REQUIRE(!r.out.empty());
  REQUIRE(r.out.back() == '\n');
  REQUIRE(r.out.find('\n') == r.out.size() - 1);
  Json j;
  REQUIRE_NOTHROW(j = JsonParser(r.out).parse_document());
  REQUIRE(j.kind == Json::kObject);

  auto number = [&](const std::string& key) {
    INFO("field " << key);
    const Json* v = j.find(key);
    REQUIRE(v != nullptr);
    REQUIRE(v->kind == Json::kNumber);
    CHECK(std::isfinite(v->number));
    return v->number;
  };
  const double median = number("median_us"), lo = number("min_us"), hi = number("max_us");
  CHECK(median > 0);
  CHECK(lo > 0);
  CHECK(lo <= median);
  CHECK(median <= hi);
  CHECK(hi < 1e6);  // a second per mlp inference would be a broken timer, not a slow machine
  const double rss = number("peak_rss_mb");
  CHECK(rss > 1);
  CHECK(rss < 64 * 1024);
  CHECK(number("compile_ms") >= 0);
  CHECK(number("calls") >= 3);
  CHECK(number("chunks") >= 3);
  const Json* served = j.find("tier");
  REQUIRE(served != nullptr);
  REQUIRE(served->kind == Json::kString);
  const Json* shapes = j.find("shapes");
  REQUIRE(shapes != nullptr);
  REQUIRE(shapes->kind == Json::kObject);
  const Json* input = shapes->find("input");
  REQUIRE(input != nullptr);
  REQUIRE(input->kind == Json::kArray);
  REQUIRE(input->items.size() == 2);
  CHECK(input->items[0].number == 1);
  CHECK(input->items[1].number == 7);
  return j;
}

TEST_CASE("sofie bench --json with the interpreter") {
  const Json j = bench_mlp_json("interp");
  CHECK(j.find("tier")->text == "interp");
  CHECK(j.find("tier_requested")->text == "interp");
  CHECK(j.find("compile_ms")->number == 0);
  CHECK(j.find("compiled_calls")->number == 0);
  CHECK(j.find("interpreted_calls")->number == j.find("calls")->number);
}

TEST_CASE("sofie bench --json with the JIT") {
  const Json j = bench_mlp_json("jit");
  CHECK(j.find("tier")->text == "jit");
  CHECK(j.find("tier_requested")->text == "jit");
  CHECK(j.find("jit_state")->text == "compiled");
  CHECK(j.find("compile_ms")->number > 0);
  CHECK(j.find("emitted_steps")->number > 0);
  CHECK(j.find("code_bytes")->number > 0);
  CHECK(j.find("compiled_calls")->number == j.find("calls")->number);
  CHECK(j.find("interpreted_calls")->number == 0);
}

TEST_CASE("sofie bench prints its text report, with --dim for the batch") {
  Result r = sofie({"bench", runfile(kMlp + "/model.onnx"), "--dim", "batch=4", "--seconds", "0.05"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "input 'input': float32 [4,7] random (seed "));
  CHECK(has(r.out, "tier: interp requested, interp served the timed calls"));
  CHECK(has(r.out, "time: median "));
  CHECK(has(r.out, " us per inference; chunk means "));
  CHECK(has(r.out, "peak RSS: "));
  CHECK(r.err.empty());
}

TEST_CASE("sofie bench: command-line and model errors") {
  struct Bad {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::string model = runfile(kMlp + "/model.onnx");
  const std::vector<Bad> bad = {
      {{"bench"}, 2, "sofie: bench: missing MODEL"},
      {{"bench", model, "--seconds", "0"}, 2, "sofie: --seconds must be a positive number"},
      {{"bench", model, "--seconds", "soon"}, 2, "sofie: --seconds wants a number, got 'soon'"},
      {{"bench", model, "--tier", "turbo"}, 2, "sofie: unknown tier 'turbo'"},
      {{"bench", model, "--shape", "input=1,x"}, 2, "sofie: --shape wants an integer, got 'x'"},
      {{"bench", model, "--bogus"}, 2, "sofie: unknown flag '--bogus' for 'sofie bench'"},
      {{"bench", model}, 1, "sofie: input 'input' has dynamic shape [batch,7]: set it with --shape input=DIMS or "
                            "--dim batch=N"},
      {{"bench", model, "--shape", "x=1,7"}, 1, "sofie: --shape x=1,7: the model has no input 'x'"},
      {{"bench", model, "--shape", "input=1,8"}, 1, "declares input 'input' as [batch,7]"},
      {{"bench", "no/such/model.onnx"}, 1, "sofie: cannot load 'no/such/model.onnx'"},
  };
  for (const Bad& b : bad) {
    Result r = sofie(b.args);
    std::string command;
    for (const std::string& a : b.args) command += a + " ";
    INFO("sofie " << command << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == b.exit_code);
    CHECK(has(r.err, b.message));
    CHECK(r.out.empty());
  }
}

// The five benchmark models against PyTorch's outputs (batch 1 and 3), interpreter and JIT.
TEST_CASE("the benchmark models match their PyTorch references under both tiers") {
  for (const Tier tier : {Tier::kInterp, Tier::kJit}) {
    tools::CheckOptions options;
    options.tier = tier;
    absl::StatusOr<tools::CheckSummary> summary = tools::check_paths({runfile("tools/bench/models")}, options);
    REQUIRE(summary.ok());
    std::string lines;
    for (const tools::CaseResult& c : summary->cases) lines += tools::format_case_line(c) + "\n";
    INFO("tier " << tier_name(tier) << "\n" << lines);
    CHECK(summary->passed == 5);
    CHECK(summary->failed == 0);
    CHECK(summary->skipped == 0);
    for (const tools::CaseResult& c : summary->cases) CHECK(c.data_sets == 2);
  }
}

}  // namespace
}  // namespace sofie
