#include "jit/compiler/orc_jit.h"

#include <utility>

#include "llvm/ExecutionEngine/JITLink/JITLink.h"
#include "llvm/ExecutionEngine/JITSymbol.h"
#include "llvm/ExecutionEngine/Orc/CompileUtils.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/ExecutorProcessControl.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Shared/AllocationActions.h"
#include "llvm/ExecutionEngine/Orc/Shared/WrapperFunctionUtils.h"
#include "llvm/IR/Module.h"
#include "llvm/TargetParser/Triple.h"

namespace sofie::jit {
namespace {

llvm::Error MakeError(std::string message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::CodeGenOpt::Level CodeGenLevel(int opt_level) {
  if (opt_level <= 0) return llvm::CodeGenOpt::None;
  if (opt_level >= 3) return llvm::CodeGenOpt::Aggressive;
  return llvm::CodeGenOpt::Default;
}

// An ExecutionSession must be ended before it is destroyed, also on the error paths of Create.
void EndSession(llvm::orc::ExecutionSession& session) { llvm::consumeError(session.endSession()); }

llvm::orc::shared::CWrapperFunctionResult NoOpAllocAction(const char* arg_data, size_t arg_size) {
  return llvm::orc::shared::WrapperFunction<llvm::orc::shared::SPSError()>::handle(
             arg_data, arg_size, [] { return llvm::Error::success(); })
      .release();
}

// LLVM 16's InProcessMemoryManager unmaps an object's memory on removal only if the object carries a
// deallocation action (fixed in LLVM 19, llvm-project PR #81943). Our objects have none (no .eh_frame to
// deregister), so every freed module would leave two or more pages mapped until exit. A no-op action pair
// on every object makes deallocation release the memory; harmless where LLVM is already fixed.
class ReleaseMemoryPlugin : public llvm::orc::ObjectLinkingLayer::Plugin {
 public:
  void modifyPassConfig(llvm::orc::MaterializationResponsibility&, llvm::jitlink::LinkGraph&,
                        llvm::jitlink::PassConfiguration& config) override {
    config.PostFixupPasses.push_back([](llvm::jitlink::LinkGraph& graph) -> llvm::Error {
      using llvm::orc::shared::WrapperFunctionCall;
      auto address = llvm::orc::ExecutorAddr::fromPtr(&NoOpAllocAction);
      auto finalize = WrapperFunctionCall::Create<llvm::orc::shared::SPSArgList<>>(address);
      if (!finalize) return finalize.takeError();
      auto deallocate = WrapperFunctionCall::Create<llvm::orc::shared::SPSArgList<>>(address);
      if (!deallocate) return deallocate.takeError();
      graph.allocActions().push_back({std::move(*finalize), std::move(*deallocate)});
      return llvm::Error::success();
    });
  }
  llvm::Error notifyFailed(llvm::orc::MaterializationResponsibility&) override { return llvm::Error::success(); }
  llvm::Error notifyRemovingResources(llvm::orc::JITDylib&, llvm::orc::ResourceKey) override {
    return llvm::Error::success();
  }
  void notifyTransferringResources(llvm::orc::JITDylib&, llvm::orc::ResourceKey, llvm::orc::ResourceKey) override {}
};

}  // namespace

llvm::Expected<std::unique_ptr<OrcJit>> OrcJit::Create(const JitTarget& target, llvm::ArrayRef<HostSymbol> symbols) {
  InitializeLlvmOnce();
  // Default task dispatcher: in place, so linking runs on the calling thread and this session starts no
  // threads of its own.
  auto process_control = llvm::orc::SelfExecutorProcessControl::Create();
  if (!process_control) return process_control.takeError();
  auto session = std::make_unique<llvm::orc::ExecutionSession>(std::move(*process_control));

  llvm::orc::JITTargetMachineBuilder machine_builder{llvm::Triple(target.triple)};
  machine_builder.setCPU(target.cpu)
      .addFeatures(target.features)
      // JITLink places code and data anywhere in the address space: position-independent, small model,
      // and calls to far host functions go through stubs it builds.
      .setRelocationModel(llvm::Reloc::PIC_)
      .setCodeModel(llvm::CodeModel::Small)
      .setCodeGenOptLevel(CodeGenLevel(target.opt_level));
  machine_builder.getOptions().AllowFPOpFusion = llvm::FPOpFusion::Fast;  // as -ffp-contract=fast
  auto target_machine = machine_builder.createTargetMachine();
  if (!target_machine) {
    EndSession(*session);
    return target_machine.takeError();
  }

  std::unique_ptr<OrcJit> jit(new OrcJit(std::move(session), std::move(*target_machine)));

  llvm::orc::SymbolMap host_symbols;
  for (const HostSymbol& symbol : symbols) {
    bool inserted = host_symbols
                        .try_emplace(jit->mangle_(symbol.name),
                                     llvm::JITEvaluatedSymbol::fromPointer(symbol.address,
                                                                           llvm::JITSymbolFlags::Exported))
                        .second;
    if (!inserted) return MakeError("host symbol '" + symbol.name.str() + "' is given twice");
  }
  if (!host_symbols.empty()) {
    if (llvm::Error error = jit->main_.define(llvm::orc::absoluteSymbols(std::move(host_symbols)))) {
      return std::move(error);
    }
  }
  auto process_symbols =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(jit->data_layout_.getGlobalPrefix());
  if (!process_symbols) return process_symbols.takeError();
  jit->main_.addGenerator(std::move(*process_symbols));
  return std::move(jit);
}

OrcJit::OrcJit(std::unique_ptr<llvm::orc::ExecutionSession> session,
               std::unique_ptr<llvm::TargetMachine> target_machine)
    : session_(std::move(session)),
      target_machine_(std::move(target_machine)),
      data_layout_(target_machine_->createDataLayout()),
      mangle_(*session_, data_layout_),
      object_layer_(*session_),
      main_(session_->createBareJITDylib("main")),
      tracker_(main_.createResourceTracker()) {
  session_->setErrorReporter([this](llvm::Error error) { ReportSessionError(std::move(error)); });
  object_layer_.addPlugin(std::make_unique<ReleaseMemoryPlugin>());
}

OrcJit::~OrcJit() {
  llvm::consumeError(tracker_->remove());
  EndSession(*session_);
}

llvm::Error OrcJit::AddModule(llvm::Module& module, std::string* out_object) {
  if (module.getNamedGlobal("llvm.global_ctors") || module.getNamedGlobal("llvm.global_dtors")) {
    return MakeError(
        "the source has static constructors or destructors (a global initialised by running code); "
        "JIT-compiled code must be constant-initialised");
  }
  if (module.getDataLayout() != data_layout_) {
    return MakeError("the module's data layout '" + module.getDataLayoutStr() + "' differs from the JIT's '" +
                     data_layout_.getStringRepresentation() + "'");
  }
  llvm::orc::SimpleCompiler compile(*target_machine_);
  auto object = compile(module);
  if (!object) return object.takeError();
  if (out_object != nullptr) out_object->assign((*object)->getBufferStart(), (*object)->getBufferSize());
  return AddObject(std::move(*object));
}

llvm::Error OrcJit::AddObject(std::unique_ptr<llvm::MemoryBuffer> object) {
  if (llvm::Error error = object_layer_.add(tracker_, std::move(object))) {
    std::string details = TakeSessionErrors();
    if (details.empty()) return error;
    return MakeError(llvm::toString(std::move(error)) + "\n" + details);
  }
  return llvm::Error::success();
}

llvm::Expected<void*> OrcJit::Lookup(llvm::StringRef name) {
  auto symbol = session_->lookup({&main_}, mangle_(name));
  if (!symbol) {
    // ORC returns "Failed to materialize symbols" and reports the cause (e.g. "Symbols not found:
    // [ foo ]") separately; keep both.
    std::string message = llvm::toString(symbol.takeError());
    std::string details = TakeSessionErrors();
    if (!details.empty()) message += "\n" + details;
    return MakeError(message);
  }
  return reinterpret_cast<void*>(static_cast<uintptr_t>(symbol->getAddress()));
}

void OrcJit::ReportSessionError(llvm::Error error) {
  std::string message = llvm::toString(std::move(error));
  std::lock_guard<std::mutex> lock(errors_mutex_);
  if (!session_errors_.empty()) session_errors_ += '\n';
  session_errors_ += message;
}

std::string OrcJit::TakeSessionErrors() {
  std::lock_guard<std::mutex> lock(errors_mutex_);
  return std::exchange(session_errors_, std::string());
}

}  // namespace sofie::jit
