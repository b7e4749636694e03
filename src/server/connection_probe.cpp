#include "connection_probe.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>

namespace lisa::server {

namespace {

// The numeric host and the port of a socket address, as httplib writes them (getnameinfo).
bool host_and_port(const sockaddr_storage& address, socklen_t length, std::string& host, int& port) {
  char text[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, text, sizeof text, service, sizeof service,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return false;
  host = text;
  port = std::atoi(service);
  return true;
}

bool is_connection(int fd, const ConnectionAddresses& wanted) {
  sockaddr_storage local{}, remote{};
  socklen_t local_length = sizeof local, remote_length = sizeof remote;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0) return false;  // not a socket
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_length) != 0) return false;  // not connected
  std::string local_host, remote_host;
  int local_port = -1, remote_port = -1;
  return host_and_port(local, local_length, local_host, local_port) &&
         host_and_port(remote, remote_length, remote_host, remote_port) && local_port == wanted.local_port &&
         remote_port == wanted.remote_port && local_host == wanted.local_addr && remote_host == wanted.remote_addr;
}

}  // namespace

ConnectionProbe::ConnectionProbe(const ConnectionAddresses& addresses) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    char* end = nullptr;
    const std::string name = entry.path().filename().string();
    const long fd = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0') continue;
    if (is_connection(static_cast<int>(fd), addresses)) {
      fd_ = static_cast<int>(fd);
      return;
    }
  }
}

bool ConnectionProbe::peer_closed() const {
  if (fd_ < 0) return false;
  pollfd watched{fd_, POLLRDHUP, 0};
  if (poll(&watched, 1, 0) <= 0) return false;
  return (watched.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace lisa::server
