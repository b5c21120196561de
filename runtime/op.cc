#include "runtime/op.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace sofie {

absl::Status node_error(const Node& node, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(node.describe(), ": ", message));
}

const Attribute* Attrs::get(const std::string& name, Attribute::Type type) {
  const Attribute* a = node_.find_attribute(name);
  if (a == nullptr) return nullptr;
  if (a->type != type) {
    fail(absl::StrCat("attribute '", name, "' is ", attribute_type_name(a->type), ", expected ",
                      attribute_type_name(type)));
    return nullptr;
  }
  return a;
}

void Attrs::fail(const std::string& message) {
  if (status_.ok()) status_ = node_error(node_, message);
}

int64_t Attrs::get_int(const std::string& name, int64_t default_value) {
  const Attribute* a = get(name, Attribute::Type::kInt);
  return a ? a->i : default_value;
}

float Attrs::get_float(const std::string& name, float default_value) {
  const Attribute* a = get(name, Attribute::Type::kFloat);
  return a ? a->f : default_value;
}

std::string Attrs::get_string(const std::string& name, const std::string& default_value) {
  const Attribute* a = get(name, Attribute::Type::kString);
  return a ? a->s : default_value;
}

std::vector<int64_t> Attrs::get_ints(const std::string& name, std::vector<int64_t> default_value) {
  const Attribute* a = get(name, Attribute::Type::kInts);
  return a ? a->ints : default_value;
}

std::vector<float> Attrs::get_floats(const std::string& name, std::vector<float> default_value) {
  const Attribute* a = get(name, Attribute::Type::kFloats);
  return a ? a->floats : default_value;
}

int64_t Attrs::require_int(const std::string& name) {
  if (!has(name)) {
    fail(absl::StrCat("required attribute '", name, "' is missing"));
    return 0;
  }
  return get_int(name, 0);
}

const Tensor* Attrs::get_tensor(const std::string& name) {
  const Attribute* a = get(name, Attribute::Type::kTensor);
  return a ? &a->t : nullptr;
}

void InferContext::set_output(int i, DType dtype, SymShape shape) {
  if (!has_output(i)) return;
  Value& v = values_[node_.outputs[i]];
  v.dtype = dtype;
  v.shape = std::move(shape);
}

void InferContext::set_output_constant(int i, Tensor value) {
  if (!has_output(i)) return;
  Value& v = values_[node_.outputs[i]];
  v.shape = SymShape::of(value.shape());
  v.constant = std::make_shared<const Tensor>(std::move(value));
}

absl::StatusOr<TensorView*> RunContext::allocate_output(int i, Dims shape) const {
  if (!has_output(i)) return outputs[i];
  TensorView& out = *outputs[i];
  auto n = checked_num_elements(shape);
  if (!n.ok()) return error(absl::StrCat("output ", i, ": ", n.status().message()));
  if (allocator == nullptr) return absl::InternalError(absl::StrCat(node->describe(), ": no allocator for a dynamic output"));
  out.shape = std::move(shape);
  out.data = allocator->allocate(static_cast<size_t>(*n) * dtype_size(out.dtype));
  return &out;
}

OpRegistry& OpRegistry::global() {
  static OpRegistry* registry = new OpRegistry();
  return *registry;
}

void OpRegistry::add(OpSchema schema) {
  for (const auto& s : schemas_) {
    if (s->domain == schema.domain && s->op_type == schema.op_type &&
        s->since_version <= schema.until_version && schema.since_version <= s->until_version) {
      std::fprintf(stderr, "sofie: operator %s (domain '%s') registered twice for overlapping opsets [%d,%d] and [%d,%d]\n",
                   schema.op_type.c_str(), schema.domain.c_str(), s->since_version, s->until_version,
                   schema.since_version, schema.until_version);
      std::abort();
    }
  }
  schemas_.push_back(std::make_unique<OpSchema>(std::move(schema)));
}

const OpSchema* OpRegistry::find(const std::string& domain, const std::string& op_type, int opset) const {
  for (const auto& s : schemas_) {
    if (s->domain == domain && s->op_type == op_type && s->since_version <= opset && opset <= s->until_version) {
      return s.get();
    }
  }
  return nullptr;
}

std::vector<const OpSchema*> OpRegistry::versions(const std::string& domain, const std::string& op_type) const {
  std::vector<const OpSchema*> out;
  for (const auto& s : schemas_) {
    if (s->domain == domain && s->op_type == op_type) out.push_back(s.get());
  }
  return out;
}

std::vector<const OpSchema*> OpRegistry::all() const {
  std::vector<const OpSchema*> out;
  for (const auto& s : schemas_) out.push_back(s.get());
  return out;
}

OpRegistration::OpRegistration(const char* domain, const char* op_type, int since, int until, OpFactory create) {
  OpRegistry::global().add(OpSchema{domain, op_type, since, until, create});
}

}  // namespace sofie
