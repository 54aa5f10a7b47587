// The preflight: the profile checked against the target before any sequence runs.
#include "conformance/engine/preflight.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "conformance/engine/checker.hpp"
#include "conformance/engine/target.hpp"
#include "conformance/engine/wire.hpp"

namespace conformance::engine {

using nlohmann::json;
using spec::Operation;
using spec::Resource;

namespace {

std::string answer_of(const HttpResponse& r) {
  return r.transport_error.empty() ? "HTTP " + std::to_string(r.status) : r.transport_error;
}

// The operations the checks use, by the roles the spec gives them: create a managed
// instance for an external item, read it, list its children, remove it.
struct Roles {
  const Operation *creator = nullptr, *reader = nullptr, *lister = nullptr, *remover = nullptr;
  const spec::Effect* create = nullptr;
  const Resource* managed = nullptr;
  const Resource* child = nullptr;
  std::string item_param;  // dotted parameter path of the item id in the creator's arguments
};

Roles roles_of(const spec::Spec& spec) {
  Roles r;
  for (const auto& [_, res] : spec.resources)
    if (res.kind == Resource::Kind::Child) r.child = &res;
  if (!r.child) return r;
  r.managed = spec.find_resource(r.child->parent);
  for (const Operation* op : spec.operations()) {
    for (const auto& e : op->effects) {
      if (e.kind == spec::Effect::Kind::Create && e.resource == r.child->parent)
        r.creator = op, r.create = &e;
      if (e.kind == spec::Effect::Kind::Remove && e.resource == r.child->parent) r.remover = op;
    }
    if (op->returns.kind == spec::Returns::Kind::Children && op->returns.resource == r.child->name)
      r.lister = op;
    if (op->returns.kind == spec::Returns::Kind::Resource &&
        op->returns.resource == r.child->parent && op->effects.empty())
      r.reader = op;
  }
  if (r.create) {
    auto via = r.create->fields.find(r.child->members_via_parent_field);
    if (via != r.create->fields.end() && via->second.kind == spec::ValueExpr::Kind::Param)
      r.item_param = via->second.param;
  }
  return r;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Checks {
 public:
  Checks(const spec::Spec& spec, const Profile& profile)
      : spec_(spec), profile_(profile), binding_(spec.bindings.at(profile.binding)) {}

  PreflightReport run() {
    transport_ = std::make_unique<Transport>(profile_);
    if (!log_in()) return std::move(out_);
    clock();
    instances();
    return std::move(out_);
  }

 private:
  void problem(const std::string& field, const std::string& message, int code = 2) {
    out_.problems.push_back({field, message, code});
  }

  bool log_in() {
    for (std::size_t i = 0; i < profile_.users.size(); ++i) {
      const User& u = profile_.users[i];
      HttpResponse probe;
      try {
        tokens_.push_back(login(*transport_, binding_, u.name, u.password));
        out_.ok.push_back("user " + u.name + " logs in");
      } catch (const std::exception& e) {
        std::string what = e.what();
        bool no_answer = what.find("HTTP ") == std::string::npos &&
                         what.find("no session token") == std::string::npos;
        if (no_answer) {
          problem("/", explain_transport_error(profile_.url, what), 3);
          return false;
        }
        problem("/users/" + std::to_string(i),
                what + ": check the user's name and its password_env / password_file", 3);
      }
    }
    return tokens_.size() == profile_.users.size();
  }

  void clock() {
    if (!profile_.virtual_clock()) return;
    Profile control = profile_;
    control.url = profile_.clock_control;
    std::unique_ptr<Transport> t;
    try {
      t = std::make_unique<Transport>(control);
    } catch (const std::exception& e) {
      problem("/clock_control", e.what());
      return;
    }
    HttpResponse r = t->send({"GET", "/clock", "", {}, std::nullopt});
    json b = json::parse(r.body, nullptr, false);
    bool ok = r.status == 200 && b.is_object() && b.contains("now") && b["now"].is_string() &&
              parse_datetime(b["now"].get<std::string>());
    if (!ok) {
      problem("/clock_control",
              "'" + profile_.clock_control + "' does not answer GET " + profile_.clock_control +
                  "/clock with {\"now\": <date-time>} (" + answer_of(r) +
                  "): clock_control is the protocol's base URL, the one its /clock, "
                  "/clock/advance and /reset are under (e.g. http://HOST:PORT/mock/v1; "
                  "docs/mock.md, clock-control protocol)");
      return;
    }
    control_clock_ms_ = *parse_datetime(b["now"].get<std::string>());
    out_.ok.push_back("clock control answers at " + profile_.clock_control);
  }

  HttpResponse send(const Operation& op, const json& args) {
    return transport_->send(encode(binding_, op, args, tokens_.front()));
  }

  void instances() {
    Roles r = roles_of(spec_);
    if (!r.creator || !r.remover || r.item_param.empty()) return;
    double timeout = profile_.session_timeout_s.value_or(
        r.managed && r.managed->lease ? r.managed->lease->timeout_seconds : 0);
    bool timeout_checked = false;
    const std::string where = "/instances/" + r.child->members_from;
    const auto& instances = profile_.instances_of(r.child->members_from);
    for (std::size_t i = 0; i < instances.size(); ++i) {
      const ExternalInstance& item = instances[i];
      std::int64_t before_ms = control_clock_ms_ ? *control_clock_ms_ : epoch_ms_now();
      HttpResponse made = send(*r.creator, creation_args(spec_, *r.creator, r.item_param, item.id));
      std::int64_t after_ms = control_clock_ms_ ? *control_clock_ms_ : epoch_ms_now();
      Decoded d = decode(spec_, binding_, *r.creator, made);
      if (d.kind != Decoded::Kind::Success || !d.result.is_string()) {
        // Only a well-formed "not found" says the profile is wrong; any other answer is
        // the server's to answer for, in the run.
        bool not_found =
            d.kind == Decoded::Kind::Error && (d.status == 404 || d.error_name == "NOT_FOUND");
        std::string what = "'" + item.id + "': " + r.creator->full_name + " for this " +
                           r.child->members_from + " answered " + answer_of(made) +
                           (d.error_name.empty() ? "" : " " + d.error_name);
        if (not_found)
          problem(where + "/" + std::to_string(i) + "/id",
                  what + ": does it exist, and may the users read it?");
        else
          out_.warnings.push_back({where + "/" + std::to_string(i) + "/id",
                                   what + ": not checked (the run judges that answer)", 0});
        if (!made.transport_error.empty()) return;  // no answer: leave the rest to the run
        continue;
      }
      std::string id = d.result.get<std::string>();
      out_.ok.push_back(r.child->members_from + " " + item.id + " exists");
      if (r.lister) members(r, where + "/" + std::to_string(i), item, id);
      if (r.reader && r.managed && r.managed->lease && !timeout_checked && timeout > 0) {
        timeout_checked = true;
        expiry(r, id, timeout, before_ms, after_ms);
      }
      send(*r.remover, {{r.remover->effects.front().param, id}});
    }
    if (!profile_.missing_instance_id.empty()) {
      HttpResponse made = send(
          *r.creator, creation_args(spec_, *r.creator, r.item_param, profile_.missing_instance_id));
      Decoded d = decode(spec_, binding_, *r.creator, made);
      if (d.kind == Decoded::Kind::Success) {
        if (d.result.is_string())
          send(*r.remover, {{r.remover->effects.front().param, d.result.get<std::string>()}});
        // Not a configuration error: a server that accepts any item id does so too,
        // and the run reports it (as a violation).
        out_.warnings.push_back({"/missing_instance_id",
                                 r.creator->full_name + " for '" + profile_.missing_instance_id +
                                     "' succeeded: if a " + r.child->members_from +
                                     " has this id, pick one none has; if not, the server "
                                     "accepts unknown ones",
                                 0});
      }
    }
  }

  void members(const Roles& r, const std::string& at, const ExternalInstance& item,
               const std::string& id) {
    HttpResponse res = send(*r.lister, {{r.lister->returns.parent_param, id}});
    Decoded listed = decode(spec_, binding_, *r.lister, res);
    if (listed.kind != Decoded::Kind::Success || !listed.result.is_array()) {
      out_.warnings.push_back({at + "/members",
                               r.lister->full_name + " for " + r.child->members_from + " '" +
                                   item.id + "' answered " + answer_of(res) +
                                   ": not checked (the run judges that answer)",
                               0});
      return;
    }
    std::vector<std::string> names;
    for (const auto& f : listed.result)
      if (f.is_object() && f.contains(r.child->key) && f[r.child->key].is_string())
        names.push_back(f[r.child->key].get<std::string>());
    for (std::size_t j = 0; j < item.members.size(); ++j)
      if (std::find(names.begin(), names.end(), item.members[j]) == names.end()) {
        std::string have;
        for (const auto& n : names)
          have += (have.empty() ? "" : ", ") + n;
        problem(at + "/members/" + std::to_string(j),
                "'" + item.members[j] + "' is not a " + r.child->name + " of " +
                    r.child->members_from + " '" + item.id +
                    "' (it has: " + (have.empty() ? "none" : have) + ")");
      }
  }

  void expiry(const Roles& r, const std::string& id, double timeout, std::int64_t before_ms,
              std::int64_t after_ms) {
    HttpResponse res = send(*r.reader, {{r.reader->returns.param, id}});
    Decoded d = decode(spec_, binding_, *r.reader, res);
    const std::string& field = r.managed->lease->field;
    if (d.kind != Decoded::Kind::Success || !d.result.is_object() || !d.result.contains(field) ||
        !d.result[field].is_string())
      return;  // the run judges a bad answer; here only the profile is checked
    auto expires = parse_datetime(d.result[field].get<std::string>());
    if (!expires) return;
    double lo = static_cast<double>(*expires - after_ms) / 1000.0;
    double hi = static_cast<double>(*expires - before_ms) / 1000.0;
    double slack = profile_.clock_tolerance_s + (profile_.virtual_clock() ? 0.001 : 0.5);
    if (timeout < lo - slack || timeout > hi + slack) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "the server's %s is %.1f s after the session was created, ",
                    field.c_str(), (lo + hi) / 2);
      // Stated in the profile: a mistake there. Not stated: the spec's timeout applies,
      // and a server that disagrees may be wrong (the run judges it) or configured
      // otherwise (then the profile must say so): a warning.
      if (profile_.session_timeout_s)
        problem("/session_timeout_seconds",
                buf + std::string("but the profile says ") + seconds(timeout) +
                    ": set session_timeout_seconds to the server's timeout");
      else
        out_.warnings.push_back({"/session_timeout_seconds",
                                 buf + std::string("but the spec's timeout is ") +
                                     seconds(timeout) +
                                     ": if the server is configured so, set "
                                     "session_timeout_seconds; if not, the run reports it",
                                 0});
      return;
    }
    out_.ok.push_back(field + " agrees with a session timeout of " +
                      std::to_string(static_cast<long>(std::lround(timeout))) + " s");
  }

  const spec::Spec& spec_;
  const Profile& profile_;
  const spec::Binding& binding_;
  std::unique_ptr<Transport> transport_;
  std::vector<std::string> tokens_;
  std::optional<std::int64_t> control_clock_ms_;
  PreflightReport out_;
};

}  // namespace

int PreflightReport::exit_code() const {
  int code = 0;
  for (const auto& p : problems)
    code = std::max(code, p.exit_code);
  return code;
}

PreflightReport preflight(const spec::Spec& spec, const Profile& profile) {
  return Checks(spec, profile).run();
}

std::string explain_transport_error(const std::string& url, const std::string& error) {
  auto has = [&](const char* s) { return error.find(s) != std::string::npos; };
  std::string hint;
  if (has("SSLServerVerification") || has("SSLServerHostnameVerification"))
    hint =
        "the server's TLS certificate could not be verified: pass --ca-file FILE (the CA that "
        "signed it; or \"tls\": {\"ca_file\": ...} in the profile), or --insecure to skip "
        "verification (testing only); check that the host name matches the certificate";
  else if (has("SSL"))
    hint = "the TLS handshake failed: is " + url + " an https server (or an http one)?";
  else if (has("ConnectionTimeout") || has("timed out"))
    hint =
        "no answer in time: check the host, port and firewall, or raise "
        "request_timeout_seconds in the profile";
  else if (has("Connection"))
    hint =
        "nothing accepts connections there: is the server running, and are the host and "
        "port right?";
  else
    hint = "check the URL and that the server is up";
  return url + ": " + error + "; " + hint;
}

}  // namespace conformance::engine
