#include "agent/commands/remote_logs.h"

#include <algorithm>

#include "common/log.h"
#include "common/utf8.h"

namespace orcastra::agent {
namespace {

constexpr std::size_t kFrameHeaderBytes = 8;
// CapOutput starts at a line boundary when one is within this many bytes of the cut.
constexpr std::size_t kLineBoundarySlack = 4096;

}  // namespace

DemuxedLogs DemuxDockerLogStream(std::string_view bytes) {
  DemuxedLogs out;
  out.text.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[pos + i]); };
    const bool whole_header = bytes.size() - pos >= kFrameHeaderBytes;
    if (!whole_header || byte(0) > 2 || byte(1) != 0 || byte(2) != 0 || byte(3) != 0) {
      out.malformed = true;
      break;
    }
    const std::size_t size = (std::size_t{byte(4)} << 24) | (std::size_t{byte(5)} << 16) |
                             (std::size_t{byte(6)} << 8) | std::size_t{byte(7)};
    pos += kFrameHeaderBytes;
    if (bytes.size() - pos < size) {
      out.malformed = true;
      break;
    }
    out.text.append(bytes.substr(pos, size));
    pos += size;
  }
  if (pos < bytes.size()) out.text.append(bytes.substr(pos));
  return out;
}

std::string LastLines(std::string_view text, std::size_t n) {
  if (n == 0) return "";
  // Walk back over n line ends; a final '\n' ends the last line rather than starting a new one.
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  std::size_t start = end;
  std::size_t lines = 0;
  while (start > 0) {
    if (text[start - 1] == '\n' && ++lines == n) break;
    --start;
  }
  return std::string(text.substr(start));
}

std::string CapOutput(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  // The note's length depends on the number it carries; size it for the largest possible one.
  const std::string probe =
      "[truncated: the first " + std::to_string(text.size()) + " bytes are not shown]\n";
  if (probe.size() >= max_bytes) return probe.substr(0, max_bytes);
  std::size_t start = text.size() - (max_bytes - probe.size());
  // Never start inside a UTF-8 sequence: skip the continuation bytes of the one cut.
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  const std::size_t newline = text.find('\n', start);
  if (newline != std::string_view::npos && newline + 1 < text.size() &&
      newline - start < kLineBoundarySlack) {
    start = newline + 1;
  }
  return "[truncated: the first " + std::to_string(start) + " bytes are not shown]\n" +
         std::string(text.substr(start));
}

Result<std::string> FetchContainerLogs(docker::Client& docker, const std::string& container,
                                       std::size_t tail) {
  const std::string encoded = docker::UrlEncode(container);
  auto inspected = docker.GetJson("/containers/" + encoded + "/json");
  if (!inspected.ok()) {
    if (inspected.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("no container '" + container + "' on this node");
    }
    return inspected.status();
  }
  // A daemon's answer of an unexpected shape reads as "no TTY", never as an exception.
  const nlohmann::json* config =
      inspected->is_object() && inspected->contains("Config") ? &(*inspected)["Config"] : nullptr;
  const bool tty = config != nullptr && config->is_object() && config->contains("Tty") &&
                   (*config)["Tty"].is_boolean() && (*config)["Tty"].get<bool>();
  const std::string path = "/containers/" + encoded + "/logs?stdout=1&stderr=1&tail=" +
                           std::to_string(std::max<std::size_t>(tail, 1));
  auto response = docker.Call("GET", path);
  if (!response.ok()) return response.status();
  if (response->http_status / 100 != 2) {
    return docker::ErrorFromResponse("GET", path, *response);
  }
  if (!tty && DemuxDockerLogStream(response->body).malformed) {
    Logger("agent")->debug("log stream of container '{}' is not fully multiplexed; kept as is",
                           container);
  }
  return ContainerLogText(response->body, tty, tail);
}

std::string ContainerLogText(std::string_view body, bool tty, std::size_t tail) {
  if (tty) return ToValidUtf8(LastLines(body, tail));
  return ToValidUtf8(LastLines(DemuxDockerLogStream(body).text, tail));
}

std::string OwnRecentLogs(std::size_t tail) {
  std::string out;
  for (const auto& line : RecentLogLines(tail)) {
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace orcastra::agent
