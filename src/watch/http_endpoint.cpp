#include "watch/http_endpoint.h"

#include "util/error.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <pthread.h>
#include <thread>

namespace config_init::watch {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto request_timeout = std::chrono::seconds(5);

tcp::endpoint parse_address(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    throw UsageError("--http-bind " + text + ": expected HOST:PORT, such as 127.0.0.1:8080");
  std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    throw UsageError("--http-bind " + text + ": the port must be a number up to 65535");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code error;
  const asio::ip::address address = host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                                                 : asio::ip::make_address(host, error);
  if (error) throw UsageError("--http-bind " + text + ": '" + host + "' is not an IP address");
  return tcp::endpoint(address, static_cast<unsigned short>(std::stoul(port)));
}

std::string seconds(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(ms) / 1000.0);
  return text;
}

} // namespace

std::pair<unsigned, std::string> healthz_response(const Status& status) {
  if (status.last_success_unix_ms == 0) {
    return {503, status.last_error.empty() ? "starting: no run has succeeded yet\n"
                                           : "starting: " + status.last_error + "\n"};
  }
  if (status.degraded) return {200, "degraded: " + status.last_error + "\n"};
  return {200, "ok\n"};
}

std::string metrics_text(const Status& status) {
  std::string out;
  const auto metric = [&](const char* name, const char* type, const char* help,
                          const std::string& value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + value + "\n";
  };
  metric("config_init_runs_total", "counter", "Runs since watch started, the first included.",
         std::to_string(status.runs));
  metric("config_init_run_failures_total", "counter", "Runs that failed.",
         std::to_string(status.failures));
  metric("config_init_last_success_timestamp_seconds", "gauge",
         "Unix time of the last successful run (0: none yet).",
         seconds(status.last_success_unix_ms));
  metric("config_init_degraded", "gauge", "1 when the last run failed.",
         status.degraded ? "1" : "0");
  metric("config_init_files_managed", "gauge", "Files managed after the last successful run.",
         std::to_string(status.files));
  metric("config_init_last_run_duration_seconds", "gauge", "How long the last run took.",
         seconds(status.last_duration_ms));
  return out;
}

struct HttpEndpoint::Server {
  asio::io_context context{1};
  tcp::acceptor acceptor{context};
  std::mutex mutex;
  Status status; // guarded by mutex
  std::thread thread;

  Status snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    return status;
  }

  http::response<http::string_body> respond(const http::request<http::string_body>& request) {
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(false);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    const Status now = snapshot();
    const beast::string_view target = request.target();
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response.result(http::status::method_not_allowed);
      response.body() = "GET only\n";
    } else if (target == "/healthz") {
      auto [code, body] = healthz_response(now);
      response.result(static_cast<http::status>(code));
      response.body() = std::move(body);
    } else if (target == "/metrics") {
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response.result(http::status::ok);
      response.body() = metrics_text(now);
    } else {
      response.result(http::status::not_found);
      response.body() = "not found: try /healthz or /metrics\n";
    }
    if (request.method() == http::verb::head) response.body().clear();
    response.prepare_payload();
    return response;
  }

  // One connection: read one request (within the timeout), answer it, close.
  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(Server& owner, tcp::socket socket) : server(owner), stream(std::move(socket)) {}
    Server& server;
    beast::tcp_stream stream;
    beast::flat_buffer buffer{8192};
    http::request<http::string_body> request;
    http::response<http::string_body> response;

    void start() {
      stream.expires_after(request_timeout);
      http::async_read(stream, buffer, request,
                       [self = shared_from_this()](beast::error_code error, size_t) {
                         if (!error) self->answer();
                       });
    }
    void answer() {
      response = server.respond(request);
      stream.expires_after(request_timeout);
      http::async_write(stream, response, [self = shared_from_this()](beast::error_code, size_t) {
        beast::error_code ignored;
        self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      });
    }
  };

  void accept() {
    acceptor.async_accept(asio::make_strand(context),
                          [this](beast::error_code error, tcp::socket socket) {
                            if (error == asio::error::operation_aborted) return;
                            if (!error)
                              std::make_shared<Connection>(*this, std::move(socket))->start();
                            accept();
                          });
  }
};

HttpEndpoint::HttpEndpoint(const std::string& address) : server_(std::make_unique<Server>()) {
  const tcp::endpoint endpoint = parse_address(address);
  boost::system::error_code error;
  Server& server = *server_;
  server.acceptor.open(endpoint.protocol(), error);
  if (!error) server.acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) server.acceptor.bind(endpoint, error);
  if (!error) server.acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) throw IoError("cannot listen on " + address + ": " + error.message());
  server.accept();
  // The thread must not take SIGTERM/SIGINT: they interrupt the watch loop's waits.
  sigset_t blocked, previous;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  server.thread = std::thread([&server] { server.context.run(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

HttpEndpoint::~HttpEndpoint() {
  server_->context.stop();
  if (server_->thread.joinable()) server_->thread.join();
}

void HttpEndpoint::publish(const Status& status) {
  std::lock_guard<std::mutex> lock(server_->mutex);
  server_->status = status;
}

unsigned short HttpEndpoint::port() const {
  return server_->acceptor.local_endpoint().port();
}

} // namespace config_init::watch
