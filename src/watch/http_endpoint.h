// `watch --http-bind ADDR`: GET /healthz and GET /metrics (Prometheus text) for HTTP
// probes and scraping, served by Boost.Beast on one thread of its own. It reads a snapshot
// of the status that the watch loop publishes after every run; it never touches DEST.
#pragma once

#include "watch/status_file.h"

#include <memory>
#include <string>

namespace config_init::watch {

class HttpEndpoint {
public:
  // Binds `address` ("127.0.0.1:8080", "[::1]:8080", ":8080" for every interface) and starts
  // serving. Throws UsageError for an address it cannot parse, IoError when it cannot bind.
  explicit HttpEndpoint(const std::string& address);
  ~HttpEndpoint(); // stops serving and joins the thread
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // The status the next responses describe.
  void publish(const Status& status);

  // The port bound (useful with port 0).
  unsigned short port() const;

private:
  struct Server;
  std::unique_ptr<Server> server_;
};

// The response bodies, for tests: /healthz's status code and text, /metrics' text.
std::pair<unsigned, std::string> healthz_response(const Status& status);
std::string metrics_text(const Status& status);

} // namespace config_init::watch
