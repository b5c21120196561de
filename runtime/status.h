// Error handling, one convention everywhere: functions that can fail on user or model input return
// absl::Status / absl::StatusOr<T>. The public throwing API (Model::load, Model::infer) wraps a failed
// status in sofie::Error, which carries the status.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace sofie {

class Error : public std::runtime_error {
 public:
  explicit Error(absl::Status status)
      : std::runtime_error(std::string(status.message())), status_(std::move(status)) {}
  const absl::Status& status() const { return status_; }

 private:
  absl::Status status_;
};

// Throws sofie::Error if `status` is not OK.
inline void throw_if_error(const absl::Status& status) {
  if (!status.ok()) throw Error(status);
}

template <typename T>
T value_or_throw(absl::StatusOr<T>&& v) {
  if (!v.ok()) throw Error(v.status());
  return std::move(*v);
}

}  // namespace sofie

#define SOFIE_CONCAT_INNER_(a, b) a##b
#define SOFIE_CONCAT_(a, b) SOFIE_CONCAT_INNER_(a, b)

#define SOFIE_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::absl::Status sofie_status_ = (expr);       \
    if (!sofie_status_.ok()) return sofie_status_; \
  } while (0)

#define SOFIE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(*tmp)

#define SOFIE_ASSIGN_OR_RETURN(lhs, expr) \
  SOFIE_ASSIGN_OR_RETURN_IMPL_(SOFIE_CONCAT_(sofie_statusor_, __LINE__), lhs, expr)
