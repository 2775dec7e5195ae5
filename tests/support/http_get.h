// A minimal HTTP/1.0 GET over a plain IPv4 socket, for tests that read what an
// HTTP server serves (threadleak's /metrics, a Prometheus server's API)
// without another client library in between.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

namespace threadleak_test {

struct HttpResponse {
  int status = 0;      // 0: no response (error says why)
  std::string headers;
  std::string body;
  std::string error;
};

/// Splits "http://127.0.0.1:9464/metrics" into host, port and path; false if it is not that form.
inline bool SplitUrl(const std::string &url, std::string *host, int *port, std::string *path) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  const size_t slash = url.find('/', scheme.size());
  const std::string authority = url.substr(scheme.size(), slash - scheme.size());
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return false;
  *host = authority.substr(0, colon);
  *port = std::stoi(authority.substr(colon + 1));
  *path = slash == std::string::npos ? "/" : url.substr(slash);
  return true;
}

/// GET `path` from host:port (IPv4), reading until the server closes the connection.
inline HttpResponse HttpGet(const std::string &host, int port, const std::string &path,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  HttpResponse response;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    response.error = std::string("socket: ") + strerror(errno);
    return response;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<const sockaddr *>(&sa), sizeof sa) != 0) {
    response.error = "connect " + host + ":" + std::to_string(port) + ": " + strerror(errno);
    close(fd);
    return response;
  }
  const std::string request =
      "GET " + path + " HTTP/1.0\r\nHost: " + host + ":" + std::to_string(port) + "\r\nConnection: close\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    response.error = std::string("send: ") + strerror(errno);
    close(fd);
    return response;
  }
  std::string raw;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      response.error = "no complete response within " + std::to_string(timeout.count()) + " ms";
      break;
    }
    char buffer[8192];
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/", 0) != 0 || end == std::string::npos) {
    if (response.error.empty()) response.error = "not an HTTP response: " + raw.substr(0, 200);
    return response;
  }
  response.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  response.headers = raw.substr(0, end);
  response.body = raw.substr(end + 4);
  return response;
}

/// GET `url` ("http://127.0.0.1:9464/metrics").
inline HttpResponse HttpGet(const std::string &url,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  std::string host, path;
  int port = 0;
  if (!SplitUrl(url, &host, &port, &path)) {
    HttpResponse response;
    response.error = "not an http://HOST:PORT/PATH URL: " + url;
    return response;
  }
  return HttpGet(host, port, path, timeout);
}

}  // namespace threadleak_test
