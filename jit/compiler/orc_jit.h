// A JIT the size of LLVM's KaleidoscopeJIT: one ORC session that links object files (JITLink) into
// fresh memory and resolves their symbols. Internal to jit/compiler/: LLVM types stay in this folder.
//
// One OrcJit per compiled unit. Separate sessions share nothing (symbol pool, memory manager, target
// machine), so compiles on different threads never wait for each other, and freeing a unit is
// destroying its OrcJit.
#ifndef SOFIE_JIT_COMPILER_ORC_JIT_H_
#define SOFIE_JIT_COMPILER_ORC_JIT_H_

#include <memory>
#include <mutex>
#include <string>

#include "jit/compiler/target.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"

namespace llvm {
class Module;
}

namespace sofie::jit {

struct HostSymbol {
  llvm::StringRef name;  // unmangled (extern "C") name
  void* address;
};

class OrcJit {
 public:
  // A JIT generating code for `target` (only its triple, CPU, features and opt_level matter) that resolves
  // undefined symbols from `symbols` first, then from the libraries loaded into the process.
  static llvm::Expected<std::unique_ptr<OrcJit>> Create(const JitTarget& target, llvm::ArrayRef<HostSymbol> symbols);

  ~OrcJit();  // frees all code and data linked into this JIT
  OrcJit(const OrcJit&) = delete;
  OrcJit& operator=(const OrcJit&) = delete;

  // Compiles `module` to an object file now (a copy of its bytes goes to *out_object when not null) and
  // adds it like AddObject. Modules with static constructors are refused: objects run no initialisers
  // here, so code loaded back from a cache would behave differently.
  llvm::Error AddModule(llvm::Module& module, std::string* out_object);

  // Adds an object file; it is linked on the first Lookup.
  llvm::Error AddObject(std::unique_ptr<llvm::MemoryBuffer> object);

  // The address of `name` (unmangled), linking what was added if needed. Link failures (an unresolved
  // symbol, a malformed object) are returned here with ORC's detailed messages.
  llvm::Expected<void*> Lookup(llvm::StringRef name);

 private:
  OrcJit(std::unique_ptr<llvm::orc::ExecutionSession> session, std::unique_ptr<llvm::TargetMachine> target_machine);

  void ReportSessionError(llvm::Error error);
  std::string TakeSessionErrors();

  // Destroyed in reverse: the layer after the session has ended (freeing all resources), the session last.
  std::unique_ptr<llvm::orc::ExecutionSession> session_;
  std::unique_ptr<llvm::TargetMachine> target_machine_;
  llvm::DataLayout data_layout_;
  llvm::orc::MangleAndInterner mangle_;
  llvm::orc::ObjectLinkingLayer object_layer_;
  llvm::orc::JITDylib& main_;
  llvm::orc::ResourceTrackerSP tracker_;

  std::mutex errors_mutex_;
  std::string session_errors_;  // what ORC reported outside a return value (e.g. "Symbols not found")
};

}  // namespace sofie::jit

#endif  // SOFIE_JIT_COMPILER_ORC_JIT_H_
