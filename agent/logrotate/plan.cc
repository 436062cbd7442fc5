#include "agent/logrotate/plan.h"

#include <algorithm>
#include <utility>

#include "common/strings.h"

namespace orcastra::agent {
namespace {

using std::chrono::days;
using std::chrono::minutes;

// ---------------------------------------------------------------------------------------------
// Decision

bool PeriodDue(RotatePeriod period, WallTime last, WallTime now, minutes offset) {
  CivilTime a = ToCivil(last, offset);
  CivilTime b = ToCivil(now, offset);
  switch (period) {
    case RotatePeriod::kNone:
      return false;
    case RotatePeriod::kHourly:
      return a.day != b.day || a.hour != b.hour;
    case RotatePeriod::kDaily:
      return a.day != b.day;
    case RotatePeriod::kWeekly:
      return b.weekday < a.weekday || now - last >= days(7);
    case RotatePeriod::kMonthly:
      return a.year != b.year || a.month != b.month;
    case RotatePeriod::kYearly:
      return a.year != b.year;
  }
  return false;
}

Decision Make(bool rotate, DecisionReason reason, std::string explanation) {
  Decision decision;
  decision.rotate = rotate;
  decision.reason = reason;
  decision.explanation = std::move(explanation);
  return decision;
}
// ---------------------------------------------------------------------------------------------
// Plans

std::string NumberedName(std::string_view path, long long index, bool compressed) {
  std::string name(path);
  name += "." + std::to_string(index);
  if (compressed) name += kCompressedSuffix;
  return name;
}

struct RotatedCopy {
  long long index = 0;
  bool compressed = false;
  std::string name;
};

// The rotated copies of `path` among `existing`, oldest (highest index) first.
std::vector<RotatedCopy> FindRotated(std::string_view path,
                                     const std::vector<std::string>& existing) {
  std::vector<RotatedCopy> copies;
  for (const std::string& name : existing) {
    std::string_view rest = name;
    if (rest.size() <= path.size() + 1 || rest.substr(0, path.size()) != path ||
        rest[path.size()] != '.') {
      continue;
    }
    rest.remove_prefix(path.size() + 1);
    bool compressed = false;
    if (rest.size() > kCompressedSuffix.size() &&
        rest.substr(rest.size() - kCompressedSuffix.size()) == kCompressedSuffix) {
      compressed = true;
      rest.remove_suffix(kCompressedSuffix.size());
    }
    if (!AllDigits(rest) || rest.front() == '0' || rest.size() > 9) continue;
    copies.push_back({static_cast<long long>(*ParseDecimal(rest)), compressed, name});
  }
  std::sort(copies.begin(), copies.end(), [](const RotatedCopy& a, const RotatedCopy& b) {
    if (a.index != b.index) return a.index > b.index;
    return a.compressed < b.compressed;
  });
  copies.erase(std::unique(copies.begin(), copies.end(),
                           [](const RotatedCopy& a, const RotatedCopy& b) {
                             return a.index == b.index && a.compressed == b.compressed;
                           }),
               copies.end());
  return copies;
}

// The three parts of one file's plan, so sharedscripts can put them in another order.
struct FilePlan {
  std::vector<RotationAction> files;     // steps 1-4
  std::vector<RotationAction> compress;  // step 6
};

RotationAction Action(RotationAction::Kind kind, std::string path, std::string target = "") {
  RotationAction action;
  action.kind = kind;
  action.path = std::move(path);
  action.target = std::move(target);
  return action;
}

FilePlan PlanFile(const LogrotateRule& rule, std::string_view path,
                  const std::vector<std::string>& existing) {
  using Kind = RotationAction::Kind;
  FilePlan plan;
  const long long keep = rule.rotate;
  std::vector<RotatedCopy> copies = FindRotated(path, existing);
  bool uncompressed_first = false;  // an uncompressed path.1 moves to path.2
  bool compressed_second = false;   // a path.2.gz will exist after the shift
  for (const RotatedCopy& copy : copies) {
    if (keep >= 0 && copy.index >= keep) {
      plan.files.push_back(Action(Kind::kDelete, copy.name));
    }
  }
  for (const RotatedCopy& copy : copies) {
    if (keep >= 0 && copy.index >= keep) continue;
    plan.files.push_back(
        Action(Kind::kRename, copy.name, NumberedName(path, copy.index + 1, copy.compressed)));
    if (copy.index == 1 && !copy.compressed) uncompressed_first = true;
    if (copy.index == 1 && copy.compressed) compressed_second = true;
  }
  const std::string live(path);
  const std::string first = NumberedName(path, 1, false);
  if (keep == 0) {
    plan.files.push_back(Action(rule.copy_truncate ? Kind::kTruncate : Kind::kDelete, live));
  } else if (rule.copy_truncate) {
    plan.files.push_back(Action(Kind::kCopy, live, first));
    plan.files.push_back(Action(Kind::kTruncate, live));
  } else {
    plan.files.push_back(Action(Kind::kRename, live, first));
  }
  if (rule.create && !rule.copy_truncate) {
    RotationAction create = Action(Kind::kCreate, live);
    create.create = *rule.create;
    plan.files.push_back(std::move(create));
  }
  if (rule.compress && keep != 0) {
    if (!rule.delay_compress) {
      plan.compress.push_back(
          Action(Kind::kCompress, first, first + std::string(kCompressedSuffix)));
    } else if (uncompressed_first && !compressed_second) {
      std::string second = NumberedName(path, 2, false);
      plan.compress.push_back(
          Action(Kind::kCompress, second, second + std::string(kCompressedSuffix)));
    }
  }
  return plan;
}

std::vector<RotationAction> PostActions(const LogrotateRule& rule) {
  std::vector<RotationAction> actions;
  for (const PostRotateAction& post : rule.post_rotate) {
    RotationAction action;
    action.kind = post.kind == PostRotateAction::Kind::kSignal ? RotationAction::Kind::kSignal
                                                               : RotationAction::Kind::kRestart;
    action.container = post.container;
    action.signal = post.signal;
    actions.push_back(std::move(action));
  }
  return actions;
}

void Append(std::vector<RotationAction>* out, std::vector<RotationAction> more) {
  for (RotationAction& action : more) out->push_back(std::move(action));
}
}  // namespace

Decision Decide(const LogrotateRule& rule, const FileFacts& file, const StateEntry& state,
                WallTime now, const DecideOptions& options) {
  using R = DecisionReason;
  const std::string bytes = std::to_string(file.size) + " bytes";
  if (!file.exists) {
    if (rule.missing_ok) return Make(false, R::kMissingOk, "the file does not exist (missingok)");
    return Make(false, R::kMissing, "the file does not exist and missingok is not set");
  }
  if (file.size == 0 && rule.not_if_empty) {
    return Make(false, R::kEmpty, "the file is empty (notifempty)");
  }
  if (options.force) return Make(true, R::kForced, "rotation forced");

  auto by_size = [&](std::uint64_t threshold, std::string_view directive) {
    const std::string limit = std::string(directive) + " " + std::to_string(threshold);
    if (file.size >= threshold) {
      return Make(true, R::kSizeReached, bytes + " reached " + limit);
    }
    return Make(false, R::kUnderSize, bytes + " is under " + limit);
  };
  if (rule.size) return by_size(*rule.size, "size");
  if (rule.period == RotatePeriod::kNone) {
    if (rule.max_size) return by_size(*rule.max_size, "maxsize");
    return Make(false, R::kNoTrigger,
                "the rule sets neither a period nor a size, so it never rotates");
  }
  const std::string period(PeriodName(rule.period));
  if (rule.max_size && file.size >= *rule.max_size) {
    return Make(true, R::kSizeReached,
                bytes + " reached maxsize " + std::to_string(*rule.max_size) + " before " + period +
                    " is due");
  }
  if (!state.last_rotated) {
    return Make(false, R::kFirstSeen,
                "first seen (no state entry): the " + period + " period starts now");
  }
  const std::string last = "last rotated " + FormatCivil(*state.last_rotated, options.utc_offset);
  if (!PeriodDue(rule.period, *state.last_rotated, now, options.utc_offset)) {
    return Make(false, R::kNotDue, period + " is not due: " + last);
  }
  if (rule.min_size && file.size < *rule.min_size) {
    return Make(
        false, R::kUnderSize,
        period + " is due but " + bytes + " is under minsize " + std::to_string(*rule.min_size));
  }
  return Make(true, R::kDue, period + " is due: " + last);
}
std::string RotationAction::ToString() const {
  switch (kind) {
    case Kind::kDelete:
      return "delete " + path;
    case Kind::kRename:
      return "rename " + path + " -> " + target;
    case Kind::kCopy:
      return "copy " + path + " -> " + target;
    case Kind::kTruncate:
      return "truncate " + path;
    case Kind::kCreate: {
      std::string out = "create " + path;
      if (create.mode) {
        std::string octal;
        std::uint32_t mode = *create.mode;
        do {
          octal.insert(octal.begin(), static_cast<char>('0' + (mode & 7U)));
          mode >>= 3;
        } while (mode != 0);
        while (octal.size() < 4) octal.insert(octal.begin(), '0');
        out += " mode " + octal;
      }
      if (!create.owner.empty()) out += " owner " + create.owner;
      if (!create.group.empty()) out += " group " + create.group;
      return out;
    }
    case Kind::kSignal:
      return "signal container " + container + " with " + signal;
    case Kind::kRestart:
      return "restart container " + container;
    case Kind::kCompress:
      return "compress " + path + " -> " + target;
  }
  return "?";
}

std::vector<RotationAction> PlanRotation(const LogrotateRule& rule, std::string_view path,
                                         const std::vector<std::string>& existing_rotated) {
  FilePlan plan = PlanFile(rule, path, existing_rotated);
  std::vector<RotationAction> actions = std::move(plan.files);
  Append(&actions, PostActions(rule));
  Append(&actions, std::move(plan.compress));
  return actions;
}

std::vector<RotationAction> PlanRuleRotation(const LogrotateRule& rule,
                                             const std::vector<DueFile>& files) {
  std::vector<RotationAction> actions;
  if (!rule.shared_scripts) {
    for (const DueFile& file : files) {
      Append(&actions, PlanRotation(rule, file.path, file.existing_rotated));
    }
    return actions;
  }
  if (files.empty()) return actions;
  std::vector<RotationAction> compress;
  for (const DueFile& file : files) {
    FilePlan plan = PlanFile(rule, file.path, file.existing_rotated);
    Append(&actions, std::move(plan.files));
    Append(&compress, std::move(plan.compress));
  }
  Append(&actions, PostActions(rule));
  Append(&actions, std::move(compress));
  return actions;
}
}  // namespace orcastra::agent
