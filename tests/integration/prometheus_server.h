// A real Prometheus server (Debian's /usr/bin/prometheus) for the tests of
// `attach --prometheus`: started on 127.0.0.1 with a config written here that
// scrapes one target every second, queried through its HTTP API, stopped (and
// its directory removed) when the object goes. Started with posix_spawn, so a
// test binary with threads of its own (an in-process endpoint) can start it.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../support/http_get.h"

extern char **environ;

namespace threadleak_test {

inline constexpr const char *kPrometheusBinary = "/usr/bin/prometheus";

/// A TCP port on 127.0.0.1 that was free a moment ago (the system picked it).
inline int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len) == 0)
    port = ntohs(sa.sin_port);
  close(fd);
  return port;
}

inline std::string UrlEncode(const std::string &text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

class PrometheusServer {
 public:
  /// Starts Prometheus scraping http://`target`/metrics ("127.0.0.1:9464") every
  /// second as job "threadleak". Ready() says whether it came up.
  explicit PrometheusServer(const std::string &target) {
    char dir_template[] = "/tmp/threadleak-prometheus-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return;
    dir_ = dir_template;
    std::ofstream(dir_ + "/prometheus.yml") << "global:\n"
                                               "  scrape_interval: 1s\n"
                                               "  scrape_timeout: 1s\n"
                                               "scrape_configs:\n"
                                               "  - job_name: threadleak\n"
                                               "    static_configs:\n"
                                               "      - targets: ['"
                                            << target << "']\n";
    // A port picked just before it is used may be taken in between: try a few.
    for (int attempt = 0; attempt < 3 && !ready_; ++attempt) {
      port_ = FreeLoopbackPort();
      Spawn();
      ready_ = WaitUntilReady(std::chrono::seconds(10));
      if (!ready_) Stop();
    }
  }
  PrometheusServer(const PrometheusServer &) = delete;
  PrometheusServer &operator=(const PrometheusServer &) = delete;
  ~PrometheusServer() {
    Stop();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool Ready() const { return ready_; }
  int port() const { return port_; }

  /// Its log, for failure messages.
  std::string Log() const {
    std::ifstream in(dir_ + "/prometheus.log");
    std::string text{std::istreambuf_iterator<char>(in), {}};
    return text.size() > 4000 ? "..." + text.substr(text.size() - 4000) : text;
  }

  /// GET `path_and_query` from its API, parsed; null if the answer is not JSON.
  nlohmann::json Api(const std::string &path_and_query) const {
    const HttpResponse response = HttpGet("127.0.0.1", port_, path_and_query);
    return nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  }

  /// The instant vector of `promql` now: [{"metric": {labels}, "value": [t, "v"]}, ...],
  /// empty when nothing matches or the query failed.
  nlohmann::json Query(const std::string &promql) const {
    const nlohmann::json answer = Api("/api/v1/query?query=" + UrlEncode(promql));
    if (!answer.is_object() || answer.value("status", "") != "success") return nlohmann::json::array();
    return answer["data"]["result"];
  }

  /// Query(promql) once `done` holds for it, or its last answer after `patience`.
  nlohmann::json QueryUntil(const std::string &promql, const std::function<bool(const nlohmann::json &)> &done,
                            std::chrono::milliseconds patience = std::chrono::seconds(15)) const {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
      nlohmann::json result = Query(promql);
      if (done(result) || std::chrono::steady_clock::now() > deadline) return result;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  /// The value of one series of an instant vector ("value": [t, "57"]).
  static double ValueOf(const nlohmann::json &series) { return std::stod(series["value"][1].get<std::string>()); }

 private:
  void Spawn() {
    const std::vector<std::string> args{kPrometheusBinary,
                                        "--config.file=" + dir_ + "/prometheus.yml",
                                        "--storage.tsdb.path=" + dir_ + "/data",
                                        "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    std::vector<char *> argv;
    for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, (dir_ + "/prometheus.log").c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    if (posix_spawn(&pid_, kPrometheusBinary, &actions, &attr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }

  bool WaitUntilReady(std::chrono::milliseconds patience) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {  // it gave up (the port was taken?)
        pid_ = -1;
        return false;
      }
      if (HttpGet("127.0.0.1", port_, "/-/ready", std::chrono::seconds(1)).status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (waitpid(pid_, nullptr, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool ready_ = false;
};

}  // namespace threadleak_test
