#include "jit/object_loader.h"

#include <dlfcn.h>
#include <elf.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sofie::jit {
namespace {

// Limits that no generated graph comes near; anything beyond is treated as malformed.
constexpr uint64_t kMaxImageBytes = uint64_t{256} << 20;
constexpr uint64_t kMaxSections = 1 << 14;
constexpr uint64_t kMaxSymbols = 1 << 20;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kStubBytes = 16;  // jmp *0(%rip); .quad target; 2 bytes of int3

enum Group { kSkip = -1, kExec = 0, kRead = 1, kWrite = 2 };

bool in_range(uint64_t offset, uint64_t length, uint64_t size) { return offset <= size && length <= size - offset; }

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

template <typename T>
T read_pod(const uint8_t* p) {
  T t;
  std::memcpy(&t, p, sizeof(T));
  return t;
}

const char* reloc_name(uint32_t type) {
  switch (type) {
    case R_X86_64_64: return "R_X86_64_64";
    case R_X86_64_PC32: return "R_X86_64_PC32";
    case R_X86_64_PLT32: return "R_X86_64_PLT32";
    case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
    case R_X86_64_32: return "R_X86_64_32";
    case R_X86_64_32S: return "R_X86_64_32S";
    case R_X86_64_PC64: return "R_X86_64_PC64";
    case R_X86_64_GOTPCRELX: return "R_X86_64_GOTPCRELX";
    case R_X86_64_REX_GOTPCRELX: return "R_X86_64_REX_GOTPCRELX";
    default: return "unsupported";
  }
}

bool uses_got(uint32_t type) {
  return type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX || type == R_X86_64_REX_GOTPCRELX;
}

struct Section {
  Elf64_Shdr h{};
  std::string name;
  Group group = kSkip;
  uint64_t image_offset = 0;
};

class Loader {
 public:
  Loader(const uint8_t* data, size_t size, absl::Span<const HostSymbol> symbols) : d_(data), size_(size) {
    for (const HostSymbol& s : symbols) host_.emplace(s.name, s.address);
  }
  ~Loader() {
    if (image_ != nullptr) munmap(image_, image_size_);
  }

  // Maps, relocates and protects the object; returns the entry's address.
  absl::StatusOr<void*> load(const std::string& entry);

  // Hands the mapping to a LoadedObject.
  void release(void** base, size_t* size) {
    *base = image_;
    *size = image_size_;
    image_ = nullptr;
  }

 private:
  static absl::Status bad(const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("malformed object: ", what));
  }
  absl::Status parse_header();
  absl::Status parse_sections();
  absl::Status parse_symbols();
  absl::Status plan_got_and_stubs();
  absl::Status layout_and_map();
  absl::Status apply_relocations();
  absl::Status protect();
  absl::StatusOr<std::string> string_at(const Section& table, uint64_t offset) const;
  absl::StatusOr<Elf64_Sym> symbol(uint64_t index) const;
  absl::StatusOr<std::string> symbol_name(const Elf64_Sym& sym) const;
  // S: the address a symbol stands for; *external: an undefined symbol resolved outside the object.
  absl::StatusOr<uint64_t> resolve(uint64_t index, bool* external);
  // Relocation sections that apply to a loaded section, validated.
  std::vector<int> live_rela_sections_;

  const uint8_t* d_;
  size_t size_;
  absl::flat_hash_map<std::string, const void*> host_;
  Elf64_Ehdr eh_{};
  std::vector<Section> sections_;
  int symtab_ = -1;
  uint64_t num_symbols_ = 0;
  absl::flat_hash_map<uint64_t, uint64_t> got_slot_;   // symbol index -> GOT slot
  absl::flat_hash_map<uint64_t, uint64_t> stub_slot_;  // symbol index -> stub slot
  std::vector<uint64_t> resolved_;  // symbol index -> address (valid where resolved_ok_)
  std::vector<uint8_t> resolved_state_;  // 0 not yet, 1 internal, 2 external
  uint8_t* image_ = nullptr;
  uint64_t image_size_ = 0;
  uint64_t group_begin_[3] = {0, 0, 0}, group_end_[3] = {0, 0, 0};
  uint64_t stubs_offset_ = 0, got_offset_ = 0;
};

absl::Status Loader::parse_header() {
  if (size_ < sizeof(Elf64_Ehdr)) return bad("shorter than an ELF header");
  eh_ = read_pod<Elf64_Ehdr>(d_);
  if (std::memcmp(eh_.e_ident, ELFMAG, SELFMAG) != 0) return bad("no ELF magic");
  if (eh_.e_ident[EI_CLASS] != ELFCLASS64 || eh_.e_ident[EI_DATA] != ELFDATA2LSB) {
    return bad("not a 64-bit little-endian ELF file");
  }
  if (eh_.e_type != ET_REL) return bad("not a relocatable object");
  if (eh_.e_machine != EM_X86_64) return bad("not an x86-64 object");
  if (eh_.e_shentsize != sizeof(Elf64_Shdr)) return bad("unexpected section header size");
  if (eh_.e_shnum == 0 || eh_.e_shnum > kMaxSections) return bad("bad section count");
  if (!in_range(eh_.e_shoff, uint64_t{eh_.e_shnum} * sizeof(Elf64_Shdr), size_)) {
    return bad("section headers outside the file");
  }
  if (eh_.e_shstrndx == SHN_UNDEF || eh_.e_shstrndx >= eh_.e_shnum) return bad("bad section name table index");
  return absl::OkStatus();
}

absl::StatusOr<std::string> Loader::string_at(const Section& table, uint64_t offset) const {
  if (table.h.sh_type != SHT_STRTAB || !in_range(table.h.sh_offset, table.h.sh_size, size_)) {
    return bad("bad string table");
  }
  if (offset >= table.h.sh_size) return bad("string offset outside its table");
  const char* begin = reinterpret_cast<const char*>(d_ + table.h.sh_offset + offset);
  const void* nul = std::memchr(begin, 0, table.h.sh_size - offset);
  if (nul == nullptr) return bad("unterminated string");
  return std::string(begin, static_cast<const char*>(nul));
}

absl::Status Loader::parse_sections() {
  sections_.resize(eh_.e_shnum);
  for (size_t i = 0; i < sections_.size(); ++i) {
    sections_[i].h = read_pod<Elf64_Shdr>(d_ + eh_.e_shoff + i * sizeof(Elf64_Shdr));
    const Elf64_Shdr& h = sections_[i].h;
    if (h.sh_type != SHT_NOBITS && h.sh_type != SHT_NULL && !in_range(h.sh_offset, h.sh_size, size_)) {
      return bad(absl::StrCat("section ", i, " outside the file"));
    }
  }
  const Section& names = sections_[eh_.e_shstrndx];
  for (size_t i = 1; i < sections_.size(); ++i) {
    Section& s = sections_[i];
    absl::StatusOr<std::string> name = string_at(names, s.h.sh_name);
    if (!name.ok()) return name.status();
    s.name = *name;
    const uint64_t flags = s.h.sh_flags;
    if ((flags & SHF_ALLOC) == 0) continue;  // symbols, relocations, notes, comments, address-significance
    if (s.h.sh_type == SHT_X86_64_UNWIND || s.name == ".eh_frame") continue;  // no unwinding through JIT code
    if (flags & SHF_TLS) return absl::UnimplementedError(absl::StrCat("thread-local section ", s.name));
    if (s.h.sh_type == SHT_INIT_ARRAY || s.h.sh_type == SHT_FINI_ARRAY || s.h.sh_type == SHT_PREINIT_ARRAY) {
      return absl::UnimplementedError(absl::StrCat("constructor/destructor section ", s.name));
    }
    if (s.h.sh_type != SHT_PROGBITS && s.h.sh_type != SHT_NOBITS) {
      return absl::UnimplementedError(absl::StrCat("allocated section ", s.name, " of type ", s.h.sh_type));
    }
    if ((flags & SHF_EXECINSTR) && (flags & SHF_WRITE)) return bad(absl::StrCat("writable code section ", s.name));
    if (s.h.sh_size > kMaxImageBytes) return bad(absl::StrCat("section ", s.name, " too large"));
    const uint64_t align = s.h.sh_addralign == 0 ? 1 : s.h.sh_addralign;
    if ((align & (align - 1)) != 0 || align > kPage) return bad(absl::StrCat("alignment of section ", s.name));
    if (s.h.sh_type == SHT_NOBITS && (flags & SHF_EXECINSTR)) return bad("executable .bss");
    s.group = (flags & SHF_EXECINSTR) ? kExec : (flags & SHF_WRITE) ? kWrite : kRead;
  }
  return absl::OkStatus();
}

absl::Status Loader::parse_symbols() {
  for (size_t i = 1; i < sections_.size(); ++i) {
    if (sections_[i].h.sh_type != SHT_SYMTAB) continue;
    if (symtab_ >= 0) return bad("more than one symbol table");
    symtab_ = static_cast<int>(i);
  }
  if (symtab_ < 0) return bad("no symbol table");
  const Elf64_Shdr& h = sections_[symtab_].h;
  if (h.sh_entsize != sizeof(Elf64_Sym) || h.sh_size % sizeof(Elf64_Sym) != 0) return bad("symbol table entry size");
  num_symbols_ = h.sh_size / sizeof(Elf64_Sym);
  if (num_symbols_ == 0 || num_symbols_ > kMaxSymbols) return bad("symbol count");
  if (h.sh_link == 0 || h.sh_link >= sections_.size() || sections_[h.sh_link].h.sh_type != SHT_STRTAB) {
    return bad("symbol table without a string table");
  }
  resolved_.assign(num_symbols_, 0);
  resolved_state_.assign(num_symbols_, 0);
  return absl::OkStatus();
}

absl::StatusOr<Elf64_Sym> Loader::symbol(uint64_t index) const {
  if (index >= num_symbols_) return bad(absl::StrCat("symbol index ", index, " out of range"));
  return read_pod<Elf64_Sym>(d_ + sections_[symtab_].h.sh_offset + index * sizeof(Elf64_Sym));
}

absl::StatusOr<std::string> Loader::symbol_name(const Elf64_Sym& sym) const {
  return string_at(sections_[sections_[symtab_].h.sh_link], sym.st_name);
}

absl::Status Loader::plan_got_and_stubs() {
  for (size_t i = 1; i < sections_.size(); ++i) {
    const Elf64_Shdr& h = sections_[i].h;
    if (h.sh_type != SHT_RELA && h.sh_type != SHT_REL) continue;
    if (h.sh_info == 0 || h.sh_info >= sections_.size()) return bad("relocation section without a target");
    const Section& target = sections_[h.sh_info];
    if (target.group == kSkip) continue;  // relocations of .eh_frame, debug info, ...
    if (h.sh_type == SHT_REL) return absl::UnimplementedError("REL relocations (x86-64 uses RELA)");
    if (target.h.sh_type == SHT_NOBITS) return bad("relocations against .bss");
    if (h.sh_link != static_cast<uint32_t>(symtab_)) return bad("relocations against another symbol table");
    if (h.sh_entsize != sizeof(Elf64_Rela) || h.sh_size % sizeof(Elf64_Rela) != 0) return bad("relocation entry size");
    live_rela_sections_.push_back(static_cast<int>(i));
    const uint64_t n = h.sh_size / sizeof(Elf64_Rela);
    for (uint64_t r = 0; r < n; ++r) {
      const auto rela = read_pod<Elf64_Rela>(d_ + h.sh_offset + r * sizeof(Elf64_Rela));
      const uint64_t sym_index = ELF64_R_SYM(rela.r_info);
      const uint32_t type = ELF64_R_TYPE(rela.r_info);
      if (sym_index >= num_symbols_) return bad("relocation symbol index out of range");
      if (uses_got(type)) {
        got_slot_.emplace(sym_index, got_slot_.size());
      } else if (type == R_X86_64_PLT32 || type == R_X86_64_PC32) {
        absl::StatusOr<Elf64_Sym> sym = symbol(sym_index);
        if (!sym.ok()) return sym.status();
        if (sym->st_shndx == SHN_UNDEF && sym_index != 0) stub_slot_.emplace(sym_index, stub_slot_.size());
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Loader::layout_and_map() {
  uint64_t offset = 0;
  for (int g = kExec; g <= kWrite; ++g) {
    offset = align_up(offset, kPage);
    group_begin_[g] = offset;
    for (Section& s : sections_) {
      if (s.group != g) continue;
      offset = align_up(offset, s.h.sh_addralign == 0 ? 1 : s.h.sh_addralign);
      s.image_offset = offset;
      offset += s.h.sh_size;
      if (offset > kMaxImageBytes) return bad("sections too large");
    }
    if (g == kExec) {
      offset = align_up(offset, 16);
      stubs_offset_ = offset;
      offset += stub_slot_.size() * kStubBytes;
    } else if (g == kRead) {
      offset = align_up(offset, 8);
      got_offset_ = offset;
      offset += got_slot_.size() * 8;
    }
    if (offset > kMaxImageBytes) return bad("sections too large");
    group_end_[g] = offset;
  }
  if (group_end_[kExec] == group_begin_[kExec]) return bad("no code");
  image_size_ = align_up(offset, kPage);
  void* p = mmap(nullptr, image_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return absl::ResourceExhaustedError(absl::StrCat("cannot map ", image_size_, " bytes"));
  image_ = static_cast<uint8_t*>(p);
  for (const Section& s : sections_) {
    if (s.group == kSkip || s.h.sh_type == SHT_NOBITS || s.h.sh_size == 0) continue;
    std::memcpy(image_ + s.image_offset, d_ + s.h.sh_offset, s.h.sh_size);
  }
  return absl::OkStatus();
}

bool is_allowed_process_symbol_impl(const std::string& name) {
  static const absl::flat_hash_set<std::string>* allowed = new absl::flat_hash_set<std::string>{
      "memcpy", "memmove", "memset", "memcmp",
      "expf", "exp", "exp2f", "exp2", "expm1f", "expm1", "logf", "log", "log2f", "log2", "log10f", "log10",
      "log1pf", "log1p", "powf", "pow", "sqrtf", "sqrt", "cbrtf", "cbrt", "tanhf", "tanh", "sinhf", "sinh",
      "coshf", "cosh", "sinf", "sin", "cosf", "cos", "tanf", "tan", "asinf", "asin", "acosf", "acos",
      "atanf", "atan", "atan2f", "atan2", "asinhf", "asinh", "acoshf", "acosh", "atanhf", "atanh",
      "erff", "erf", "erfcf", "erfc", "fmodf", "fmod", "floorf", "floor", "ceilf", "ceil", "roundf", "round",
      "truncf", "trunc", "rintf", "rint", "nearbyintf", "nearbyint", "fmaf", "fma", "fmaxf", "fmax",
      "fminf", "fmin", "fabsf", "fabs", "ldexpf", "ldexp", "frexpf", "frexp", "remainderf", "remainder",
      "lroundf", "lround", "llroundf", "llround", "lrintf", "lrint", "hypotf", "hypot", "sincosf", "sincos"};
  return allowed->contains(name);
}

absl::StatusOr<uint64_t> Loader::resolve(uint64_t index, bool* external) {
  *external = false;
  if (resolved_state_[index] != 0) {
    *external = resolved_state_[index] == 2;
    return resolved_[index];
  }
  absl::StatusOr<Elf64_Sym> sym = symbol(index);
  if (!sym.ok()) return sym.status();
  uint64_t address = 0;
  if (index == 0) {
    address = 0;  // relocations without a symbol: S = 0
  } else if (sym->st_shndx == SHN_UNDEF) {
    absl::StatusOr<std::string> name = symbol_name(*sym);
    if (!name.ok()) return name.status();
    auto it = host_.find(*name);
    if (it != host_.end()) {
      address = reinterpret_cast<uint64_t>(it->second);
    } else if (*name == "_GLOBAL_OFFSET_TABLE_") {
      address = reinterpret_cast<uint64_t>(image_ + got_offset_);
    } else if (is_allowed_process_symbol_impl(*name)) {
      void* p = dlsym(RTLD_DEFAULT, name->c_str());
      if (p == nullptr) return absl::NotFoundError(absl::StrCat("undefined symbol '", *name, "' (not in the process)"));
      address = reinterpret_cast<uint64_t>(p);
    } else if (ELF64_ST_BIND(sym->st_info) == STB_WEAK) {
      address = 0;
    } else {
      return absl::NotFoundError(absl::StrCat("undefined symbol '", *name, "' (not a host symbol)"));
    }
    *external = true;
  } else if (sym->st_shndx == SHN_ABS) {
    address = sym->st_value;
  } else if (sym->st_shndx == SHN_COMMON) {
    return absl::UnimplementedError("common symbols");
  } else if (sym->st_shndx >= SHN_LORESERVE || sym->st_shndx >= sections_.size()) {
    return bad(absl::StrCat("symbol ", index, " has section index ", sym->st_shndx));
  } else {
    const Section& s = sections_[sym->st_shndx];
    if (s.group == kSkip) {
      return bad(absl::StrCat("symbol ", index, " lives in section '", s.name, "', which is not loaded"));
    }
    if (sym->st_value > s.h.sh_size) return bad(absl::StrCat("symbol ", index, " outside its section"));
    address = reinterpret_cast<uint64_t>(image_ + s.image_offset + sym->st_value);
  }
  resolved_[index] = address;
  resolved_state_[index] = *external ? 2 : 1;
  return address;
}

absl::Status Loader::apply_relocations() {
  // GOT entries and call stubs first: relocations below point at them.
  for (const auto& [sym_index, slot] : got_slot_) {
    bool external;
    absl::StatusOr<uint64_t> s = resolve(sym_index, &external);
    if (!s.ok()) return s.status();
    std::memcpy(image_ + got_offset_ + slot * 8, &*s, 8);
  }
  for (const auto& [sym_index, slot] : stub_slot_) {
    bool external;
    absl::StatusOr<uint64_t> s = resolve(sym_index, &external);
    if (!s.ok()) return s.status();
    uint8_t* stub = image_ + stubs_offset_ + slot * kStubBytes;
    const uint8_t jmp[6] = {0xff, 0x25, 0, 0, 0, 0};  // jmp *0(%rip): the address follows
    std::memcpy(stub, jmp, 6);
    std::memcpy(stub + 6, &*s, 8);
    stub[14] = stub[15] = 0xcc;
  }
  for (int rs : live_rela_sections_) {
    const Elf64_Shdr& h = sections_[rs].h;
    const Section& target = sections_[h.sh_info];
    const uint64_t n = h.sh_size / sizeof(Elf64_Rela);
    for (uint64_t r = 0; r < n; ++r) {
      const auto rela = read_pod<Elf64_Rela>(d_ + h.sh_offset + r * sizeof(Elf64_Rela));
      const uint64_t sym_index = ELF64_R_SYM(rela.r_info);
      const uint32_t type = ELF64_R_TYPE(rela.r_info);
      if (type == R_X86_64_NONE) continue;
      const uint64_t width = (type == R_X86_64_64 || type == R_X86_64_PC64) ? 8 : 4;
      if (!in_range(rela.r_offset, width, target.h.sh_size)) {
        return bad(absl::StrCat("relocation outside section '", target.name, "'"));
      }
      uint8_t* where = image_ + target.image_offset + rela.r_offset;
      const uint64_t P = reinterpret_cast<uint64_t>(where);
      const int64_t A = rela.r_addend;
      bool external = false;
      absl::StatusOr<uint64_t> S = resolve(sym_index, &external);
      if (!S.ok()) return S.status();
      auto put32 = [&](int64_t v, bool is_signed) -> absl::Status {
        const bool fits = is_signed ? (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max())
                                    : (v >= 0 && v <= int64_t{std::numeric_limits<uint32_t>::max()});
        if (!fits) {
          return absl::OutOfRangeError(absl::StrCat(reloc_name(type), " in '", target.name, "' does not fit"));
        }
        const uint32_t u = static_cast<uint32_t>(v);
        std::memcpy(where, &u, 4);
        return absl::OkStatus();
      };
      absl::Status st;
      switch (type) {
        case R_X86_64_64: {
          const uint64_t v = *S + static_cast<uint64_t>(A);
          std::memcpy(where, &v, 8);
          break;
        }
        case R_X86_64_PC64: {
          const uint64_t v = *S + static_cast<uint64_t>(A) - P;
          std::memcpy(where, &v, 8);
          break;
        }
        case R_X86_64_PC32:
        case R_X86_64_PLT32: {
          int64_t v = static_cast<int64_t>(*S + static_cast<uint64_t>(A) - P);
          if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
            // A far host function: through its stub, next to the code.
            auto it = stub_slot_.find(sym_index);
            if (!external || it == stub_slot_.end()) {
              return absl::OutOfRangeError(absl::StrCat(reloc_name(type), " to a far symbol in '", target.name, "'"));
            }
            const uint64_t stub = reinterpret_cast<uint64_t>(image_ + stubs_offset_ + it->second * kStubBytes);
            v = static_cast<int64_t>(stub + static_cast<uint64_t>(A) - P);
          }
          st = put32(v, true);
          break;
        }
        case R_X86_64_GOTPCREL:
        case R_X86_64_GOTPCRELX:
        case R_X86_64_REX_GOTPCRELX: {
          const uint64_t got = reinterpret_cast<uint64_t>(image_ + got_offset_ + got_slot_.at(sym_index) * 8);
          st = put32(static_cast<int64_t>(got + static_cast<uint64_t>(A) - P), true);
          break;
        }
        case R_X86_64_32:
          st = put32(static_cast<int64_t>(*S + static_cast<uint64_t>(A)), false);
          break;
        case R_X86_64_32S:
          st = put32(static_cast<int64_t>(*S + static_cast<uint64_t>(A)), true);
          break;
        default:
          return absl::UnimplementedError(absl::StrCat("relocation type ", type, " in '", target.name, "'"));
      }
      if (!st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::Status Loader::protect() {
  const int prot[3] = {PROT_READ | PROT_EXEC, PROT_READ, PROT_READ | PROT_WRITE};
  for (int g = kExec; g <= kWrite; ++g) {
    const uint64_t begin = group_begin_[g];
    const uint64_t end = align_up(group_end_[g], kPage);
    if (end <= begin) continue;
    if (mprotect(image_ + begin, end - begin, prot[g]) != 0) return absl::InternalError("mprotect failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<void*> Loader::load(const std::string& entry) {
  if (absl::Status s = parse_header(); !s.ok()) return s;
  if (absl::Status s = parse_sections(); !s.ok()) return s;
  if (absl::Status s = parse_symbols(); !s.ok()) return s;
  if (absl::Status s = plan_got_and_stubs(); !s.ok()) return s;
  if (absl::Status s = layout_and_map(); !s.ok()) return s;
  if (absl::Status s = apply_relocations(); !s.ok()) return s;

  void* entry_address = nullptr;
  for (uint64_t i = 1; i < num_symbols_ && entry_address == nullptr; ++i) {
    absl::StatusOr<Elf64_Sym> sym = symbol(i);
    if (!sym.ok()) return sym.status();
    const int bind = ELF64_ST_BIND(sym->st_info), type = ELF64_ST_TYPE(sym->st_info);
    if ((bind != STB_GLOBAL && bind != STB_WEAK) || (type != STT_FUNC && type != STT_NOTYPE)) continue;
    if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= sections_.size()) continue;
    absl::StatusOr<std::string> name = symbol_name(*sym);
    if (!name.ok()) return name.status();
    if (*name != entry) continue;
    if (sections_[sym->st_shndx].group != kExec) return bad(absl::StrCat("entry '", entry, "' is not code"));
    bool external;
    absl::StatusOr<uint64_t> address = resolve(i, &external);
    if (!address.ok()) return address.status();
    entry_address = reinterpret_cast<void*>(*address);
  }
  if (entry_address == nullptr) return absl::NotFoundError(absl::StrCat("no function '", entry, "' in the object"));
  if (absl::Status s = protect(); !s.ok()) return s;
  return entry_address;
}

}  // namespace

LoadedObject::~LoadedObject() {
  if (base_ != nullptr) munmap(base_, size_);
}

bool is_allowed_process_symbol(const std::string& name) { return is_allowed_process_symbol_impl(name); }

absl::StatusOr<std::unique_ptr<LoadedObject>> load_object(const void* object, size_t size, const std::string& entry,
                                                          absl::Span<const HostSymbol> symbols) {
  if (object == nullptr || size == 0) return absl::InvalidArgumentError("malformed object: empty");
  Loader loader(static_cast<const uint8_t*>(object), size, symbols);
  absl::StatusOr<void*> entry_address = loader.load(entry);
  if (!entry_address.ok()) return entry_address.status();
  std::unique_ptr<LoadedObject> out(new LoadedObject());
  loader.release(&out->base_, &out->size_);
  out->entry_ = *entry_address;
  return out;
}

}  // namespace sofie::jit
