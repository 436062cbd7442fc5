#include "agent/modcache/plan.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/utf8.h"

namespace orcastra::agent {
namespace {

constexpr int kStateVersion = 1;

}  // namespace

std::string_view ModFetchStatusName(ModFetchStatus status) {
  switch (status) {
    case ModFetchStatus::kDownloaded:
      return "downloaded";
    case ModFetchStatus::kNotModified:
      return "not_modified";
    case ModFetchStatus::kSameContent:
      return "same_content";
    case ModFetchStatus::kHashMismatch:
      return "hash_mismatch";
    case ModFetchStatus::kFailed:
      return "failed";
  }
  return "?";
}

std::string_view ModOutcomeName(ModOutcome outcome) {
  switch (outcome) {
    case ModOutcome::kUpdated:
      return "updated";
    case ModOutcome::kUnchanged:
      return "unchanged";
    case ModOutcome::kFailed:
      return "failed";
  }
  return "?";
}

std::string EncodeModcacheState(const std::vector<PersistedMod>& mods) {
  // JSON holds UTF-8 only. A validator or hash that is not (an ETag is a server's bytes) is left
  // out rather than written with U+FFFD, which would send a wrong validator after a restart;
  // without one the next fetch is a full download. A record whose file or URL is not is dropped.
  auto kept = [](const std::string& text) { return IsValidUtf8(text) ? text : std::string(); };
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : mods) {
    if (!IsValidUtf8(m.file) || !IsValidUtf8(m.url) || m.bytes < 0) continue;
    list.push_back({{"file", m.file},
                    {"url", m.url},
                    {"etag", kept(m.etag)},
                    {"last_modified", kept(m.last_modified)},
                    {"sha256", kept(m.sha256)},
                    {"bytes", m.bytes}});
  }
  nlohmann::json doc = {{"version", kStateVersion}, {"mods", list}};
  return DumpJson(doc, 2) + "\n";
}

Result<std::vector<PersistedMod>> DecodeModcacheState(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::ParseError("modcache state: not a JSON object");
  }
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || *version != kStateVersion) {
    return Status::Unsupported("modcache state: unknown version");
  }
  auto mods = doc.find("mods");
  if (mods == doc.end() || !mods->is_array()) {
    return Status::ParseError("modcache state: \"mods\" is not a list");
  }
  std::vector<PersistedMod> out;
  for (const auto& m : *mods) {
    if (!m.is_object()) return Status::ParseError("modcache state: an entry is not an object");
    auto text_of = [&](const char* key, std::string* target) {
      auto it = m.find(key);
      if (it == m.end() || !it->is_string()) return false;
      *target = it->get<std::string>();
      return true;
    };
    PersistedMod mod;
    if (!text_of("file", &mod.file) || !text_of("url", &mod.url) || !text_of("etag", &mod.etag) ||
        !text_of("last_modified", &mod.last_modified) || !text_of("sha256", &mod.sha256)) {
      return Status::ParseError("modcache state: an entry lacks a string field");
    }
    auto bytes = m.find("bytes");
    if (bytes == m.end() || !bytes->is_number_unsigned() ||
        bytes->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      return Status::ParseError("modcache state: an entry lacks \"bytes\" (a byte count)");
    }
    mod.bytes = bytes->get<std::int64_t>();
    out.push_back(std::move(mod));
  }
  return out;
}

ModcacheState::ModcacheState(ModcachePolicy policy, std::vector<PersistedMod> persisted)
    : policy_(policy) {
  for (auto& p : persisted) {
    std::string file = p.file;
    persisted_[file] = std::move(p);
  }
}

std::size_t ModcacheState::SetSources(const std::vector<config::ModSource>& all_sources,
                                      SteadyTime now) {
  const std::size_t taken = std::min(all_sources.size(), kMaxModSources);
  const std::vector<config::ModSource> sources(
      all_sources.begin(), all_sources.begin() + static_cast<std::ptrdiff_t>(taken));
  // Remember what the forgotten sources had installed, in case they come back (before the loop
  // below moves the kept states out of sources_).
  for (const auto& old : sources_) {
    bool kept = std::any_of(sources.begin(), sources.end(),
                            [&](const config::ModSource& s) { return s.file == old.source.file; });
    if (!kept && old.have_file) {
      persisted_[old.source.file] = {old.source.file,   old.source.url, old.etag,
                                     old.last_modified, old.sha256,     old.bytes};
    }
  }
  std::vector<ModSourceState> next;
  next.reserve(sources.size());
  for (const auto& source : sources) {
    auto old = std::find_if(sources_.begin(), sources_.end(),
                            [&](const ModSourceState& s) { return s.source.file == source.file; });
    if (old != sources_.end()) {
      ModSourceState state = std::move(*old);
      bool same_target = state.source.url == source.url && state.source.sha256 == source.sha256;
      if (!same_target) {
        // Start afresh, but keep knowing what the file in place is (sha256, have_file).
        state.etag.clear();
        state.last_modified.clear();
        state.consecutive_failures = 0;
        state.last_error.clear();
        state.next_attempt = now;
      }
      state.source = source;
      next.push_back(std::move(state));
      continue;
    }
    ModSourceState state;
    state.source = source;
    state.next_attempt = now;
    auto p = persisted_.find(source.file);
    if (p != persisted_.end() && !p->second.sha256.empty()) {
      const PersistedMod& mod = p->second;
      state.have_file = true;
      state.sha256 = mod.sha256;
      state.bytes = mod.bytes;
      bool pinned_ok = !source.sha256 || *source.sha256 == mod.sha256;
      if (mod.url == source.url && pinned_ok) {
        state.etag = mod.etag;
        state.last_modified = mod.last_modified;
      }
    }
    next.push_back(std::move(state));
  }
  sources_ = std::move(next);
  for (const auto& s : sources_) persisted_.erase(s.source.file);  // current: no record needed
  return all_sources.size() - taken;
}

std::size_t ModcacheState::PruneForgotten(
    const std::function<bool(const std::string&)>& file_present) {
  const std::size_t before = persisted_.size();
  std::erase_if(persisted_, [&](const auto& entry) { return !file_present(entry.first); });
  while (persisted_.size() > kMaxModSources) persisted_.erase(std::prev(persisted_.end()));
  return before - persisted_.size();
}

std::vector<std::string> ModcacheState::Due(SteadyTime now, bool force) const {
  std::vector<std::string> out;
  for (const auto& s : sources_) {
    if (force || s.next_attempt <= now) out.push_back(s.source.file);
  }
  return out;
}

std::optional<SteadyTime> ModcacheState::NextAttempt() const {
  std::optional<SteadyTime> earliest;
  for (const auto& s : sources_) {
    if (!earliest || s.next_attempt < *earliest) earliest = s.next_attempt;
  }
  return earliest;
}

ModFetchRequest ModcacheState::Request(const std::string& file, bool file_present) const {
  ModFetchRequest request;
  const ModSourceState* s = Find(file);
  if (s == nullptr) return request;
  request.file = s->source.file;
  request.url = s->source.url;
  request.expected_sha256 = s->source.sha256;
  if (file_present && s->have_file) {
    request.etag = s->etag;
    request.last_modified = s->last_modified;
    request.current_sha256 = s->sha256;
  }
  return request;
}

std::chrono::seconds ModcacheState::Backoff(int failures) const {
  if (failures <= 0) return std::chrono::seconds(0);
  std::chrono::seconds delay = policy_.backoff_base;
  for (int i = 1; i < failures && delay < policy_.backoff_max; ++i) delay *= 2;
  return std::min(delay, policy_.backoff_max);
}

ModDecision ModcacheState::OnResult(const std::string& file, const ModFetchResult& result,
                                    SteadyTime now) {
  ModDecision decision;
  ModSourceState* s = Mutable(file);
  if (s == nullptr) {
    decision.detail = "not a current source";
    return decision;
  }
  std::string error;
  switch (result.status) {
    case ModFetchStatus::kDownloaded:
      s->etag = result.etag;
      s->last_modified = result.last_modified;
      s->sha256 = result.sha256;
      s->bytes = result.bytes;
      s->have_file = true;
      decision.outcome = ModOutcome::kUpdated;
      break;
    case ModFetchStatus::kSameContent:
      s->etag = result.etag;
      s->last_modified = result.last_modified;
      decision.outcome = ModOutcome::kUnchanged;
      break;
    case ModFetchStatus::kNotModified:
      if (!s->have_file) {
        error = "the server answered 304 Not Modified, but there is no cached copy";
      } else {
        decision.outcome = ModOutcome::kUnchanged;
      }
      break;
    case ModFetchStatus::kHashMismatch:
    case ModFetchStatus::kFailed:
      error = result.error.empty() ? std::string(ModFetchStatusName(result.status)) : result.error;
      break;
  }
  if (error.empty()) {
    s->consecutive_failures = 0;
    s->last_error.clear();
    s->next_attempt = now + policy_.refresh_interval;
    decision.retry_in = policy_.refresh_interval;
  } else {
    decision.outcome = ModOutcome::kFailed;
    ++s->consecutive_failures;
    s->last_error = error;
    decision.retry_in = Backoff(s->consecutive_failures);
    s->next_attempt = now + decision.retry_in;
    decision.detail = error;
  }
  decision.consecutive_failures = s->consecutive_failures;
  return decision;
}

void ModcacheState::OnSkipped(const std::string& file, SteadyTime now) {
  if (ModSourceState* s = Mutable(file)) s->next_attempt = now + policy_.refresh_interval;
}

const ModSourceState* ModcacheState::Find(const std::string& file) const {
  auto it = std::find_if(sources_.begin(), sources_.end(),
                         [&](const ModSourceState& s) { return s.source.file == file; });
  return it == sources_.end() ? nullptr : &*it;
}

ModSourceState* ModcacheState::Mutable(const std::string& file) {
  return const_cast<ModSourceState*>(Find(file));
}

std::vector<PersistedMod> ModcacheState::ToPersist() const {
  std::vector<PersistedMod> out;
  for (const auto& s : sources_) {
    if (!s.have_file) continue;
    out.push_back({s.source.file, s.source.url, s.etag, s.last_modified, s.sha256, s.bytes});
  }
  // Files of sources forgotten this run keep their record, so a source that comes back later
  // (a container restarted) still sends its validators.
  for (const auto& entry : persisted_) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string& file = entry.first;
    const PersistedMod& p = entry.second;
    bool current = std::any_of(sources_.begin(), sources_.end(),
                               [&](const ModSourceState& s) { return s.source.file == file; });
    if (!current && !p.sha256.empty()) out.push_back(p);
  }
  return out;
}

}  // namespace orcastra::agent
