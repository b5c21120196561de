// The on-disk store of compiled code: one file per key, content-addressed, written to a temporary file and
// renamed into place (readers never see a partial entry), self-checking, capped in size with
// least-recently-used eviction. Knows nothing of clang or of what the object code does.
//
// Layout: <dir>/v1/<32 hex digits of the key digest>.entry, where <dir> is CacheOptions::dir, else
// $SOFIE_CACHE_DIR, else $XDG_CACHE_HOME/sofie, else $HOME/.cache/sofie. An entry file holds
//   a 128-byte header: magic "SOFIEOBJ", format, the sizes of the four sections below, the XXH3-128 of
//   each, and an XXH3-64 of the header itself;
//   the full key bytes (cache/key.h), the object code (ELF), the generated source, and metadata
//   ("name=value" lines: model, shape class, compiler, target CPU, created, ...).
// The entry's modification time is its last use (updated on every hit) and drives eviction.
//
// Entry bytes are untrusted: a read checks the header checksum, that the sizes add up to the file size,
// every section checksum and the full key bytes. Anything else is a rejected entry: reported, never
// handed out, replaced by the next store of that key.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cache/key.h"

namespace sofie::cache {

struct CacheOptions {
  // Cache root; empty: default_cache_dir().
  std::string dir;
  // Never write: lookups only (a shared read-only software area). Also entered automatically when the
  // directory turns out not to be writable (one warning); new code then stays in memory.
  bool read_only = false;
  // No disk at all: the in-memory layer only.
  bool disabled = false;
  // Size cap of the entries on disk; the least recently used go first.
  uint64_t max_bytes = uint64_t{512} << 20;
  // No warnings on stderr (tests that provoke them on purpose).
  bool quiet = false;
};

// $SOFIE_CACHE_DIR, else $XDG_CACHE_HOME/sofie, else $HOME/.cache/sofie; "" if none of them is set.
// Under `bazel test` ($TEST_TMPDIR set) $TEST_TMPDIR/sofie-cache comes before the XDG and HOME folders.
std::string default_cache_dir();
// Defaults overridden by the environment: SOFIE_CACHE_DIR (see above), SOFIE_CACHE=off|readonly,
// SOFIE_CACHE_MAX_MB=N.
CacheOptions options_from_environment();

struct EntryMeta {
  std::map<std::string, std::string> fields;  // model, shape_class, compiler, target_cpu, created, ...
  std::string get(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  }
};

struct Entry {
  std::string key_bytes;
  std::string object;
  std::string source;
  EntryMeta meta;
};

// The bytes of an entry file, and back. parse_entry checks everything and never trusts a size.
std::string serialize_entry(const Entry& entry);
absl::StatusOr<Entry> parse_entry(const std::string& bytes);

struct EntryInfo {
  std::string name;  // the key digest in hex (the file name without ".entry")
  std::string path;
  uint64_t size = 0;
  int64_t last_use = 0;  // seconds since the epoch (mtime)
  EntryMeta meta;
  std::string cpu;      // the key's target CPU
  std::string problem;  // empty when the entry is intact
};

// Counters kept in the cache directory (<dir>/v1/counters), summed over every process that used it.
struct StoreCounters {
  uint64_t hits = 0, misses = 0, stores = 0, rejected = 0, evicted = 0;
};

// Thread-safe: any number of threads (and processes) may use one store at once.
class DiskStore {
 public:
  explicit DiskStore(CacheOptions options);

  // The folder holding the entries ("" when disabled).
  const std::string& dir() const { return dir_; }
  bool enabled() const { return !dir_.empty(); }
  bool writable() const { return enabled() && !read_only_; }

  enum class Outcome { kHit, kMiss, kRejected };
  struct Lookup {
    Outcome outcome = Outcome::kMiss;
    Entry entry;          // kHit
    std::string path;
    std::string problem;  // kRejected: why ("truncated", "object checksum mismatch", ...)
  };
  // Reads the entry of `key`; on a hit marks it used (mtime). Counts hits, misses and rejections.
  Lookup lookup(const CacheKey& key);

  // Writes the entry (temp file + rename), then evicts down to the cap. Keeps an intact entry that another
  // process stored meanwhile. A directory that cannot be written switches the store to read-only and
  // returns FailedPrecondition (the caller keeps the code in memory).
  absl::Status store(const CacheKey& key, const Entry& entry);

  // Every entry with its metadata, checked fully (problem set when damaged); most recently used first.
  std::vector<EntryInfo> list() const;
  // As list(); damaged entries (and stale temporary files) are removed when `remove_bad` and writable.
  std::vector<EntryInfo> verify(bool remove_bad);
  // Removes every entry; returns how many.
  absl::StatusOr<int> clear();
  StoreCounters counters() const;
  uint64_t max_bytes() const { return options_.max_bytes; }

  std::string entry_path(const CacheKey& key) const;

 private:
  void add_counters(const StoreCounters& delta);
  void evict(const std::string& keep_path);
  void enter_read_only(const std::string& why);

  CacheOptions options_;
  std::string dir_;
  std::atomic<bool> read_only_{false};
};

}  // namespace sofie::cache
