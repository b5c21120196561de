#include "cache/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sofie::cache {
namespace {

constexpr char kMagic[8] = {'S', 'O', 'F', 'I', 'E', 'O', 'B', 'J'};
constexpr uint32_t kFormat = 1;
constexpr size_t kHeaderBytes = 128;
constexpr uint64_t kMaxEntryBytes = uint64_t{1} << 30;
constexpr char kSuffix[] = ".entry";
constexpr char kTempPrefix[] = ".tmp.";
constexpr int64_t kStaleTempSeconds = 600;

void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}
void put_digest(char* p, const Digest128& d) {
  put_u64(p, d.low);
  put_u64(p + 8, d.high);
}
Digest128 get_digest(const char* p) { return Digest128{get_u64(p), get_u64(p + 8)}; }

std::string serialize_meta(const EntryMeta& meta) {
  std::string out;
  for (const auto& [name, value] : meta.fields) {
    std::string v = value;
    std::replace(v.begin(), v.end(), '\n', ' ');
    absl::StrAppend(&out, name, "=", v, "\n");
  }
  return out;
}

EntryMeta parse_meta(const std::string& text) {
  EntryMeta meta;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    meta.fields[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  return meta;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_permission_error(int e) { return e == EACCES || e == EROFS || e == EPERM; }

// Reads a whole file of at most kMaxEntryBytes; errno-style failures as NotFound / Internal.
absl::StatusOr<std::string> read_file(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return absl::InternalError(absl::StrCat("fstat: ", std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return absl::DataLossError("not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxEntryBytes) return absl::DataLossError("larger than any entry");
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(fd, &bytes[done], bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat("read: ", std::strerror(errno)));
    if (n == 0) break;  // shrank meanwhile: parse_entry reports it truncated
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

absl::StatusOr<std::string> read_path(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(path);
    return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  }
  absl::StatusOr<std::string> bytes = read_file(fd);
  close(fd);
  return bytes;
}

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// mkdir -p; returns 0 or an errno.
int make_dirs(const std::string& path) {
  if (path.empty()) return ENOENT;
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      partial = path.substr(0, i);
      if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return errno;
    }
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return errno;
  return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

struct DirEntry {
  std::string name, path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

std::vector<DirEntry> scan(const std::string& dir, bool temps) {
  std::vector<DirEntry> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    const bool is_temp = name.rfind(kTempPrefix, 0) == 0;
    if (temps ? !is_temp : (is_temp || !ends_with(name, kSuffix))) continue;
    DirEntry de;
    de.name = name;
    de.path = dir + "/" + name;
    struct stat st;
    if (lstat(de.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    de.size = static_cast<uint64_t>(st.st_size);
    de.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    out.push_back(de);
  }
  closedir(d);
  return out;
}

std::atomic<uint64_t> temp_counter{0};

}  // namespace

std::string serialize_entry(const Entry& entry) {
  const std::string meta = serialize_meta(entry.meta);
  std::string out(kHeaderBytes, '\0');
  char* h = &out[0];
  std::memcpy(h, kMagic, 8);
  put_u32(h + 8, kFormat);
  put_u32(h + 12, kHeaderBytes);
  put_u64(h + 16, entry.key_bytes.size());
  put_u64(h + 24, entry.object.size());
  put_u64(h + 32, entry.source.size());
  put_u64(h + 40, meta.size());
  put_digest(h + 48, hash128(entry.key_bytes));
  put_digest(h + 64, hash128(entry.object));
  put_digest(h + 80, hash128(entry.source));
  put_digest(h + 96, hash128(meta));
  put_u64(h + 120, hash64(h, 120));
  out.reserve(kHeaderBytes + entry.key_bytes.size() + entry.object.size() + entry.source.size() + meta.size());
  out += entry.key_bytes;
  out += entry.object;
  out += entry.source;
  out += meta;
  return out;
}

absl::StatusOr<Entry> parse_entry(const std::string& bytes) {
  if (bytes.size() < kHeaderBytes) {
    return absl::DataLossError(bytes.size() >= 8 && std::memcmp(bytes.data(), kMagic, 8) == 0
                                   ? "truncated header"
                                   : "not a cache entry (too short)");
  }
  const char* h = bytes.data();
  if (std::memcmp(h, kMagic, 8) != 0) return absl::DataLossError("not a cache entry (bad magic)");
  if (get_u64(h + 120) != hash64(h, 120)) return absl::DataLossError("header checksum mismatch");
  if (get_u32(h + 8) != kFormat) return absl::DataLossError(absl::StrCat("unknown format ", get_u32(h + 8)));
  if (get_u32(h + 12) != kHeaderBytes) return absl::DataLossError("unexpected header size");
  uint64_t sizes[4];
  uint64_t total = kHeaderBytes;
  for (int i = 0; i < 4; ++i) {
    sizes[i] = get_u64(h + 16 + 8 * i);
    if (sizes[i] > kMaxEntryBytes) return absl::DataLossError("section size out of range");
    total += sizes[i];
  }
  if (total > bytes.size()) return absl::DataLossError(absl::StrCat("truncated (", bytes.size(), " of ", total, " bytes)"));
  if (total < bytes.size()) return absl::DataLossError("trailing bytes after the entry");
  std::string parts[4];
  uint64_t offset = kHeaderBytes;
  const char* names[4] = {"key", "object", "source", "metadata"};
  for (int i = 0; i < 4; ++i) {
    parts[i].assign(bytes.data() + offset, sizes[i]);
    offset += sizes[i];
    if (hash128(parts[i]) != get_digest(h + 48 + 16 * i)) {
      return absl::DataLossError(absl::StrCat(names[i], " checksum mismatch"));
    }
  }
  if (parts[1].empty()) return absl::DataLossError("empty object");
  Entry e;
  e.key_bytes = std::move(parts[0]);
  e.object = std::move(parts[1]);
  e.source = std::move(parts[2]);
  e.meta = parse_meta(parts[3]);
  return e;
}

std::string default_cache_dir() {
  const char* v = std::getenv("SOFIE_CACHE_DIR");
  if (v != nullptr && *v != '\0') return v;
  // Under `bazel test`: a folder of the test's own, never the user's cache (tests stay hermetic).
  v = std::getenv("TEST_TMPDIR");
  if (v != nullptr && *v == '/') return absl::StrCat(v, "/sofie-cache");
  v = std::getenv("XDG_CACHE_HOME");
  if (v != nullptr && *v == '/') return absl::StrCat(v, "/sofie");
  v = std::getenv("HOME");
  if (v != nullptr && *v != '\0') return absl::StrCat(v, "/.cache/sofie");
  return "";
}

CacheOptions options_from_environment() {
  CacheOptions o;
  if (const char* v = std::getenv("SOFIE_CACHE")) {
    const std::string mode = v;
    if (mode == "off" || mode == "0" || mode == "none") o.disabled = true;
    if (mode == "readonly" || mode == "read-only" || mode == "ro") o.read_only = true;
  }
  if (const char* v = std::getenv("SOFIE_CACHE_MAX_MB")) {
    uint64_t mb;
    if (absl::SimpleAtoi(v, &mb)) o.max_bytes = mb << 20;
  }
  return o;
}

DiskStore::DiskStore(CacheOptions options) : options_(std::move(options)) {
  read_only_ = options_.read_only;
  if (options_.disabled) return;
  const std::string root = options_.dir.empty() ? default_cache_dir() : options_.dir;
  if (root.empty()) return;
  dir_ = root + "/v1";
}

std::string DiskStore::entry_path(const CacheKey& key) const { return absl::StrCat(dir_, "/", key.hex(), kSuffix); }

void DiskStore::enter_read_only(const std::string& why) {
  if (!read_only_.exchange(true) && !options_.quiet) {
    std::fprintf(stderr, "sofie: cache %s is not writable (%s): new code stays in memory\n", dir_.c_str(),
                 why.c_str());
  }
}

DiskStore::Lookup DiskStore::lookup(const CacheKey& key) {
  Lookup out;
  if (!enabled()) return out;
  out.path = entry_path(key);
  int fd = open(out.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    add_counters({0, 1, 0, 0, 0});
    return out;
  }
  absl::StatusOr<std::string> bytes = read_file(fd);
  absl::StatusOr<Entry> entry = bytes.ok() ? parse_entry(*bytes) : absl::StatusOr<Entry>(bytes.status());
  if (entry.ok() && entry->key_bytes != key.bytes) {
    const std::string their_cpu = key_header_field(entry->key_bytes, "cpu");
    entry = absl::DataLossError(their_cpu != key_header_field(key.bytes, "cpu")
                                    ? "built for another CPU (key mismatch)"
                                    : "key mismatch (another key under this name)");
  }
  if (!entry.ok()) {
    close(fd);
    out.outcome = Outcome::kRejected;
    out.problem = std::string(entry.status().message());
    add_counters({0, 0, 0, 1, 0});
    return out;
  }
  if (writable()) futimens(fd, nullptr);  // last use, for eviction; a failure only ages the entry
  close(fd);
  out.outcome = Outcome::kHit;
  out.entry = std::move(*entry);
  add_counters({1, 0, 0, 0, 0});
  return out;
}

absl::Status DiskStore::store(const CacheKey& key, const Entry& entry) {
  if (!enabled()) return absl::FailedPreconditionError("the on-disk cache is disabled");
  if (!writable()) return absl::FailedPreconditionError(absl::StrCat("cache ", dir_, " is read-only"));
  if (int e = make_dirs(dir_); e != 0) {
    if (is_permission_error(e)) {
      enter_read_only(std::strerror(e));
      return absl::FailedPreconditionError(absl::StrCat("cache ", dir_, " is read-only"));
    }
    return absl::InternalError(absl::StrCat("cannot create ", dir_, ": ", std::strerror(e)));
  }
  const std::string path = entry_path(key);
  // Another process may have stored this key meanwhile: keep its (intact) entry.
  if (absl::StatusOr<std::string> existing = read_path(path); existing.ok()) {
    absl::StatusOr<Entry> parsed = parse_entry(*existing);
    if (parsed.ok() && parsed->key_bytes == key.bytes) return absl::OkStatus();
  }
  const std::string temp = absl::StrCat(dir_, "/", kTempPrefix, key.hex(), ".", getpid(), ".", temp_counter++);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int e = errno;
    if (is_permission_error(e)) {
      enter_read_only(std::strerror(e));
      return absl::FailedPreconditionError(absl::StrCat("cache ", dir_, " is read-only"));
    }
    return absl::InternalError(absl::StrCat("cannot create ", temp, ": ", std::strerror(e)));
  }
  const std::string bytes = serialize_entry(entry);
  const bool written = write_all(fd, bytes);
  const int write_errno = errno;
  if (close(fd) != 0 || !written) {
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", temp, ": ", std::strerror(write_errno)));
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename into ", path, ": ", std::strerror(e)));
  }
  add_counters({0, 0, 1, 0, 0});
  evict(path);
  return absl::OkStatus();
}

void DiskStore::evict(const std::string& keep_path) {
  const int64_t now_ns = int64_t{std::time(nullptr)} * 1000000000;
  for (const DirEntry& t : scan(dir_, /*temps=*/true)) {
    if (now_ns - t.mtime_ns > kStaleTempSeconds * 1000000000) unlink(t.path.c_str());  // a writer that died
  }
  std::vector<DirEntry> entries = scan(dir_, /*temps=*/false);
  uint64_t total = 0;
  for (const DirEntry& e : entries) total += e.size;
  if (total <= options_.max_bytes) return;
  std::sort(entries.begin(), entries.end(), [](const DirEntry& a, const DirEntry& b) { return a.mtime_ns < b.mtime_ns; });
  uint64_t evicted = 0;
  for (const DirEntry& e : entries) {
    if (total <= options_.max_bytes) break;
    if (e.path == keep_path) continue;
    if (unlink(e.path.c_str()) == 0) {
      total -= e.size;
      ++evicted;
    }
  }
  if (evicted > 0) add_counters({0, 0, 0, 0, evicted});
}

void DiskStore::add_counters(const StoreCounters& delta) {
  if (!writable()) return;
  const std::string path = dir_ + "/counters";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT && make_dirs(dir_) == 0) fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;  // not writable: counters are best effort
  if (flock(fd, LOCK_EX) == 0) {
    char buf[40] = {};
    const ssize_t n = pread(fd, buf, sizeof buf, 0);
    uint64_t v[5] = {0, 0, 0, 0, 0};
    if (n == static_cast<ssize_t>(sizeof buf)) {
      for (int i = 0; i < 5; ++i) v[i] = get_u64(buf + 8 * i);
    }
    v[0] += delta.hits;
    v[1] += delta.misses;
    v[2] += delta.stores;
    v[3] += delta.rejected;
    v[4] += delta.evicted;
    for (int i = 0; i < 5; ++i) put_u64(buf + 8 * i, v[i]);
    (void)!pwrite(fd, buf, sizeof buf, 0);
    flock(fd, LOCK_UN);
  }
  close(fd);
}

StoreCounters DiskStore::counters() const {
  StoreCounters c;
  if (!enabled()) return c;
  absl::StatusOr<std::string> bytes = read_path(dir_ + "/counters");
  if (!bytes.ok() || bytes->size() != 40) return c;
  const char* p = bytes->data();
  c.hits = get_u64(p);
  c.misses = get_u64(p + 8);
  c.stores = get_u64(p + 16);
  c.rejected = get_u64(p + 24);
  c.evicted = get_u64(p + 32);
  return c;
}

std::vector<EntryInfo> DiskStore::list() const {
  std::vector<EntryInfo> out;
  if (!enabled()) return out;
  std::vector<DirEntry> entries = scan(dir_, /*temps=*/false);
  std::sort(entries.begin(), entries.end(), [](const DirEntry& a, const DirEntry& b) { return a.mtime_ns > b.mtime_ns; });
  for (const DirEntry& de : entries) {
    EntryInfo info;
    info.name = de.name.substr(0, de.name.size() - std::strlen(kSuffix));
    info.path = de.path;
    info.size = de.size;
    info.last_use = de.mtime_ns / 1000000000;
    absl::StatusOr<std::string> bytes = read_path(de.path);
    absl::StatusOr<Entry> entry = bytes.ok() ? parse_entry(*bytes) : absl::StatusOr<Entry>(bytes.status());
    if (!entry.ok()) {
      info.problem = std::string(entry.status().message());
    } else if (hash128(entry->key_bytes).hex() != info.name) {
      info.problem = "stored under another key's name";
    } else {
      info.meta = entry->meta;
      info.cpu = key_header_field(entry->key_bytes, "cpu");
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<EntryInfo> DiskStore::verify(bool remove_bad) {
  std::vector<EntryInfo> infos = list();
  if (remove_bad && writable()) {
    for (const EntryInfo& info : infos) {
      if (!info.problem.empty()) unlink(info.path.c_str());
    }
    const int64_t now_ns = int64_t{std::time(nullptr)} * 1000000000;
    for (const DirEntry& t : scan(dir_, /*temps=*/true)) {
      if (now_ns - t.mtime_ns > kStaleTempSeconds * 1000000000) unlink(t.path.c_str());
    }
  }
  return infos;
}

absl::StatusOr<int> DiskStore::clear() {
  if (!enabled()) return 0;
  if (read_only_) return absl::FailedPreconditionError(absl::StrCat("cache ", dir_, " is read-only"));
  int removed = 0;
  for (bool temps : {false, true}) {
    for (const DirEntry& e : scan(dir_, temps)) {
      if (unlink(e.path.c_str()) == 0) {
        removed += temps ? 0 : 1;
      } else if (is_permission_error(errno)) {
        return absl::PermissionDeniedError(absl::StrCat("cannot remove ", e.path, ": ", std::strerror(errno)));
      }
    }
  }
  unlink((dir_ + "/counters").c_str());
  return removed;
}

}  // namespace sofie::cache
