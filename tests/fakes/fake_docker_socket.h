// A stand-in for a Docker daemon on a unix socket that answers every request with bytes the test
// chooses: a hostile or broken daemon (huge bodies, endless streams, garbage) for the Docker
// client's unit tests. Serves connections one at a time on its own thread until destroyed.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

namespace orcastra::testing {

class FakeDockerSocket {
 public:
  // `respond` writes the whole answer to one request on `fd` (the request has been read up to its
  // blank line); it may write as much as it likes and return when done.
  explicit FakeDockerSocket(std::function<void(int fd)> respond) : respond_(std::move(respond)) {
    dir_ = std::filesystem::temp_directory_path() /
           ("orcastra-fake-docker-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "docker.sock").string();
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 8) != 0) {
      std::abort();
    }
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDockerSocket() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
    std::filesystem::remove_all(dir_);
  }
  FakeDockerSocket(const FakeDockerSocket&) = delete;
  FakeDockerSocket& operator=(const FakeDockerSocket&) = delete;

  const std::string& path() const { return path_; }
  int requests() const { return requests_.load(); }

  // Writes all of `data`; false when the client went away.
  static bool WriteAll(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

 private:
  void Serve() {
    while (!stopping_) {
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      // Read the request head (up to the blank line); bodies of the client's POSTs are small.
      std::string head;
      char buffer[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        head.append(buffer, static_cast<std::size_t>(n));
      }
      ++requests_;
      respond_(fd);
      ::close(fd);
    }
  }

  std::function<void(int)> respond_;
  std::filesystem::path dir_;
  std::string path_;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace orcastra::testing
