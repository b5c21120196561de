#include "cache/key.h"

#include <cpuid.h>
#include <xxhash.h>

#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/graph.h"
#include "runtime/plan.h"

namespace sofie::cache {

std::string Digest128::hex() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return buf;
}

Digest128 hash128(const void* data, size_t size) {
  const XXH128_hash_t h = XXH3_128bits(data, size);
  return Digest128{h.low64, h.high64};
}

uint64_t hash64(const void* data, size_t size) { return XXH3_64bits(data, size); }

namespace {

// Little-endian, length-prefixed fields: no two different inputs give the same bytes.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void u8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void f32(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    u64(bits);
  }
  void str(const std::string& s) {
    u64(s.size());
    out_->append(s);
  }
  void tag(char c) { u8(static_cast<uint8_t>(c)); }
  void digest(const Digest128& d) {
    u64(d.low);
    u64(d.high);
  }

 private:
  std::string* out_;
};

void write_dims(Writer& w, absl::Span<const int64_t> dims) {
  w.u64(dims.size());
  for (int64_t d : dims) w.i64(d);
}

void write_tensor(Writer& w, const Tensor& t) {
  w.tag('T');
  w.u8(static_cast<uint8_t>(t.dtype()));
  write_dims(w, t.shape());
  w.digest(hash128(t.data(), t.nbytes()));
}

void write_symshape(Writer& w, const SymShape& s) {
  w.u8(s.rank_known() ? 1 : 0);
  if (!s.rank_known()) return;
  w.u64(static_cast<uint64_t>(s.rank()));
  for (const Dim& d : s.dims()) {
    w.i64(d.value);
    w.str(d.symbol);
  }
}

void write_graph(Writer& w, const Graph& g);

void write_attribute(Writer& w, const Attribute& a) {
  w.tag('A');
  w.str(a.name);
  w.u8(static_cast<uint8_t>(a.type));
  switch (a.type) {
    case Attribute::Type::kFloat: w.f32(a.f); break;
    case Attribute::Type::kInt: w.i64(a.i); break;
    case Attribute::Type::kString: w.str(a.s); break;
    case Attribute::Type::kTensor: write_tensor(w, a.t); break;
    case Attribute::Type::kGraph:
      w.u8(a.g ? 1 : 0);
      if (a.g) write_graph(w, *a.g);
      break;
    case Attribute::Type::kFloats:
      w.u64(a.floats.size());
      for (float f : a.floats) w.f32(f);
      break;
    case Attribute::Type::kInts:
      w.u64(a.ints.size());
      for (int64_t i : a.ints) w.i64(i);
      break;
    case Attribute::Type::kStrings:
      w.u64(a.strings.size());
      for (const std::string& s : a.strings) w.str(s);
      break;
    case Attribute::Type::kTensors:
      w.u64(a.tensors.size());
      for (const Tensor& t : a.tensors) write_tensor(w, t);
      break;
    case Attribute::Type::kGraphs:
      w.u64(a.graphs.size());
      for (const auto& sg : a.graphs) {
        w.u8(sg ? 1 : 0);
        if (sg) write_graph(w, *sg);
      }
      break;
    case Attribute::Type::kUndefined: break;
  }
}

void write_graph(Writer& w, const Graph& g) {
  w.tag('G');
  w.u64(g.opsets().size());
  for (const auto& [domain, version] : g.opsets()) {
    w.str(domain);
    w.i64(version);
  }
  w.u64(g.values().size());
  for (const Value& v : g.values()) {
    w.tag('V');
    w.str(v.name);
    w.u8(static_cast<uint8_t>(v.dtype));
    write_symshape(w, v.shape);
    w.i64(v.producer);
    w.u8(static_cast<uint8_t>((v.is_graph_input ? 1 : 0) | (v.is_initializer ? 2 : 0) | (v.is_outer_scope ? 4 : 0)));
    w.u8(v.constant ? 1 : 0);
    if (v.constant) write_tensor(w, *v.constant);
  }
  w.u64(g.nodes().size());
  for (const Node& n : g.nodes()) {
    w.tag('N');
    w.str(n.name);
    w.str(n.op_type);
    w.str(n.domain);
    w.i64(n.opset);
    w.u64(n.inputs.size());
    for (ValueId v : n.inputs) w.i64(v);
    w.u64(n.outputs.size());
    for (ValueId v : n.outputs) w.i64(v);
    w.u64(n.attributes.size());
    for (const Attribute& a : n.attributes) write_attribute(w, a);
    w.u64(n.implicit_inputs.size());
    for (ValueId v : n.implicit_inputs) w.i64(v);
    w.u64(n.implicit_names.size());
    for (const std::string& s : n.implicit_names) w.str(s);
  }
  w.u64(g.inputs().size());
  for (ValueId v : g.inputs()) w.i64(v);
  w.u64(g.outputs().size());
  for (ValueId v : g.outputs()) w.i64(v);
}

uint32_t cpuid_reg(unsigned leaf, unsigned subleaf, int reg, unsigned max_leaf) {
  if (leaf > max_leaf) return 0;
  unsigned r[4] = {0, 0, 0, 0};
  __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
  return r[reg];
}

std::string make_fingerprint() {
  enum { A, B, C, D };
  unsigned max_leaf = 0, b = 0, c = 0, d = 0;
  __cpuid(0, max_leaf, b, c, d);
  char vendor[13];
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  vendor[12] = 0;
  for (int i = 0; i < 12; ++i) {
    if (vendor[i] < 32 || vendor[i] > 126) vendor[i] = '?';
  }
  unsigned max_ext = 0;
  __cpuid(0x80000000u, max_ext, b, c, d);
  const uint32_t fms = cpuid_reg(1, 0, A, max_leaf) & ~0xfu;  // family and model; no stepping
  const uint32_t f1c = cpuid_reg(1, 0, C, max_leaf), f1d = cpuid_reg(1, 0, D, max_leaf);
  const uint32_t f7b = cpuid_reg(7, 0, B, max_leaf), f7c = cpuid_reg(7, 0, C, max_leaf);
  const uint32_t f7d = cpuid_reg(7, 0, D, max_leaf), f71a = cpuid_reg(7, 1, A, max_leaf);
  const uint32_t e1c = cpuid_reg(0x80000001u, 0, C, max_ext), e1d = cpuid_reg(0x80000001u, 0, D, max_ext);
  const uint32_t fdc1a = cpuid_reg(0xd, 1, A, max_leaf);  // xsaveopt/xsavec/xsaves
  uint64_t xcr0 = 0;
  if (f1c & (1u << 27)) {  // OSXSAVE: the OS saves the extended registers LLVM checks for AVX/AVX-512
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (uint64_t{hi} << 32) | lo;
  }
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "x86-64 %s fms=%08x 1c=%08x 1d=%08x 7b=%08x 7c=%08x 7d=%08x 71a=%08x e1c=%08x e1d=%08x dc1a=%08x "
                "xcr0=%llx",
                vendor, fms, f1c, f1d, f7b, f7c, f7d, f71a, e1c, e1d, fdc1a, static_cast<unsigned long long>(xcr0));
  return buf;
}

}  // namespace

const std::string& host_cpu_fingerprint() {
  static const std::string* fp = new std::string(make_fingerprint());
  return *fp;
}

std::string canonical_graph_bytes(const Graph& graph) {
  std::string out;
  Writer w(&out);
  write_graph(w, graph);
  return out;
}

std::string canonical_plan_bytes(const Plan& plan) {
  std::string out;
  Writer w(&out);
  w.tag('P');
  w.u64(plan.steps_hash());
  w.u64(plan.steps().size());
  for (const Plan::Step& s : plan.steps()) w.i64(s.node);
  w.u64(plan.slots().size());
  for (const Plan::Slot& s : plan.slots()) {
    w.u8(static_cast<uint8_t>(s.dtype));
    w.u8(static_cast<uint8_t>(s.storage));
    w.u64(s.shape.size());
    w.i64(s.alias_of);
    w.i64(s.index);
    // No dims: the code never compiles in a plan's dims or plan-time constants (jit/codegen.cc); the graph
    // part of the key covers the load-time constants and the static dims. So every N and E shares a key.
  }
  // A fixed layout's arena offsets are literals in the code (steps_hash covers them too; spelt out here so
  // that the full-key comparison of a hit does not rest on a 64-bit hash).
  w.u8(plan.fixed_layout() ? 1 : 0);
  if (plan.fixed_layout()) {
    for (const Plan::Slot& s : plan.slots()) {
      if (s.storage == Plan::Storage::kArena) w.u64(s.offset);
    }
  }
  return out;
}

namespace {
// Header values are single-line; anything else would make the header ambiguous.
std::string one_line(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c == '\n' || c == '\0') c = ' ';
  }
  return out;
}
}  // namespace

CacheKey make_key(const Graph& graph, const Plan& plan, const CompileIdentity& identity) {
  CacheKey key;
  key.bytes = absl::StrCat("sofie-cache-key 1\n", "codegen=", identity.codegen_version, "\n",
                           "kernel_abi=", identity.kernel_abi_version, "\n",
                           "compiled_abi=", identity.compiled_abi_version, "\n",
                           "compiler=", one_line(identity.compiler), "\n", "cpu=", one_line(identity.cpu), "\n",
                           "options=", one_line(identity.options), "\n");
  key.bytes.push_back('\0');
  key.bytes += canonical_graph_bytes(graph);
  key.bytes += canonical_plan_bytes(plan);
  key.digest = hash128(key.bytes);
  return key;
}

std::string key_header_field(const std::string& key_bytes, const std::string& name) {
  const size_t end = key_bytes.find('\0');
  if (end == std::string::npos) return "";
  const std::string header = key_bytes.substr(0, end);
  const std::string needle = "\n" + name + "=";
  const size_t at = header.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = at + needle.size();
  const size_t stop = header.find('\n', begin);
  return header.substr(begin, stop == std::string::npos ? std::string::npos : stop - begin);
}

std::string shape_class(const Graph& graph, const Plan& plan) {
  std::vector<std::string> parts;
  for (ValueId v : graph.inputs()) {
    const Value& value = graph.value(v);
    const Plan::Slot& slot = plan.slots()[v];
    std::vector<std::string> dims;
    for (size_t d = 0; d < slot.shape.size(); ++d) {
      const bool symbolic = value.shape.rank_known() && static_cast<size_t>(value.shape.rank()) == slot.shape.size() &&
                            !value.shape[d].is_known();
      if (symbolic && value.shape[d].is_symbol()) {
        dims.push_back(value.shape[d].symbol);
      } else if (symbolic) {
        dims.push_back("?");
      } else {
        dims.push_back(absl::StrCat(slot.shape[d]));
      }
    }
    parts.push_back(absl::StrCat(value.name, "[", absl::StrJoin(dims, ","), "]"));
  }
  return absl::StrJoin(parts, " ");
}

}  // namespace sofie::cache
