#include "jit/compiler/clang_frontend.h"

#include <string>
#include <vector>

#include "clang/Basic/DiagnosticOptions.h"
#include "clang/CodeGen/CodeGenAction.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Frontend/FrontendOptions.h"
#include "clang/Frontend/TextDiagnosticPrinter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/Support/raw_ostream.h"

namespace sofie::jit {
namespace {

constexpr char kSourceName[] = "<jit-source>";

// cc1 arguments, as the clang driver would produce them for
//   clang++ -std=c++17 -O2 -fno-exceptions -fno-rtti -ffp-contract=fast -fno-math-errno -nostdinc
// (exceptions and math errno are off unless asked for at this level). No -mllvm: it would write LLVM's
// global option table, which concurrent compiles share.
std::vector<std::string> Cc1Args(const JitTarget& target) {
  std::vector<std::string> args = {
      "-triple", target.triple,
      "-mrelocation-model", "pic", "-pic-level", "2",  // external data through the GOT: JITLink can
                                                       // place code anywhere
      "-mframe-pointer=none",
      "-ffp-contract=fast", "-fno-rounding-math",
      "-target-cpu", target.cpu,
  };
  for (const std::string& feature : target.features) {
    args.push_back("-target-feature");
    args.push_back(feature);
  }
  args.insert(args.end(), {
      "-nostdsysteminc", "-nobuiltininc",
      "-O" + std::to_string(target.opt_level),
      "-std=c++17", "-fno-rtti",
      "-discard-value-names",
      "-ferror-limit", "19",
      "-x", "c++",
  });
  if (target.opt_level > 0) {
    // At cc1 level -O2 does not imply vectorisation; the driver adds these.
    args.insert(args.end(), {"-vectorize-loops", "-vectorize-slp"});
  }
  return args;
}

}  // namespace

llvm::Expected<std::unique_ptr<llvm::Module>> CompileCxxToModule(llvm::LLVMContext& context, llvm::StringRef source,
                                                                 const JitTarget& target) {
  std::string diagnostics;
  llvm::raw_string_ostream diagnostics_os(diagnostics);
  auto fail = [&](const char* what) -> llvm::Error {
    diagnostics_os.flush();
    std::string message = what;
    if (!diagnostics.empty()) message += ":\n" + diagnostics;
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };

  clang::CompilerInstance compiler;
  llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> diagnostic_options = new clang::DiagnosticOptions();
  // Owned by the compiler's DiagnosticsEngine once createDiagnostics has run.
  auto* printer = new clang::TextDiagnosticPrinter(diagnostics_os, diagnostic_options.get());
  compiler.createDiagnostics(printer, /*ShouldOwnClient=*/true);
  // "N errors generated." goes here too, instead of to stderr.
  compiler.setVerboseOutputStream(diagnostics_os);

  std::vector<std::string> args = Cc1Args(target);
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  auto invocation = std::make_shared<clang::CompilerInvocation>();
  if (!clang::CompilerInvocation::CreateFromArgs(*invocation, argv, compiler.getDiagnostics()) ||
      compiler.getDiagnostics().hasErrorOccurred()) {
    return fail("clang rejected its arguments");
  }
  std::unique_ptr<llvm::MemoryBuffer> buffer =
      llvm::MemoryBuffer::getMemBuffer(source, kSourceName, /*RequiresNullTerminator=*/false);
  clang::FrontendOptions& frontend = invocation->getFrontendOpts();
  frontend.Inputs.clear();
  frontend.Inputs.emplace_back(buffer->getMemBufferRef(), clang::InputKind(clang::Language::CXX));
  frontend.DisableFree = false;  // a long-lived process compiles many times
  compiler.setInvocation(std::move(invocation));

  // An empty in-memory file system: the source buffer is all clang can read, so an #include fails
  // cleanly instead of picking up whatever the machine has.
  compiler.createFileManager(llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>());

  clang::EmitLLVMOnlyAction action(&context);
  if (!compiler.ExecuteAction(action)) return fail("clang could not compile the source");
  std::unique_ptr<llvm::Module> module = action.takeModule();
  if (!module) return fail("clang produced no module");
  return std::move(module);
}

}  // namespace sofie::jit
