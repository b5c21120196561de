// The on-disk store on synthetic entries: round trips, counters, corruption byte by byte, truncation,
// eviction under a size cap, read-only mode, list/verify/clear.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/time.h>

#include <cstdlib>

#include "cache/store.h"
#include "tests/cache/cache_test_util.h"

namespace sofie::cache {
namespace {

using cache_testing::entry_files;
using cache_testing::fresh_dir;
using cache_testing::read_bytes;
using cache_testing::write_bytes;

CacheKey test_key(const std::string& text) {
  CacheKey k;
  k.bytes = "sofie-cache-key 1\ncpu=" + host_cpu_fingerprint() + "\n" + std::string(1, '\0') + text;
  k.digest = hash128(k.bytes);
  return k;
}

Entry test_entry(const CacheKey& key, size_t object_bytes) {
  Entry e;
  e.key_bytes = key.bytes;
  e.object.resize(object_bytes);
  for (size_t i = 0; i < object_bytes; ++i) e.object[i] = static_cast<char>((i * 131 + key.bytes.size()) & 0xff);
  e.source = "extern \"C\" int sofie_graph() { return 0; }\n";
  e.meta.fields["model"] = "test";
  e.meta.fields["shape_class"] = "x[batch,7]";
  return e;
}

CacheOptions options_for(const std::string& dir) {
  CacheOptions o;
  o.dir = dir;
  o.quiet = true;
  return o;
}

void set_mtime(const std::string& path, time_t t) {
  struct timeval tv[2] = {{t, 0}, {t, 0}};
  REQUIRE(utimes(path.c_str(), tv) == 0);
}

TEST_CASE("entries round-trip and every field is kept") {
  const CacheKey key = test_key("a");
  const Entry e = test_entry(key, 1000);
  auto parsed = parse_entry(serialize_entry(e));
  REQUIRE(parsed.ok());
  CHECK(parsed->key_bytes == e.key_bytes);
  CHECK(parsed->object == e.object);
  CHECK(parsed->source == e.source);
  CHECK(parsed->meta.get("model") == "test");
  CHECK(parsed->meta.get("shape_class") == "x[batch,7]");
}

TEST_CASE("lookups count hits and misses, in the process and in the folder") {
  const std::string dir = fresh_dir("counters");
  DiskStore store(options_for(dir));
  const CacheKey a = test_key("a"), b = test_key("b");
  CHECK(store.lookup(a).outcome == DiskStore::Outcome::kMiss);
  REQUIRE(store.store(a, test_entry(a, 100)).ok());
  auto hit = store.lookup(a);
  REQUIRE(hit.outcome == DiskStore::Outcome::kHit);
  CHECK(hit.entry.object == test_entry(a, 100).object);
  CHECK(store.lookup(a).outcome == DiskStore::Outcome::kHit);
  CHECK(store.lookup(b).outcome == DiskStore::Outcome::kMiss);
  const StoreCounters c = store.counters();
  CHECK(c.hits == 2);
  CHECK(c.misses == 2);
  CHECK(c.stores == 1);
  // Another store object (another process) sees the same counters.
  CHECK(DiskStore(options_for(dir)).counters().hits == 2);
}

TEST_CASE("every single corrupted byte of an entry is detected") {
  const std::string dir = fresh_dir("corrupt");
  DiskStore store(options_for(dir));
  const CacheKey key = test_key("corrupt me");
  REQUIRE(store.store(key, test_entry(key, 700)).ok());
  const std::string path = store.entry_path(key);
  const std::string good = read_bytes(path);
  int rejected = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      write_bytes(path, bad);
      auto r = store.lookup(key);
      if (r.outcome != DiskStore::Outcome::kRejected) FAIL("byte " << i << " flipped by " << int(flip) << " not detected");
      ++rejected;
    }
  }
  CHECK(rejected == static_cast<int>(2 * good.size()));
  // A store replaces the damaged entry.
  write_bytes(path, good.substr(0, 10) + "garbage");
  CHECK(store.lookup(key).outcome == DiskStore::Outcome::kRejected);
  REQUIRE(store.store(key, test_entry(key, 700)).ok());
  CHECK(store.lookup(key).outcome == DiskStore::Outcome::kHit);
}

TEST_CASE("truncated entries and foreign files are rejected") {
  const std::string dir = fresh_dir("truncated");
  DiskStore store(options_for(dir));
  const CacheKey key = test_key("truncate me");
  REQUIRE(store.store(key, test_entry(key, 500)).ok());
  const std::string path = store.entry_path(key);
  const std::string good = read_bytes(path);
  for (size_t n = 0; n < good.size(); ++n) {
    write_bytes(path, good.substr(0, n));
    auto r = store.lookup(key);
    if (r.outcome != DiskStore::Outcome::kRejected) FAIL("truncation to " << n << " bytes not detected");
  }
  write_bytes(path, good + "x");
  CHECK(store.lookup(key).outcome == DiskStore::Outcome::kRejected);

  // An intact entry of another key stored under this key's name (e.g. copied by hand).
  const CacheKey other = test_key("another key");
  write_bytes(path, serialize_entry(test_entry(other, 500)));
  auto r = store.lookup(key);
  CHECK(r.outcome == DiskStore::Outcome::kRejected);
  CHECK(r.problem.find("key mismatch") != std::string::npos);

  // The same model compiled on another CPU, renamed to this key.
  CacheKey foreign;
  foreign.bytes = "sofie-cache-key 1\ncpu=x86-64 SomeOtherCPU\n" + std::string(1, '\0') + "truncate me";
  foreign.digest = hash128(foreign.bytes);
  write_bytes(path, serialize_entry(test_entry(foreign, 500)));
  r = store.lookup(key);
  CHECK(r.outcome == DiskStore::Outcome::kRejected);
  CHECK(r.problem.find("another CPU") != std::string::npos);
  CHECK(store.counters().rejected >= good.size());
}

TEST_CASE("the size cap evicts the least recently used entries") {
  const std::string dir = fresh_dir("evict");
  CacheOptions o = options_for(dir);
  const size_t object = 10000;
  const uint64_t one = serialize_entry(test_entry(test_key("k0"), object)).size();
  o.max_bytes = 3 * one + one / 2;  // room for three
  DiskStore store(o);
  std::vector<CacheKey> keys;
  for (int i = 0; i < 3; ++i) {
    keys.push_back(test_key("k" + std::to_string(i)));
    REQUIRE(store.store(keys.back(), test_entry(keys.back(), object)).ok());
    set_mtime(store.entry_path(keys.back()), 1000000 + i * 100);  // k0 oldest
  }
  CHECK(entry_files(dir).size() == 3);
  // A hit on k0 makes it the most recent; k1 is now the least recently used.
  REQUIRE(store.lookup(keys[0]).outcome == DiskStore::Outcome::kHit);
  keys.push_back(test_key("k3"));
  REQUIRE(store.store(keys.back(), test_entry(keys.back(), object)).ok());
  CHECK(entry_files(dir).size() == 3);
  CHECK(store.lookup(keys[1]).outcome == DiskStore::Outcome::kMiss);
  CHECK(store.lookup(keys[0]).outcome == DiskStore::Outcome::kHit);
  CHECK(store.lookup(keys[2]).outcome == DiskStore::Outcome::kHit);
  CHECK(store.lookup(keys[3]).outcome == DiskStore::Outcome::kHit);
  CHECK(store.counters().evicted == 1);
}

TEST_CASE("a read-only store serves hits and never writes") {
  const std::string dir = fresh_dir("readonly");
  const CacheKey key = test_key("ro");
  REQUIRE(DiskStore(options_for(dir)).store(key, test_entry(key, 100)).ok());
  CacheOptions o = options_for(dir);
  o.read_only = true;
  DiskStore ro(o);
  struct stat before;
  REQUIRE(stat(ro.entry_path(key).c_str(), &before) == 0);
  set_mtime(ro.entry_path(key), 1000000);
  CHECK(ro.lookup(key).outcome == DiskStore::Outcome::kHit);
  struct stat after;
  REQUIRE(stat(ro.entry_path(key).c_str(), &after) == 0);
  CHECK(after.st_mtime == 1000000);  // no last-use update either
  const CacheKey other = test_key("other");
  absl::Status s = ro.store(other, test_entry(other, 100));
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(entry_files(dir).size() == 1);
  CHECK(!ro.clear().ok());
}

TEST_CASE("list, verify and clear") {
  const std::string dir = fresh_dir("listing");
  DiskStore store(options_for(dir));
  const CacheKey a = test_key("a"), b = test_key("b");
  REQUIRE(store.store(a, test_entry(a, 100)).ok());
  REQUIRE(store.store(b, test_entry(b, 100)).ok());
  auto infos = store.list();
  REQUIRE(infos.size() == 2);
  for (const EntryInfo& i : infos) {
    CHECK(i.problem.empty());
    CHECK(i.meta.get("model") == "test");
    CHECK(i.cpu == host_cpu_fingerprint());
  }
  std::string bytes = read_bytes(store.entry_path(b));
  bytes[bytes.size() - 3] ^= 0x20;
  write_bytes(store.entry_path(b), bytes);
  auto verified = store.verify(/*remove_bad=*/true);
  int bad = 0;
  for (const EntryInfo& i : verified) bad += i.problem.empty() ? 0 : 1;
  CHECK(bad == 1);
  CHECK(entry_files(dir).size() == 1);
  auto cleared = store.clear();
  REQUIRE(cleared.ok());
  CHECK(*cleared == 1);
  CHECK(entry_files(dir).empty());
}

TEST_CASE("the cache folder comes from the environment") {
  setenv("SOFIE_CACHE_DIR", "/somewhere/else", 1);
  CHECK(default_cache_dir() == "/somewhere/else");
  unsetenv("SOFIE_CACHE_DIR");
  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  const std::string saved = test_tmpdir != nullptr ? test_tmpdir : "";
  setenv("TEST_TMPDIR", "/bazel/tmp", 1);
  CHECK(default_cache_dir() == "/bazel/tmp/sofie-cache");
  unsetenv("TEST_TMPDIR");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  CHECK(default_cache_dir() == "/xdg/sofie");
  unsetenv("XDG_CACHE_HOME");
  setenv("HOME", "/home/user", 1);
  CHECK(default_cache_dir() == "/home/user/.cache/sofie");
  setenv("SOFIE_CACHE", "readonly", 1);
  CHECK(options_from_environment().read_only);
  setenv("SOFIE_CACHE", "off", 1);
  CHECK(options_from_environment().disabled);
  unsetenv("SOFIE_CACHE");
  if (!saved.empty()) setenv("TEST_TMPDIR", saved.c_str(), 1);
}

}  // namespace
}  // namespace sofie::cache
