#include "tests/cache/cache_test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "runtime/tensor_io.h"

namespace sofie::cache_testing {

std::string runfile(const std::string& path) {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* dir = std::getenv(var)) return std::string(dir) + "/sofie/" + path;
  }
  return path;
}

std::string fresh_dir(const std::string& name) {
  static std::atomic<int> counter{0};
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name + "." + std::to_string(getpid()) + "." +
                    std::to_string(counter++);
  std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot make " + dir);
  return dir;
}

std::string model_path(const std::string& model) {
  if (model == "vae_decoder") return runfile("tools/bench/models/vae_decoder/model.onnx");
  return runfile("tools/models/" + model + "/model.onnx");
}

Tensor model_input(const std::string& model, int data_set) {
  const std::string base = model_path(model);
  const std::string dir = base.substr(0, base.find_last_of('/'));
  auto t = read_tensor_file(dir + "/test_data_set_" + std::to_string(data_set) + "/input_0.pb");
  if (!t.ok()) throw std::runtime_error(std::string(t.status().message()));
  return t->tensor;
}

std::shared_ptr<const Plan> build_plan(const Model& model, const std::vector<TensorView>& inputs) {
  std::shared_ptr<const Graph> graph(std::shared_ptr<const Graph>(), &model.graph());  // non-owning
  uint64_t valued = 0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    uint64_t wanted = 0;
    auto plan = Plan::build(graph, inputs, valued, &wanted);
    if (plan.ok()) return *plan;
    if (wanted == 0) throw std::runtime_error(std::string(plan.status().message()));
    valued |= wanted;
  }
  throw std::runtime_error("no plan");
}

Running start_process(const std::string& program, const std::vector<std::string>& args, const std::string& tag) {
  static std::atomic<int> counter{0};
  Running r;
  const std::string base = fresh_dir("proc_" + tag + std::to_string(counter++));
  r.out_path = base + "/out";
  r.err_path = base + "/err";
  std::vector<std::string> all = {program};
  all.insert(all.end(), args.begin(), args.end());
  r.pid = fork();
  if (r.pid == 0) {
    int out = open(r.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(r.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  return r;
}

ProcessResult wait_process(const Running& r) {
  ProcessResult result;
  int status = 0;
  waitpid(r.pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_bytes(r.out_path);
  result.err = read_bytes(r.err_path);
  return result;
}

ProcessResult run_process(const std::string& program, const std::vector<std::string>& args) {
  return wait_process(start_process(program, args, "p"));
}

std::string helper_path() { return runfile("tests/cache/cache_helper"); }

std::string field(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

namespace {
std::vector<std::string> files(const std::string& root, bool temps) {
  std::vector<std::string> out;
  const std::string dir = root + "/v1";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    const bool is_temp = name.rfind(".tmp.", 0) == 0;
    const bool is_entry = name.size() > 6 && name.compare(name.size() - 6, 6, ".entry") == 0 && !is_temp;
    if (temps ? is_temp : is_entry) out.push_back(dir + "/" + name);
  }
  closedir(d);
  return out;
}
}  // namespace

std::vector<std::string> entry_files(const std::string& root) { return files(root, false); }
std::vector<std::string> temp_files(const std::string& root) { return files(root, true); }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

bool llvm_mapped() {
  const std::string maps = read_bytes("/proc/self/maps");
  return maps.find("libLLVM") != std::string::npos || maps.find("libclang") != std::string::npos ||
         maps.find("libsofie_compiler") != std::string::npos;
}

}  // namespace sofie::cache_testing
