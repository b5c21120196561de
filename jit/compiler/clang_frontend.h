// C++ source to LLVM IR with clang in process. The only file of jit/compiler/ that includes clang headers
// (each such translation unit takes ~20 s to compile). Internal to jit/compiler/.
#ifndef SOFIE_JIT_COMPILER_CLANG_FRONTEND_H_
#define SOFIE_JIT_COMPILER_CLANG_FRONTEND_H_

#include <memory>

#include "jit/compiler/target.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace sofie::jit {

// Parses `source` as one C++17 translation unit with no include path (the buffer is the only file clang
// can see; nothing touches the disk) and runs the -O pipeline of target.opt_level, loop and SLP
// vectorisation included, for target's CPU and features. The module lives in `context`.
// A failure is a StringError whose message holds clang's diagnostics, each as
// "<jit-source>:LINE:COL: error: ..." with the source line and caret.
llvm::Expected<std::unique_ptr<llvm::Module>> CompileCxxToModule(llvm::LLVMContext& context, llvm::StringRef source,
                                                                 const JitTarget& target);

}  // namespace sofie::jit

#endif  // SOFIE_JIT_COMPILER_CLANG_FRONTEND_H_
