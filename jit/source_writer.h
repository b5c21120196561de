// A small structured writer for generated C++: indented lines, scopes that close themselves, and fresh
// identifiers. Generated code is built from these calls, never patched afterwards by text replacement.
#pragma once

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sofie::jit {

class SourceWriter {
 public:
  // Closes the scope opened by block() when it goes out of scope.
  class Scope {
   public:
    explicit Scope(SourceWriter* w) : w_(w) {}
    Scope(Scope&& o) noexcept : w_(o.w_) { o.w_ = nullptr; }
    Scope(const Scope&) = delete;
    ~Scope() {
      if (w_ != nullptr) w_->close();
    }

   private:
    SourceWriter* w_;
  };

  template <typename... Args>
  void line(const Args&... parts) {
    out_.append(static_cast<size_t>(indent_) * 2, ' ');
    absl::StrAppend(&out_, parts..., "\n");
  }
  void blank() { out_ += "\n"; }
  // "head {" ... "}"
  template <typename... Args>
  Scope block(const Args&... head) {
    std::string h = absl::StrCat(head...);
    line(h.empty() ? "{" : absl::StrCat(h, " {"));
    ++indent_;
    return Scope(this);
  }
  // A fresh identifier: stem, stem_1, stem_2, ...
  std::string fresh(absl::string_view stem) {
    int& n = names_[std::string(stem)];
    return n++ == 0 ? std::string(stem) : absl::StrCat(stem, "_", n - 1);
  }
  const std::string& str() const { return out_; }

 private:
  void close() {
    --indent_;
    line("}");
  }
  std::string out_;
  int indent_ = 0;
  std::map<std::string, int> names_;
};

}  // namespace sofie::jit
