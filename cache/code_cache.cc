#include "cache/code_cache.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace sofie::cache {

CodeCache::CodeCache(CacheOptions options) : options_(options), disk_(std::move(options)) {}

namespace {
std::mutex process_mu;
std::shared_ptr<CodeCache>* process_cache = nullptr;  // never destroyed: code may run until exit
}  // namespace

CodeCache& CodeCache::process() {
  std::lock_guard<std::mutex> lock(process_mu);
  if (process_cache == nullptr) {
    process_cache = new std::shared_ptr<CodeCache>(std::make_shared<CodeCache>(options_from_environment()));
  }
  return **process_cache;
}

void CodeCache::configure_process(const CacheOptions& options) {
  std::lock_guard<std::mutex> lock(process_mu);
  // The previous instance is leaked on purpose: a compile running on another thread may still use it.
  if (process_cache != nullptr) new std::shared_ptr<CodeCache>(*process_cache);
  process_cache = new std::shared_ptr<CodeCache>(std::make_shared<CodeCache>(options));
}

CodeCache::Found CodeCache::find(const CacheKey& key, bool probe) {
  const std::string hex = key.hex();
  Found found;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(hex);
    if (it != live_.end()) {
      std::shared_ptr<const CompiledGraph> code = it->second.code.lock();
      if (code && it->second.key_bytes == key.bytes) {
        ++stats_.live_hits;
        found.source = Source::kLive;
        found.live = std::move(code);
        return found;
      }
      if (!code) live_.erase(it);
    }
    auto mem = memory_.find(hex);
    if (mem != memory_.end() && mem->second.key_bytes == key.bytes) {
      ++stats_.memory_hits;
      found.source = Source::kMemory;
      found.entry = mem->second;
      return found;
    }
  }
  DiskStore::Lookup lookup = disk_.lookup(key);
  std::lock_guard<std::mutex> lock(mu_);
  switch (lookup.outcome) {
    case DiskStore::Outcome::kHit:
      ++stats_.disk_hits;
      found.source = Source::kDisk;
      found.entry = std::move(lookup.entry);
      found.path = lookup.path;
      return found;
    case DiskStore::Outcome::kRejected:
      if (probe) return found;
      ++stats_.rejected;
      report_once(lookup.path, lookup.problem);
      break;
    case DiskStore::Outcome::kMiss:
      break;
  }
  if (!probe) ++stats_.misses;
  return found;
}

void CodeCache::store(const CacheKey& key, Entry entry) {
  absl::Status status = disk_.store(key, entry);
  std::lock_guard<std::mutex> lock(mu_);
  if (status.ok()) {
    ++stats_.stores;
    return;
  }
  if (!absl::IsFailedPrecondition(status)) {
    ++stats_.store_failures;
    report_once(disk_.dir(), std::string(status.message()));
  }
  // Read-only or disabled (or failing) disk: keep the code for this process, within the same cap.
  const std::string hex = key.hex();
  if (memory_.count(hex) != 0) return;
  const uint64_t bytes = entry.object.size() + entry.key_bytes.size() + entry.source.size();
  memory_bytes_ += bytes;
  memory_.emplace(hex, std::move(entry));
  memory_order_.push_back(hex);
  ++stats_.memory_stores;
  while (memory_bytes_ > options_.max_bytes && memory_order_.size() > 1) {
    auto it = memory_.find(memory_order_.front());
    if (it != memory_.end()) {
      memory_bytes_ -= it->second.object.size() + it->second.key_bytes.size() + it->second.source.size();
      memory_.erase(it);
    }
    memory_order_.pop_front();
  }
}

void CodeCache::add_live(const CacheKey& key, const std::shared_ptr<const CompiledGraph>& code) {
  std::lock_guard<std::mutex> lock(mu_);
  live_[key.hex()] = Live{key.bytes, code};
}

void CodeCache::reject(const CacheKey& key, const std::string& where, const std::string& problem) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.rejected;
  report_once(where, problem);
  const std::string hex = key.hex();
  if (memory_.erase(hex) != 0) {
    memory_order_.remove(hex);
  }
}

std::unique_lock<std::mutex> CodeCache::lock_key(const CacheKey& key) {
  std::shared_ptr<std::mutex> m;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<std::mutex>& slot = key_locks_[key.hex()];
    if (!slot) slot = std::make_shared<std::mutex>();
    m = slot;
  }
  // The mutex object outlives the lock: key_locks_ never drops an entry (one small mutex per key).
  return std::unique_lock<std::mutex>(*m);
}

CacheStats CodeCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void CodeCache::report_once(const std::string& where, const std::string& problem) {
  if (!reported_.insert(where).second || options_.quiet) return;
  std::fprintf(stderr, "sofie: cache: ignoring %s: %s (never executed; replaced by the next compile)\n", where.c_str(),
               problem.c_str());
}

}  // namespace sofie::cache
