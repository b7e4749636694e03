#pragma once
// Whether the client of a request still holds its connection. A plain (non-streaming) answer is
// sent only at the end, so without this a client that gave up would keep the worker busy until
// its deadline. httplib 0.11 (Debian 12) neither tells a handler that its client left nor gives it
// the socket: the probe finds the socket among this process's descriptors by the connection's two
// addresses (which identify a TCP connection) and polls it for the peer's FIN or a reset. The
// handler's thread owns that connection until it returns, so the descriptor cannot change meanwhile.
// A client that shuts down only its sending side after the request counts as gone (HTTP clients do
// not do that). Linux only (/proc/self/fd, POLLRDHUP).
#include <string>

namespace lisa::server {

struct ConnectionAddresses {
  std::string local_addr;   // numeric, as httplib's Request::local_addr / remote_addr
  int local_port = -1;
  std::string remote_addr;
  int remote_port = -1;
};

class ConnectionProbe {
 public:
  explicit ConnectionProbe(const ConnectionAddresses& addresses);
  // True once the peer has closed or reset the connection; false while it is open, and always when
  // the socket was not found.
  bool peer_closed() const;
  bool found() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace lisa::server
