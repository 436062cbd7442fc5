#include "leader/security/zap_handler.h"

#include <cerrno>
#include <iterator>
#include <zmq_addon.hpp>

namespace orcastra::leader {
namespace {

constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr std::chrono::seconds kRefusalLogPeriod{10};
constexpr std::chrono::milliseconds kPollTick{250};

std::string PortName(const std::string& domain) {
  if (domain == "agents") return "the agent port";
  if (domain == "control") return "the control port";
  return "an unknown port";
}

}  // namespace

Result<zmq::socket_t> ZapHandler::Bind(zmq::context_t& context) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::rep);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(kZapEndpoint);
    return socket;
  } catch (const zmq::error_t& e) {
    return Status::Unavailable(std::string("cannot bind the ZAP handler: ") + e.what());
  }
}

ZapHandler::ZapHandler(zmq::socket_t socket, protocol::KeySet keys, const Clock& clock,
                       std::function<void(protocol::Event)> record_event)
    : Service("zap"),
      socket_(std::move(socket)),
      keys_(std::move(keys)),
      clock_(clock),
      record_event_(std::move(record_event)) {}

ZapHandler::Counters ZapHandler::counters() const {
  return {admitted_.load(std::memory_order_relaxed),
          refused_unknown_key_.load(std::memory_order_relaxed),
          refused_rate_limited_.load(std::memory_order_relaxed),
          refused_other_.load(std::memory_order_relaxed)};
}

std::vector<std::string> ZapHandler::Answer(const std::vector<std::string>& frames) {
  Result<ZapRequest> request = ParseZapRequest(frames);
  ZapDecision decision;
  if (!request.ok()) {
    decision.status_code = "500";
    decision.status_text = "malformed request";
    decision.reason = "a malformed ZAP request";
    request = ZapRequest{};
  } else if (!per_address_.Allow(request->address, clock_.Now())) {
    decision.status_code = "400";
    decision.status_text = "too many handshakes";
    decision.reason = "more handshakes than allowed from one address";
  } else {
    decision = DecideZap(*request, keys_, next_serial_);
    if (decision.admit) ++next_serial_;
  }
  if (decision.admit) {
    admitted_.fetch_add(1, std::memory_order_relaxed);
  } else {
    NoteRefusal(*request, decision);
  }
  const std::string request_id = frames.size() > 1 ? frames[1] : std::string();
  return {"1.0",
          request_id,
          decision.status_code,
          decision.status_text,
          decision.admit ? decision.user_id : std::string(),
          std::string()};
}

void ZapHandler::NoteRefusal(const ZapRequest& request, const ZapDecision& decision) {
  if (decision.status_text == "unknown key") {
    refused_unknown_key_.fetch_add(1, std::memory_order_relaxed);
  } else if (decision.status_text == "too many handshakes") {
    refused_rate_limited_.fetch_add(1, std::memory_order_relaxed);
  } else {
    refused_other_.fetch_add(1, std::memory_order_relaxed);
  }
  auto [it, fresh] = limiters_.try_emplace(decision.reason, kRefusalLogPeriod);
  std::uint64_t suppressed = 0;
  if (!it->second.Allow(clock_.Now(), &suppressed)) return;
  const std::string address = request.address.empty() ? "(unknown)" : request.address;
  Logger("leader")->warn("refused a connection from {} to {}: {}{}", address,
                         PortName(request.domain), decision.reason, Suppressed(suppressed));
  if (record_event_) {
    protocol::Event event;
    event.kind = "auth_refused";
    event.subject = address;
    event.message = "refused a connection from " + address + " to " + PortName(request.domain) +
                    ": " + decision.reason;
    event.attrs["address"] = address;
    event.attrs["port"] = request.domain;
    event.attrs["reason"] = decision.status_text;
    if (suppressed > 0) event.attrs["suppressed"] = std::to_string(suppressed);
    record_event_(std::move(event));
  }
}

void ZapHandler::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    // Alive for /healthz: this loop waits in zmq::poll, not in WaitFor() (common/service.h).
    Heartbeat();
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, kPollTick);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      throw;
    }
    if ((items[0].revents & ZMQ_POLLIN) == 0) continue;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      continue;
    }
    std::vector<std::string> request;
    request.reserve(frames.size());
    for (const zmq::message_t& frame : frames) request.push_back(frame.to_string());
    std::vector<std::string> reply = Answer(request);
    std::vector<zmq::const_buffer> buffers;
    for (const std::string& part : reply) buffers.push_back(zmq::buffer(part));
    (void)zmq::send_multipart(socket_, buffers);
  }
  socket_.close();
}

}  // namespace orcastra::leader
