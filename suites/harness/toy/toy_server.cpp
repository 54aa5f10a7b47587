#include "toy_server.hpp"

#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace toy {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

namespace {

constexpr std::int64_t kEpochMs = 1893456000000;  // 2030-01-01T00:00:00.000Z

// Its own date-time form, not the engine's: a server under test shares no code with
// the harness that checks it (a shared bug would pass unseen).
std::string datetime(std::int64_t ms) {
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(t[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(t[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4)
    out.push_back('=');
  return out;
}

// The bare error style: the body is {"code": NAME, "notes": [...]}.
void error(Res& res, int status, const std::string& code, const std::string& note) {
  res.status = status;
  res.set_content(json{{"code", code}, {"notes", json::array({note})}}.dump(), "application/json");
}

void result(Res& res, int status, const json& data) {
  res.status = status;
  res.set_content(json{{"data", data}}.dump(), "application/json");
}

// A JSON object body, or nullptr after answering INVALID_REQUEST.
bool object_body(const Req& req, Res& res, json& out) {
  out = json::parse(req.body, nullptr, false);
  if (out.is_discarded() || !out.is_object()) {
    error(res, 400, "INVALID_REQUEST", "the body is not a JSON object");
    return false;
  }
  return true;
}

bool string_field(const json& b, const char* key, Res& res) {
  if (b.contains(key) && b[key].is_string()) return true;
  error(res, 400, "INVALID_REQUEST", std::string("'") + key + "' must be a string");
  return false;
}

}  // namespace

const std::map<std::string, std::string>& faults() {
  static const std::map<std::string, std::string> f = {
      {"power-on-noop", "widget.power_on.turns_on"},
      {"short-lease", "widget.lease.initial"},
  };
  return f;
}

Server::Server(Options options) : options_(std::move(options)), now_ms_(kEpochMs) {
  for (const auto& f : options_.faults)
    if (!faults().count(f)) throw std::invalid_argument("unknown fault '" + f + "'");
  routes();
  // Like the mock: enough workers for the harness's keep-alive connections (each holds
  // a worker while open), idle ones closed after 2 s.
  svr_.new_task_queue = [] { return new httplib::ThreadPool(32); };
  svr_.set_keep_alive_timeout(2);
  svr_.set_tcp_nodelay(true);  // no 40 ms Nagle/delayed-ACK stalls per answer
  svr_.set_keep_alive_max_count(100);
  port_ = options_.port == 0
              ? svr_.bind_to_any_port(options_.host)
              : (svr_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port_ <= 0)
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port));
  thread_ = std::thread([this] { svr_.listen_after_bind(); });
  while (!svr_.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

Server::~Server() {
  stop();
}

void Server::stop() {
  svr_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string Server::url() const {
  return "http://" + options_.host + ":" + std::to_string(port_);
}

std::string Server::user_of(const Req& req) const {
  auto it = sessions_.find(req.get_header_value("x-toy-token"));
  return it == sessions_.end() ? "" : it->second;
}

Server::Widget* Server::find(const std::string& user, const std::string& id) {
  auto it = widgets_.find(id);
  return it == widgets_.end() || it->second.owner != user ? nullptr : &it->second;
}

// A widget lives while now <= expires_at.
void Server::expire() {
  for (auto it = widgets_.begin(); it != widgets_.end();)
    it = now_ms_ > it->second.expires_ms ? widgets_.erase(it) : std::next(it);
}

void Server::routes() {
  // Every API handler: under the lock, expired widgets gone, the caller logged in.
  using Handler = std::function<void(const Req&, Res&, const std::string& user)>;
  auto api = [this](Handler h) {
    return [this, h](const Req& req, Res& res) {
      std::lock_guard<std::mutex> lock(mu_);
      expire();
      std::string user = user_of(req);
      if (user.empty()) return error(res, 401, "UNAUTHENTICATED", "log in first");
      h(req, res, user);
    };
  };
  auto model = [this](const std::string& id, const Widget& w) {
    return json{{"id", id},
                {"label", w.label},
                {"kit", w.kit},
                {"power", w.power},
                {"expires_at", datetime(w.expires_ms)}};
  };
  auto lease = [this] { return options_.lease_ms / (fault("short-lease") ? 2 : 1); };

  svr_.Post("/login", [this](const Req& req, Res& res) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, password] : options_.users)
      if (req.get_header_value("Authorization") == "Basic " + base64(name + ":" + password)) {
        std::string token = "tok-" + std::to_string(++next_) + "-" + name;
        sessions_[token] = name;
        res.status = 200;
        return res.set_content(json{{"token", token}}.dump(), "application/json");
      }
    error(res, 401, "UNAUTHENTICATED", "wrong user or password");
  });
  svr_.Post("/logout", api([this](const Req& req, Res& res, const std::string&) {
              sessions_.erase(req.get_header_value("x-toy-token"));
              res.status = 200;
            }));

  svr_.Put("/widgets", api([this, lease](const Req& req, Res& res, const std::string& user) {
             json b;
             if (!object_body(req, res, b) || !string_field(b, "label", res) ||
                 !string_field(b, "kit_id", res))
               return;
             std::string kit = b["kit_id"].get<std::string>();
             if (!options_.kits.count(kit)) return error(res, 404, "MISSING", "no such kit");
             std::string token = req.get_header_value("X-Request-Token");
             if (!token.empty()) {
               auto known = request_tokens_.find({user, token});
               if (known != request_tokens_.end() && widgets_.count(known->second))
                 return result(res, 201, known->second);
             }
             std::string id = "widget-" + std::to_string(++next_);
             Widget w{user, b["label"].get<std::string>(), kit, "OFF", now_ms_ + lease(), {}};
             for (const auto& part : options_.kits.at(kit))
               w.parts[part] = "LOOSE";
             widgets_[id] = std::move(w);
             if (!token.empty()) request_tokens_[{user, token}] = id;
             result(res, 201, id);
           }));
  svr_.Get("/widgets", api([this](const Req& req, Res& res, const std::string& user) {
             std::string kit = req.get_param_value("kit_id");
             if (req.has_param("kit_id") && !options_.kits.count(kit))
               return error(res, 404, "MISSING", "no such kit");
             json ids = json::array();
             for (const auto& [id, w] : widgets_)
               if (w.owner == user && (!req.has_param("kit_id") || w.kit == kit)) ids.push_back(id);
             result(res, 200, ids);
           }));
  svr_.Get(R"(/widgets/([^/]+))",
           api([this, model](const Req& req, Res& res, const std::string& user) {
             Widget* w = find(user, req.matches[1]);
             if (!w) return error(res, 404, "MISSING", "no such widget");
             result(res, 200, model(req.matches[1], *w));
           }));
  svr_.Post(R"(/widgets/([^/]+)/on)",
            api([this](const Req& req, Res& res, const std::string& user) {
              Widget* w = find(user, req.matches[1]);
              if (!w) return error(res, 404, "MISSING", "no such widget");
              if (w->power == "ON") return error(res, 409, "WRONG_STATE", "already ON");
              if (!fault("power-on-noop")) w->power = "ON";
              res.status = 200;
            }));
  svr_.Post(R"(/widgets/([^/]+))",
            api([this, lease](const Req& req, Res& res, const std::string& user) {
              if (req.get_param_value("op") != "touch")
                return error(res, 400, "INVALID_REQUEST", "unknown op");
              Widget* w = find(user, req.matches[1]);
              if (!w) return error(res, 404, "MISSING", "no such widget");
              w->expires_ms = now_ms_ + lease();
              res.status = 204;
            }));
  svr_.Delete(R"(/widgets/([^/]+))", api([this](const Req& req, Res& res, const std::string& user) {
                if (!find(user, req.matches[1]))
                  return error(res, 404, "MISSING", "no such widget");
                widgets_.erase(req.matches[1]);
                res.status = 200;
              }));
  auto part_json = [](const std::string& name, const std::string& fit) {
    return json{{"name", name}, {"fit", fit}};
  };
  svr_.Get(R"(/widgets/([^/]+)/parts)",
           api([this, part_json](const Req& req, Res& res, const std::string& user) {
             Widget* w = find(user, req.matches[1]);
             if (!w) return error(res, 404, "MISSING", "no such widget");
             json parts = json::array();
             for (const auto& [name, fit] : w->parts)
               parts.push_back(part_json(name, fit));
             result(res, 200, parts);
           }));
  svr_.Get(R"(/widgets/([^/]+)/part)",
           api([this, part_json](const Req& req, Res& res, const std::string& user) {
             if (!req.has_param("name"))
               return error(res, 400, "INVALID_REQUEST", "'name' is required");
             Widget* w = find(user, req.matches[1]);
             if (!w) return error(res, 404, "MISSING", "no such widget");
             auto p = w->parts.find(req.get_param_value("name"));
             if (p == w->parts.end()) return error(res, 422, "NO_PART", "no such part");
             result(res, 200, part_json(p->first, p->second));
           }));
  svr_.Post(R"(/widgets/([^/]+)/part)",
            api([this, part_json](const Req& req, Res& res, const std::string& user) {
              json b;
              if (req.get_param_value("op") != "fit")
                return error(res, 400, "INVALID_REQUEST", "unknown op");
              if (!object_body(req, res, b) || !string_field(b, "name", res)) return;
              Widget* w = find(user, req.matches[1]);
              if (!w) return error(res, 404, "MISSING", "no such widget");
              auto p = w->parts.find(b["name"].get<std::string>());
              if (p == w->parts.end()) return error(res, 422, "NO_PART", "no such part");
              p->second = "FITTED";
              result(res, 200, part_json(p->first, p->second));
            }));

  // Clock control (docs/mock.md, "Clock control protocol"), no authentication.
  svr_.Get("/control/clock", [this](const Req&, Res& res) {
    std::lock_guard<std::mutex> lock(mu_);
    res.set_content(json{{"now", datetime(now_ms_)}, {"mode", "virtual"}}.dump(),
                    "application/json");
  });
  svr_.Post("/control/clock/advance", [this](const Req& req, Res& res) {
    std::lock_guard<std::mutex> lock(mu_);
    json b = json::parse(req.body, nullptr, false);
    if (b.is_discarded() || !b.is_object() || !b.contains("milliseconds") ||
        !b["milliseconds"].is_number_integer())
      return error(res, 400, "INVALID_REQUEST", "expected {\"milliseconds\": N}");
    std::int64_t ms = b["milliseconds"].get<std::int64_t>();
    if (ms < 0 || ms > 100LL * 365 * 24 * 3600 * 1000)
      return error(res, 400, "INVALID_REQUEST", "milliseconds out of range");
    now_ms_ += ms;
    res.set_content(json{{"now", datetime(now_ms_)}}.dump(), "application/json");
  });
  svr_.Post("/control/reset", [this](const Req&, Res& res) {
    std::lock_guard<std::mutex> lock(mu_);
    widgets_.clear();
    request_tokens_.clear();
    now_ms_ = kEpochMs;
    res.status = 204;
  });
}

}  // namespace toy
