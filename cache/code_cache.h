// The process's compiled-code cache: an in-memory layer over the on-disk store (cache/store.h).
//
//   live code     key -> the CompiledGraph some model of this process uses (weak): a second model or
//                 session with the same key shares it, no load at all;
//   memory        key -> entries that could not be written to disk (read-only or disabled store), so
//                 code compiled once is loaded again without a compile while the process lives;
//   disk          DiskStore.
//
// A JIT asks find() first and, after compiling, calls store() and add_live(). lock_key() serialises
// the compiles of one key within the process (other processes are handled by the store's rename).
// Rejected entries are reported on stderr once per file and process.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "cache/key.h"
#include "cache/store.h"
#include "runtime/tiering.h"

namespace sofie::cache {

struct CacheStats {
  int64_t live_hits = 0;    // code shared with another model of this process
  int64_t memory_hits = 0;  // loaded from an in-memory entry
  int64_t disk_hits = 0;    // loaded from disk
  int64_t misses = 0;       // compiled
  int64_t rejected = 0;     // damaged, mismatched or unloadable entries (never executed)
  int64_t stores = 0;       // entries written to disk
  int64_t memory_stores = 0;  // entries kept in memory only (read-only or disabled store)
  int64_t store_failures = 0;
};

class CodeCache {
 public:
  explicit CodeCache(CacheOptions options);

  // The process-wide cache, with options_from_environment() unless configure_process() ran first.
  static CodeCache& process();
  // Replaces the process-wide cache's options (e.g. the API's cache directory). Code already shared
  // stays alive where it is used.
  static void configure_process(const CacheOptions& options);

  enum class Source { kNone, kLive, kMemory, kDisk };
  struct Found {
    Source source = Source::kNone;
    std::shared_ptr<const CompiledGraph> live;  // kLive
    Entry entry;                                // kMemory, kDisk
    std::string path;                           // kDisk
  };
  // `probe`: a look without intent to compile (the runtime's check before a first call): misses and
  // rejected entries are not counted (the compile that follows counts them once).
  Found find(const CacheKey& key, bool probe = false);

  // Keeps the entry on disk, or in memory when the store cannot be written (one warning).
  void store(const CacheKey& key, Entry entry);
  void add_live(const CacheKey& key, const std::shared_ptr<const CompiledGraph>& code);
  // An entry that find() returned turned out unusable (e.g. the loader refused it): counted, reported
  // once, and dropped from memory; a later store() replaces it on disk.
  void reject(const CacheKey& key, const std::string& where, const std::string& problem);

  // Held while compiling `key`, so threads of this process compile each key once.
  std::unique_lock<std::mutex> lock_key(const CacheKey& key);

  CacheStats stats() const;
  DiskStore& disk() { return disk_; }
  const CacheOptions& options() const { return options_; }

 private:
  void report_once(const std::string& where, const std::string& problem);

  CacheOptions options_;
  DiskStore disk_;
  mutable std::mutex mu_;
  struct Live {
    std::string key_bytes;
    std::weak_ptr<const CompiledGraph> code;
  };
  std::unordered_map<std::string, Live> live_;  // by key hex
  std::unordered_map<std::string, Entry> memory_;
  std::list<std::string> memory_order_;  // oldest first, for the size cap
  uint64_t memory_bytes_ = 0;
  std::unordered_map<std::string, std::shared_ptr<std::mutex>> key_locks_;
  std::set<std::string> reported_;
  CacheStats stats_;
};

}  // namespace sofie::cache
