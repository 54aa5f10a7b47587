// dsmock::Server: the httplib server, top-level dispatch, control and download routes.
#include <httplib.h>

#include <sys/socket.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include "dsmock/server.hpp"
#include "wire.hpp"

namespace dsmock {

using detail::ApiError;
using detail::Binding;
using detail::ErrorType;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxBody = 1024 * 1024;
const std::string kDownload = "/mock/v1/download/";

Binding binding_of(const std::string& path) {
  return path == "/rest" || detail::starts_with(path, "/rest/") ? Binding::Rest : Binding::Api;
}

void write_error(httplib::Response& res, const ApiError& e, Binding b,
                 const detail::Variants& variants) {
  res.status = e.status();
  res.set_content(detail::to_wire(detail::error_body(e, b, variants)), variants.json_type());
}

// The generic error for statuses produced by httplib itself (bad request line, 413, 414...).
ApiError generic_error(int status) {
  switch (status) {
    case 404:
      return ApiError(ErrorType::NotFound, "com.vmware.vapi.rest.httpNotFound", "Not found.");
    case 413:
      return ApiError(ErrorType::InvalidRequest, "com.vmware.vapi.rest.payloadTooLarge",
                      "The request body exceeds 1048576 bytes.", {}, 413);
    default:
      if (status >= 500)
        return ApiError(ErrorType::InternalServerError,
                        "com.vmware.vapi.std.errors.internal_server_error",
                        "Internal server error.", {}, status);
      return ApiError(ErrorType::InvalidRequest, "com.vmware.vapi.rest.badRequest",
                      "The request could not be processed.", {}, status);
  }
}

std::string redact_path(const std::string& path) {
  if (!detail::starts_with(path, kDownload)) return path;
  auto slash = path.find('/', kDownload.size());
  return kDownload + "<redacted>" + (slash == std::string::npos ? "" : path.substr(slash));
}

// Deterministic download content.
bool write_content(const std::string& name, std::size_t offset, std::size_t length,
                   httplib::DataSink& sink) {
  const std::uint32_t seed = detail::content_seed(name);
  char buf[16384];
  const std::size_t n = std::min(length, sizeof buf);
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t i = offset + k;
    buf[k] = static_cast<char>((i * 31u + seed) & 0xffu);
  }
  return sink.write(buf, n);
}

// An httplib::Stream over memory for serve_raw: reads the input, collects what the server
// writes. At the end of the input read() returns 0, like a socket whose peer half-closed.
class MemoryStream : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view input) : in_(input) {}

  using httplib::Stream::write;
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size = std::min(size, in_.size() - pos_);
    if (size > 0) std::memcpy(ptr, in_.data() + pos_, size);
    pos_ += size;
    return static_cast<ssize_t>(size);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

  bool at_end() const { return pos_ >= in_.size(); }
  std::string take_output() { return std::move(out_); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  std::string out_;
};

// An httplib server that never listens: serve_raw runs httplib's per-request processing (the
// protected Server::process_request: parser, routing, handlers, response writer) on a
// MemoryStream, with the keep-alive loop of httplib's socket processing.
class RawHttp : public httplib::Server {
 public:
  // httplib stops writing content-provider bodies once the listening socket is gone
  // (svr_sock_ == INVALID_SOCKET means "shutting down"). This server never listens: mark it
  // as up with a value that is never an open descriptor (stop() only closes it while running).
  RawHttp() { svr_sock_ = std::numeric_limits<socket_t>::max(); }

  std::string serve(std::string_view input) {
    MemoryStream strm(input);
    for (auto left = keep_alive_max_count_; left > 0 && !strm.at_end(); --left) {
      bool closed = false;
      if (!process_request(strm, left == 1, closed, nullptr) || closed) break;
    }
    return strm.take_output();
  }
};

}  // namespace

struct Server::Impl {
  Options opts;
  detail::Variants variants;  // from opts.variants, set before the first request
  std::unique_ptr<httplib::Server> http;
  std::unique_ptr<detail::Store> store;
  std::thread thread;
  int port = 0;
  int listen_fd = -1;
  std::mutex raw_mu;             // guards the creation of raw (and of store by serve_raw)
  std::unique_ptr<RawHttp> raw;  // serve_raw's server, created on first use

  std::string scheme() const { return opts.tls_cert.empty() ? "http" : "https"; }

  std::string base_url(const httplib::Request& req) const {
    std::string host = req.get_header_value("Host");
    bool ok = !host.empty() && host.size() < 256;
    for (char c : host)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
            c == '[' || c == ']' || c == '_'))
        ok = false;
    if (!ok) host = host_port();
    return scheme() + "://" + host;
  }

  std::string host_port() const {
    const bool v6 = opts.bind.find(':') != std::string::npos;
    return (v6 ? "[" + opts.bind + "]" : opts.bind) + ":" + std::to_string(port);
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    const Binding b = binding_of(req.path);
    // httplib cuts every response body to the request's Range header, even an error or a JSON
    // answer, and keeps the handler's 200; for a content provider it does not even check the
    // ranges against the size. So the ranges are taken away here, and only a download puts
    // back the ones it serves (serve_ranges). `req` is httplib's own, non-const Request.
    httplib::Ranges ranges = std::exchange(const_cast<httplib::Request&>(req).ranges, {});
    try {
      if (req.body.size() > kMaxBody) throw generic_error(413);
      detail::Ctx ctx{req, res, *store, req.method == "HEAD" ? "GET" : req.method, base_url(req)};
      if (detail::starts_with(req.path, "/mock/v1/")) return handle_mock(ctx, ranges);
      std::optional<detail::Route> route;
      if (req.path == "/api") {  // the JSON-RPC binding
        if (ctx.method != "POST") detail::not_allowed(ctx, "POST");
        detail::Reply reply = detail::serve_jsonrpc(ctx);
        res.status = reply.status;
        if (reply.body) res.set_content(detail::to_wire(*reply.body), variants.json_type());
        return;
      }
      if (b == Binding::Rest) {
        route = detail::match_rest(ctx);
      } else if (detail::starts_with(req.path, "/api/")) {
        route = detail::match_api(ctx);
      }
      if (!route) throw detail::route_not_found(req.method, req.path);
      std::string user;
      if (route->auth) user = store->authenticate(detail::session_token(req));
      detail::Reply reply = route->run(user);
      res.status = reply.status;
      if (reply.body) res.set_content(detail::to_wire(*reply.body), variants.json_type());
    } catch (const ApiError& e) {
      write_error(res, e, b, variants);
    } catch (const std::exception& e) {
      write_error(res,
                  ApiError(ErrorType::InternalServerError,
                           "com.vmware.vapi.std.errors.internal_server_error",
                           std::string("Internal server error: ") + e.what(), {}),
                  b, variants);
    }
  }

  // The status of a download of `size` bytes with the request's `ranges` (as httplib parsed
  // them: -1 = absent). Without a Range header, or with several ranges (httplib 0.11 writes
  // wrong Content-Range totals into multipart/byteranges bodies of content providers), the
  // Range header is ignored: 200, whole file, as RFC 9110 allows. One satisfiable range: 206,
  // the range clamped to the file and handed back to httplib, which writes Content-Range and
  // the bytes. One range that starts at or past the end (or an empty suffix): 416 with
  // `Content-Range: bytes */size`.
  static int serve_ranges(detail::Ctx& ctx, const httplib::Ranges& ranges, std::size_t size) {
    if (ranges.size() != 1) return 200;
    const auto n = static_cast<ssize_t>(size);
    auto [first, last] = ranges.front();
    if (first < 0 && last > 0 && n > 0) {  // suffix: the last `last` bytes
      first = std::max<ssize_t>(0, n - last);
      last = n - 1;
    } else if (first >= 0 && first < n && (last < 0 || last >= first)) {
      last = last < 0 || last >= n ? n - 1 : last;
    } else {
      ctx.res.set_header("Content-Range", "bytes */" + std::to_string(size));
      throw ApiError(
          ErrorType::InvalidRequest,
          "com.vmware.content.library.item.download.range_not_satisfiable",
          "The requested range is not within the file's " + std::to_string(size) + " bytes.", {},
          416);
    }
    const_cast<httplib::Request&>(ctx.req).ranges = {{first, last}};
    return 206;
  }

  // /mock/v1/...: the download route (always) and the clock control routes (virtual only).
  void handle_mock(detail::Ctx& ctx, const httplib::Ranges& ranges) {
    const auto& req = ctx.req;
    auto& res = ctx.res;
    const std::string& path = req.path;
    if (detail::starts_with(path, kDownload)) {
      if (ctx.method != "GET") detail::not_allowed(ctx, "GET");
      const std::string rest = path.substr(kDownload.size());
      const auto slash = rest.find('/');
      if (slash == std::string::npos) throw detail::route_not_found(req.method, path);
      const std::string token = rest.substr(0, slash), name = rest.substr(slash + 1);
      auto file = store->download(token, name);
      if (!file)
        throw ApiError(ErrorType::NotFound, "com.vmware.content.library.item.download.not_found",
                       "The download URL is not valid (unknown, not prepared, canceled or "
                       "expired).");
      res.status = serve_ranges(ctx, ranges, static_cast<std::size_t>(file->size));
      if (file->size == 0) {  // a zero-length provider would send no Content-Length
        res.set_content("", "application/octet-stream");
        return;
      }
      res.set_content_provider(
          static_cast<std::size_t>(file->size), "application/octet-stream",
          [name = file->name](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
            return write_content(name, offset, length, sink);
          });
      return;
    }
    if (!store->virtual_clock()) throw detail::route_not_found(req.method, path);
    if (path == "/mock/v1/clock") {
      if (ctx.method != "GET") detail::not_allowed(ctx, "GET");
      res.status = 200;
      res.set_content(detail::to_wire({{"now", store->now_string()}, {"mode", "virtual"}}),
                      variants.json_type());
      return;
    }
    if (path == "/mock/v1/clock/advance") {
      if (ctx.method != "POST") detail::not_allowed(ctx, "POST");
      json body = detail::body_object(req);
      auto it = body.find("milliseconds");
      if (it == body.end() || !it->is_number_integer())
        throw detail::invalid_request("'milliseconds' must be an integer");
      if (it->is_number_unsigned() &&
          it->get<std::uint64_t>() > static_cast<std::uint64_t>(detail::Clock::kMax))
        throw detail::invalid_argument("milliseconds would move the clock past 9999");
      std::string now = store->advance(it->get<std::int64_t>());
      res.status = 200;
      res.set_content(detail::to_wire({{"now", now}}), variants.json_type());
      return;
    }
    if (path == "/mock/v1/reset") {
      if (ctx.method != "POST") detail::not_allowed(ctx, "POST");
      store->reset();
      res.status = 204;
      return;
    }
    throw detail::route_not_found(req.method, path);
  }

  // Limits and handlers, shared by the listening server and serve_raw's.
  void configure(httplib::Server& http) {
    http.set_read_timeout(10, 0);
    http.set_write_timeout(10, 0);
    http.set_keep_alive_timeout(2);
    // connection-close: one request per connection; httplib then answers Connection: close
    // and closes.
    http.set_keep_alive_max_count(variants.connection_close ? 1 : 100);
    http.set_payload_max_length(kMaxBody);
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res);
    };
    http.Get(".*", handler);
    http.Post(".*", handler);
    http.Put(".*", handler);
    http.Patch(".*", handler);
    http.Delete(".*", handler);
    http.Options(".*", handler);
    // httplib answers 400 to a POST/PUT/PATCH/DELETE without Content-Length or chunked encoding
    // (e.g. `curl -X POST` without data) before routing. Such a request has no body: serve it
    // here, before httplib tries to read one.
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding"))
        return httplib::Server::HandlerResponse::Unhandled;
      handle(req, res);
      return httplib::Server::HandlerResponse::Handled;
    });
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      write_error(res, generic_error(res.status), binding_of(req.path), variants);
    });
    http.set_exception_handler([this](const httplib::Request& req, httplib::Response& res,
                                      std::exception_ptr) {
      write_error(
          res,
          ApiError(ErrorType::InternalServerError,
                   "com.vmware.vapi.std.errors.internal_server_error", "Internal server error."),
          binding_of(req.path), variants);
    });
    if (opts.log_requests) {
      http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        // Never headers or bodies: they carry passwords and session tokens.
        std::string query;
        for (const auto& [k, v] : req.params)
          query += (query.empty() ? "?" : "&") + k + "=" + v;
        std::fprintf(stderr, "dsmock: %s %s%s -> %d\n", req.method.c_str(),
                     redact_path(req.path).c_str(), query.c_str(), res.status);
      });
    }
  }
};

Server::Server(Options options) : impl_(std::make_unique<Impl>()) {
  if (options.users.empty()) options.users = {{"alice", "alice-pass"}, {"bob", "bob-pass"}};
  if (options.items.empty()) options.items = default_fixtures();
  impl_->opts = std::move(options);
}

Server::~Server() {
  stop();
}

const Options& Server::options() const {
  return impl_->opts;
}

std::string Server::url() const {
  return impl_->scheme() + "://" + impl_->host_port();
}

int Server::start() {
  Impl& im = *impl_;
  if (im.thread.joinable()) return im.port;
  const Options& o = im.opts;
  detail::Faults faults(o.faults);        // throws std::invalid_argument on an unknown name
  detail::Variants variants(o.variants);  // ... and on an unknown variant or a bad value
  if (o.tls_cert.empty() != o.tls_key.empty())
    throw std::invalid_argument("TLS needs both a certificate and a key");
  if (o.port < 0 || o.port > 65535)
    throw std::invalid_argument("port " + std::to_string(o.port) + " is out of range");

  std::unique_ptr<httplib::Server> http;
  if (!o.tls_cert.empty()) {
    http = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!http->is_valid())
      throw std::invalid_argument("cannot load TLS certificate '" + o.tls_cert + "' / key '" +
                                  o.tls_key + "'");
  } else {
    http = std::make_unique<httplib::Server>();
  }
  im.store = std::make_unique<detail::Store>(o, faults, variants);
  im.variants = variants;

  http->new_task_queue = [] { return new httplib::ThreadPool(64); };
  // httplib's default socket options add SO_REUSEPORT, which would let a second server bind
  // a port that is in use. SO_REUSEADDR only (quick restarts over TIME_WAIT).
  // It is also our one chance to learn the listening socket: httplib 0.11 listens with a
  // backlog of 5, which under bursts of connections drops handshakes (clients then see
  // resets or 1-3 s stalls), so we re-listen with a real backlog after binding.
  im.listen_fd = -1;
  http->set_socket_options([&im](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    im.listen_fd = sock;
  });
  http->set_tcp_nodelay(true);
  im.configure(*http);

  int port = o.port;
  errno = 0;
  if (port == 0) {
    port = http->bind_to_any_port(o.bind);
    if (port < 0) port = -1;
  } else if (!http->bind_to_port(o.bind, port)) {
    port = -1;
  }
  if (port <= 0) {
    const int err = errno;
    throw BindError("cannot listen on " + o.bind + ":" + std::to_string(o.port) +
                    (err ? std::string(": ") + std::strerror(err) : std::string()));
  }
  if (im.listen_fd >= 0) ::listen(im.listen_fd, 1024);  // enlarge the backlog (see above)
  im.port = port;
  im.http = std::move(http);
  httplib::Server* raw = im.http.get();
  im.thread = std::thread([raw] { raw->listen_after_bind(); });
  for (int i = 0; i < 5000 && !raw->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!raw->is_running()) {
    raw->stop();
    im.thread.join();
    im.http.reset();
    throw std::runtime_error("the server thread did not start");
  }
  return port;
}

std::string Server::serve_raw(std::string_view input) {
  Impl& im = *impl_;
  RawHttp* raw = nullptr;
  {
    std::lock_guard lock(im.raw_mu);
    if (!im.store) {
      detail::Faults faults(im.opts.faults);  // throws std::invalid_argument on an unknown name
      detail::Variants variants(im.opts.variants);  // ... an unknown variant or a bad value
      im.store = std::make_unique<detail::Store>(im.opts, faults, variants);
      im.variants = variants;
    }
    if (!im.raw) {
      auto fresh = std::make_unique<RawHttp>();
      im.configure(*fresh);
      im.raw = std::move(fresh);
    }
    raw = im.raw.get();
  }
  return raw->serve(input);
}

void Server::stop() {
  Impl& im = *impl_;
  if (!im.thread.joinable()) return;
  im.http->stop();
  im.thread.join();
  im.http.reset();
}

}  // namespace dsmock
