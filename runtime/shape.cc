#include "runtime/shape.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sofie {

SymShape SymShape::of(absl::Span<const int64_t> dims) {
  std::vector<Dim> d;
  d.reserve(dims.size());
  for (int64_t v : dims) d.push_back(Dim::known(v));
  return SymShape(std::move(d));
}

bool SymShape::is_static() const {
  if (!rank_known_) return false;
  return std::all_of(dims_.begin(), dims_.end(), [](const Dim& d) { return d.is_known(); });
}

Dims SymShape::to_dims() const {
  Dims out;
  for (const Dim& d : dims_) out.push_back(d.value);
  return out;
}

std::string SymShape::to_string() const {
  if (!rank_known_) return "[*]";
  return absl::StrCat("[",
                      absl::StrJoin(dims_, ",",
                                    [](std::string* out, const Dim& d) {
                                      if (d.is_known()) {
                                        absl::StrAppend(out, d.value);
                                      } else if (d.is_symbol()) {
                                        absl::StrAppend(out, d.symbol);
                                      } else {
                                        absl::StrAppend(out, "?");
                                      }
                                    }),
                      "]");
}

absl::StatusOr<Dims> broadcast_dims(absl::Span<const int64_t> a, absl::Span<const int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("shapes ", dims_string(a), " and ", dims_string(b),
                                                     " cannot be broadcast (dimension ", i, ": ", da,
                                                     " vs ", db, ")"));
    }
  }
  return out;
}

absl::StatusOr<SymShape> broadcast_symbolic(const SymShape& a, const SymShape& b) {
  if (!a.rank_known() || !b.rank_known()) return SymShape::unknown_rank();
  size_t rank = std::max(a.rank(), b.rank());
  std::vector<Dim> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    Dim da = i < rank - a.rank() ? Dim::known(1) : a[i - (rank - a.rank())];
    Dim db = i < rank - b.rank() ? Dim::known(1) : b[i - (rank - b.rank())];
    if (da == db) {
      out[i] = da;
    } else if (da.value == 1) {
      out[i] = db;
    } else if (db.value == 1) {
      out[i] = da;
    } else if (da.is_known() && db.is_known()) {
      return absl::InvalidArgumentError(absl::StrCat("shapes ", a.to_string(), " and ", b.to_string(),
                                                     " cannot be broadcast (dimension ", i, ": ",
                                                     da.value, " vs ", db.value, ")"));
    } else if (da.is_known()) {
      out[i] = da;  // the symbol must be 1 or equal to it
    } else if (db.is_known()) {
      out[i] = db;
    } else {
      out[i] = Dim::unknown();
    }
  }
  return SymShape(std::move(out));
}

absl::StatusOr<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat("axis ", axis, " is out of range for rank ", rank, " (expected [", -rank, ",", rank, "))"));
  }
  return axis < 0 ? axis + rank : axis;
}

}  // namespace sofie
