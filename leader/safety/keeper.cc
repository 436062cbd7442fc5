#include "leader/safety/keeper.h"

#include "common/log.h"
#include "leader/safety/codec.h"
#include "leader/state/cluster_state.h"

namespace orcastra::leader {
namespace {

// A failing write is logged at its first failure and then every this many.
constexpr int kLogEveryFailures = 30;

}  // namespace

SafetyKeeper::SafetyKeeper(SafetyStore& store, const Clock& clock,
                           std::function<std::uint64_t()> term, std::string writer, Report report)
    : store_(store),
      clock_(clock),
      term_(std::move(term)),
      writer_(std::move(writer)),
      report_(std::move(report)) {}

void SafetyKeeper::Emit(std::string kind, std::string message) {
  Logger("safety")->info("{}: {}", kind, message);
  if (report_) report_({std::move(kind), "safety", std::move(message), {}});
}

void SafetyKeeper::Reset() {
  loaded_ = false;
  reread_ = false;
  stored_ = {};
  stored_record_.reset();
  basis_ = {};
  pause_ = {};
  failure_streak_ = 0;
  load_failure_streak_ = 0;
}

Result<std::optional<SafetyKeeper::Dependents>> SafetyKeeper::Load(
    const config::SwarmConfig& config, const std::string& default_stack,
    const Dependents& current) {
  if (loaded_ && !reread_) return std::optional<Dependents>();
  auto read = store_.Read();
  if (!read.ok()) {
    last_error_ = read.status().ToString();
    if (load_failure_streak_++ % kLogEveryFailures == 0) {
      Emit("safety_load_failed",
           "the safety record cannot be read; dependents are held until it is (" +
               std::to_string(load_failure_streak_) + " failure(s) in a row): " + last_error_);
    }
    return read.status();
  }
  load_failure_streak_ = 0;
  const SteadyTime now = clock_.Now();
  const std::int64_t wall = clock_.WallMs();
  std::optional<SafetyRecord> usable;
  std::string problem;
  if (!read->exists) {
    usable = SafetyRecord{};
  } else if (!read->problem.empty()) {
    problem = read->problem;
  } else {
    auto decoded =
        DecodeSafetyRecord(read->record_json, "config '" + read->object.name + "', its record");
    if (decoded.ok()) {
      usable = std::move(decoded).value();
    } else {
      problem = decoded.status().ToString();
    }
  }

  SafetyRecord record;
  const bool merging = loaded_ && reread_;
  if (merging) {
    // A write failed: ours stays, with whatever the stored one adds that is more cautious.
    SafetyRecord ours = RecordFromMemory(current, pause_, now, wall, basis_);
    record = usable ? MergeSafetyRecords(ours, *usable) : ours;
    if (!usable)
      Logger("safety")->warn("the stored safety record is unusable, ours replaces it: {}", problem);
  } else if (usable) {
    record = *usable;
  } else {
    record.pause = {true, "orcastra: the stored safety record was unusable", wall};
    Emit("safety_record_refused",
         "the stored safety record is unusable; dependents are paused until resume_dependents, "
         "and the record is replaced: " +
             CutText(problem, 2000));
  }
  std::size_t pruned = 0;
  Dependents memory = MemoryFromRecord(record, config, default_stack, now, wall, &pruned);
  pause_ = record.pause;
  stored_ = *read;
  stored_record_ = usable;
  basis_ = {memory, PruneSafetyRecord(record, ConfiguredDependents(config, default_stack))};
  loaded_ = true;
  reread_ = false;
  last_error_.clear();
  if (!merging) {
    int backing_off = 0;
    for (const auto& [name, m] : memory) backing_off += m.next_allowed && *m.next_allowed > now;
    Emit("safety_loaded",
         (read->exists
              ? "continuing from the record written under term " + std::to_string(read->term) +
                    " by " + (read->writer.empty() ? "?" : read->writer)
              : std::string("no record in Swarm yet")) +
             ": " + std::to_string(memory.size()) + " dependent(s) remembered, " +
             std::to_string(backing_off) + " backing off" +
             (pause_.paused ? "; dependents paused by " + pause_.by : "") +
             (pruned ? "; " + std::to_string(pruned) + " entries of unconfigured services pruned"
                     : ""));
  }
  return std::optional<Dependents>(std::move(memory));
}

Status SafetyKeeper::Failed(Status status) {
  ++write_failures_;
  last_error_ = status.ToString();
  if (status.code() == Status::Code::kAborted) {
    Emit("fenced", "the safety record was not written: " + status.message());
    Reset();
    return status;
  }
  reread_ = true;
  if (failure_streak_ == 0) {
    Emit("safety_write_failed",
         "the safety record could not be written; dependents' restarts wait, retried every "
         "cycle: " +
             status.ToString());
  } else if (failure_streak_ % kLogEveryFailures == 0) {
    Logger("safety")->warn("the safety record still cannot be written ({} failures in a row): {}",
                           failure_streak_ + 1, status.ToString());
  }
  ++failure_streak_;
  return status;
}

Status SafetyKeeper::Persist(const Dependents& dependents) {
  if (!loaded_) return Status::Unavailable("the safety record is not loaded");
  if (reread_) return Status::Unavailable("the safety record must be read again before a write");
  std::size_t dropped = 0;
  SafetyRecord desired =
      RecordFromMemory(dependents, pause_, clock_.Now(), clock_.WallMs(), basis_, &dropped);
  if (stored_record_ && desired == *stored_record_) {
    basis_ = {dependents, desired};
    return Status::Ok();
  }
  if (dropped > 0) {
    Logger("safety")->warn("{} dependents beyond the record's {} entries are not remembered",
                           dropped, kMaxSafetyEntries);
  }
  auto text = EncodeSafetyRecord(desired);
  if (!text.ok()) return Failed(text.status());
  auto written = store_.Write(*text, term_ ? term_() : 0, writer_, stored_);
  if (!written.ok()) return Failed(written.status());
  stored_ = std::move(written).value();
  stored_record_ = desired;
  basis_ = {dependents, std::move(desired)};
  ++writes_;
  if (failure_streak_ > 0) {
    Emit("safety_written", "the safety record is written again after " +
                               std::to_string(failure_streak_) + " failure(s)");
  }
  failure_streak_ = 0;
  last_error_.clear();
  return Status::Ok();
}

Status SafetyKeeper::SetPause(bool paused, std::string by) {
  if (!loaded_) {
    return Status::Unavailable("the safety record is not loaded yet; try again in a moment");
  }
  pause_ = {paused, std::move(by), clock_.WallMs()};
  return Status::Ok();
}

nlohmann::json SafetyKeeper::StatusJson() const {
  return {{"loaded", loaded_},
          {"version", stored_.exists ? stored_.object.version : 0},
          {"term", stored_.term},
          {"writer", stored_.writer},
          {"reread_pending", reread_},
          {"writes", writes_},
          {"write_failures", write_failures_},
          {"error", last_error_}};
}

}  // namespace orcastra::leader
