// Comparisons (Equal, Less, LessOrEqual, Greater, GreaterOrEqual: numeric or bool in, bool out), logic
// (And, Or, Xor on bool), BitShift (uint8) and Where (bool condition, any dtype), all with numpy
// (multidirectional) broadcasting through ops/broadcast.h. bool tensors are one byte per element, 0 or 1.
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ops/broadcast.h"
#include "ops/op_util.h"
#include "runtime/op.h"

namespace sofie::ops {
namespace {

enum class Compare { kEqual, kLess, kLessOrEqual, kGreater, kGreaterOrEqual };
enum class Logic { kAnd, kOr, kXor };

struct LoopParams2 : OpParams {
  BroadcastLoop<2> loop;
};

absl::Status infer_broadcast(InferContext& ctx, int count, DType out_dtype) {
  auto shape = broadcast_inputs_symbolic(ctx, 0, count);
  if (!shape.ok()) return shape.status();
  ctx.set_output(0, out_dtype, *std::move(shape));
  return absl::OkStatus();
}

absl::Status plan_two(ReshapeContext& ctx) {
  auto out = broadcast_inputs(ctx, 0, 2);
  if (!out.ok()) return out.status();
  auto& p = ctx.make_params<LoopParams2>();
  SOFIE_RETURN_IF_ERROR(plan_broadcast_inputs<2>(ctx, {0, 1}, *out, p.loop));
  ctx.set_output_shape(0, *std::move(out));
  return absl::OkStatus();
}

// Calls f(T{}) with the element type of a comparison input: bool data is read as its bytes.
template <typename F>
void visit_comparable(DType dtype, F&& f) {
  if (dtype == DType::kBool) {
    f(uint8_t{});
  } else {
    visit_numeric(dtype, f);
  }
}

// ---------------------------------------------------------------------------------------------------------

class CompareOp : public Op {
 public:
  explicit CompareOp(Compare kind) : kind_(kind) {}

  template <Compare kKind>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    SOFIE_RETURN_IF_ERROR(reject_legacy_broadcast_attrs(node));
    return std::unique_ptr<Op>(std::make_unique<CompareOp>(kKind));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    if (kind_ == Compare::kEqual) {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64,
                                                       DType::kInt8, DType::kUInt8, DType::kBool}));
    } else {
      SOFIE_RETURN_IF_ERROR(check_input_dtype(
          ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8, DType::kUInt8}));
    }
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    return infer_broadcast(ctx, 2, DType::kBool);
  }

  absl::Status reshape(ReshapeContext& ctx) const override { return plan_two(ctx); }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<LoopParams2>().loop;
    if (p.total == 0) return absl::OkStatus();
    uint8_t* y = ctx.output(0).data_as<uint8_t>();
    visit_comparable(ctx.input(0).dtype, [&](auto zero) {
      using T = decltype(zero);
      const T* a = ctx.input(0).data_as<T>();
      const T* b = ctx.input(1).data_as<T>();
      switch (kind_) {
        case Compare::kEqual: run_broadcast(p, a, b, y, [](T u, T v) { return uint8_t(u == v); }); break;
        case Compare::kLess: run_broadcast(p, a, b, y, [](T u, T v) { return uint8_t(u < v); }); break;
        case Compare::kLessOrEqual: run_broadcast(p, a, b, y, [](T u, T v) { return uint8_t(u <= v); }); break;
        case Compare::kGreater: run_broadcast(p, a, b, y, [](T u, T v) { return uint8_t(u > v); }); break;
        case Compare::kGreaterOrEqual: run_broadcast(p, a, b, y, [](T u, T v) { return uint8_t(u >= v); }); break;
      }
    });
    return absl::OkStatus();
  }

 private:
  Compare kind_;
};

// ---------------------------------------------------------------------------------------------------------

class LogicOp : public Op {
 public:
  explicit LogicOp(Logic kind) : kind_(kind) {}

  template <Logic kKind>
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    SOFIE_RETURN_IF_ERROR(reject_legacy_broadcast_attrs(node));
    return std::unique_ptr<Op>(std::make_unique<LogicOp>(kKind));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kBool}));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 1, {DType::kBool}));
    return infer_broadcast(ctx, 2, DType::kBool);
  }

  absl::Status reshape(ReshapeContext& ctx) const override { return plan_two(ctx); }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<LoopParams2>().loop;
    if (p.total == 0) return absl::OkStatus();
    const uint8_t* a = ctx.input(0).data_as<uint8_t>();
    const uint8_t* b = ctx.input(1).data_as<uint8_t>();
    uint8_t* y = ctx.output(0).data_as<uint8_t>();
    switch (kind_) {
      case Logic::kAnd: run_broadcast(p, a, b, y, [](uint8_t u, uint8_t v) { return uint8_t(u & v); }); break;
      case Logic::kOr: run_broadcast(p, a, b, y, [](uint8_t u, uint8_t v) { return uint8_t(u | v); }); break;
      case Logic::kXor: run_broadcast(p, a, b, y, [](uint8_t u, uint8_t v) { return uint8_t(u ^ v); }); break;
    }
    return absl::OkStatus();
  }

 private:
  Logic kind_;
};

// ---------------------------------------------------------------------------------------------------------
// BitShift: uint8 only (sofie has no uint16/32/64). Shifting by the bit width or more gives 0 (numpy).

class BitShiftOp : public Op {
 public:
  explicit BitShiftOp(bool left) : left_(left) {}

  static absl::StatusOr<std::unique_ptr<Op>> create(const Node& node) {
    Attrs a(node);
    const std::string direction = a.get_string("direction", "");
    SOFIE_RETURN_IF_ERROR(a.status());
    if (direction != "LEFT" && direction != "RIGHT") {
      return node_error(node, absl::StrCat("direction must be \"LEFT\" or \"RIGHT\", got \"", direction, "\""));
    }
    return std::unique_ptr<Op>(std::make_unique<BitShiftOp>(direction == "LEFT"));
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 2, 2));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kUInt8}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 0, 1));
    return infer_broadcast(ctx, 2, DType::kUInt8);
  }

  absl::Status reshape(ReshapeContext& ctx) const override { return plan_two(ctx); }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<LoopParams2>().loop;
    if (p.total == 0) return absl::OkStatus();
    const uint8_t* a = ctx.input(0).data_as<uint8_t>();
    const uint8_t* b = ctx.input(1).data_as<uint8_t>();
    uint8_t* y = ctx.output(0).data_as<uint8_t>();
    // In int (the promoted type) a shift by up to 255 is defined only below 32: clamp to 8, which gives 0.
    if (left_) {
      run_broadcast(p, a, b, y, [](uint8_t x, uint8_t s) { return uint8_t(unsigned{x} << (s < 8 ? s : 8)); });
    } else {
      run_broadcast(p, a, b, y, [](uint8_t x, uint8_t s) { return uint8_t(unsigned{x} >> (s < 8 ? s : 8)); });
    }
    return absl::OkStatus();
  }

 private:
  bool left_;
};

// ---------------------------------------------------------------------------------------------------------
// Where: only the element size matters for a select, so the data is moved as 1-, 4- or 8-byte integers.

struct LoopParams3 : OpParams {
  BroadcastLoop<3> loop;
};

template <typename T>
void run_where(const RunContext& ctx, const BroadcastLoop<3>& p) {
  run_broadcast(p, ctx.input(0).data_as<uint8_t>(), ctx.input(1).data_as<T>(), ctx.input(2).data_as<T>(),
                ctx.output(0).data_as<T>(), [](uint8_t c, T x, T y) { return c != 0 ? x : y; });
}

class WhereOp : public Op {
 public:
  static absl::StatusOr<std::unique_ptr<Op>> create(const Node&) {
    return std::unique_ptr<Op>(std::make_unique<WhereOp>());
  }

  absl::Status infer(InferContext& ctx) override {
    SOFIE_RETURN_IF_ERROR(check_input_count(ctx, 3, 3));
    SOFIE_RETURN_IF_ERROR(check_input_dtype(ctx, 0, {DType::kBool}));
    SOFIE_RETURN_IF_ERROR(check_same_dtype(ctx, 1, 2));
    return infer_broadcast(ctx, 3, ctx.input_dtype(1));
  }

  absl::Status reshape(ReshapeContext& ctx) const override {
    auto out = broadcast_inputs(ctx, 0, 3);
    if (!out.ok()) return out.status();
    auto& p = ctx.make_params<LoopParams3>();
    SOFIE_RETURN_IF_ERROR(plan_broadcast_inputs<3>(ctx, {0, 1, 2}, *out, p.loop));
    ctx.set_output_shape(0, *std::move(out));
    return absl::OkStatus();
  }

  absl::Status run(const RunContext& ctx) const override {
    const auto& p = ctx.params_as<LoopParams3>().loop;
    if (p.total == 0) return absl::OkStatus();
    switch (dtype_size(ctx.input(1).dtype)) {
      case 1: run_where<uint8_t>(ctx, p); break;
      case 4: run_where<uint32_t>(ctx, p); break;
      case 8: run_where<uint64_t>(ctx, p); break;
      default: return ctx.error(absl::StrCat("unsupported dtype ", dtype_name(ctx.input(1).dtype)));
    }
    return absl::OkStatus();
  }
};

SOFIE_REGISTER_OP("", "Equal", 7, kMaxOpset, &CompareOp::create<Compare::kEqual>);
SOFIE_REGISTER_OP("", "Less", 7, kMaxOpset, &CompareOp::create<Compare::kLess>);
SOFIE_REGISTER_OP("", "LessOrEqual", 12, kMaxOpset, &CompareOp::create<Compare::kLessOrEqual>);
SOFIE_REGISTER_OP("", "Greater", 7, kMaxOpset, &CompareOp::create<Compare::kGreater>);
SOFIE_REGISTER_OP("", "GreaterOrEqual", 12, kMaxOpset, &CompareOp::create<Compare::kGreaterOrEqual>);
SOFIE_REGISTER_OP("", "And", 7, kMaxOpset, &LogicOp::create<Logic::kAnd>);
SOFIE_REGISTER_OP("", "Or", 7, kMaxOpset, &LogicOp::create<Logic::kOr>);
SOFIE_REGISTER_OP("", "Xor", 7, kMaxOpset, &LogicOp::create<Logic::kXor>);
SOFIE_REGISTER_OP("", "BitShift", 11, kMaxOpset, &BitShiftOp::create);
SOFIE_REGISTER_OP("", "Where", 9, kMaxOpset, &WhereOp::create);

}  // namespace
}  // namespace sofie::ops
