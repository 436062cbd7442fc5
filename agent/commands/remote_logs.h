// Remote logs (`orcastra logs NODE [--container C]`), the agent's side: a container's recent log
// lines read through the Docker Engine API, or the agent's own recent lines (common/log.h).
//
// The byte-level pieces are pure functions (tests/unit/agent/commands/remote_logs_test.cc); only
// FetchContainerLogs talks to Docker.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/docker_client.h"
#include "common/status.h"

namespace orcastra::agent {

// Default and largest number of lines `logs` returns.
inline constexpr std::size_t kDefaultLogTail = 200;
inline constexpr std::size_t kMaxLogTail = 10000;

// Docker's log stream of a container without a TTY, demultiplexed: a sequence of frames, each an
// 8-byte header [stream (0 stdin, 1 stdout, 2 stderr), 0, 0, 0, payload size as uint32 big-endian]
// and the payload. The payloads are concatenated in order (stdout and stderr interleaved as
// Docker wrote them). `malformed` is set when a header is invalid (an unknown stream byte or
// non-zero padding) or the last frame is cut short; the bytes from there on are kept as they are,
// so nothing the container wrote is lost.
struct DemuxedLogs {
  std::string text;
  bool malformed = false;
};
DemuxedLogs DemuxDockerLogStream(std::string_view bytes);

// The last `n` lines of `text` (a final line without '\n' counts as a line); all when fewer.
std::string LastLines(std::string_view text, std::size_t n);

// `text` when it has at most `max_bytes` bytes; else its last bytes, starting at a line boundary
// when one is near and never inside a UTF-8 sequence, after a first line "[truncated: the first N
// bytes are not shown]", the whole at most `max_bytes` long.
std::string CapOutput(std::string_view text, std::size_t max_bytes);

// What `logs` returns for a container's log answer `body`: its last `tail` lines, demultiplexed
// unless the container has a TTY, as valid UTF-8 (a byte that is not becomes U+FFFD: the result
// travels as a MessagePack str, which a leader refuses when it is not UTF-8).
std::string ContainerLogText(std::string_view body, bool tty, std::size_t tail);

// GET /containers/{container}/logs?stdout=1&stderr=1&tail=N; `container` is a container id or
// name (a Swarm service name is not resolved).
// Reads the container's Config.Tty first: a TTY container's stream is raw text, any other is
// demultiplexed. NotFound (naming the container) when there is no such container.
Result<std::string> FetchContainerLogs(docker::Client& docker, const std::string& container,
                                       std::size_t tail);

// The agent's own last `tail` log lines, one per line.
std::string OwnRecentLogs(std::size_t tail);

}  // namespace orcastra::agent
