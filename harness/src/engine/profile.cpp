#include "conformance/engine/profile.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "conformance/spec/spec.hpp"

namespace conformance::engine {

using nlohmann::json;

const User* Profile::user(const std::string& name) const {
  for (const auto& u : users)
    if (u.name == name) return &u;
  return nullptr;
}

const std::vector<ExternalInstance>& Profile::instances_of(const std::string& resource) const {
  static const std::vector<ExternalInstance> none;
  auto it = instances.find(resource);
  return it == instances.end() ? none : it->second;
}

const ExternalInstance* Profile::find_instance(const std::string& resource,
                                               const std::string& id) const {
  for (const auto& i : instances_of(resource))
    if (i.id == id) return &i;
  return nullptr;
}

namespace {

struct Reader {
  const std::string& file;
  [[noreturn]] void fail(const std::string& pointer, const std::string& reason) const {
    throw ProfileError(file + ": " + (pointer.empty() ? "/" : pointer) + ": " + reason);
  }
  void keys(const json& j, const std::string& ptr,
            std::initializer_list<const char*> allowed) const {
    if (!j.is_object()) fail(ptr, "expected an object");
    for (const auto& [k, _] : j.items()) {
      bool ok = false;
      for (const char* a : allowed)
        ok = ok || k == a;
      if (!ok) fail(ptr + "/" + k, "unknown key '" + k + "'");
    }
  }
  std::string str(const json& j, const std::string& ptr) const {
    if (!j.is_string() || j.get<std::string>().empty()) fail(ptr, "expected a non-empty string");
    return j.get<std::string>();
  }
  double seconds(const json& j, const std::string& ptr) const {
    if (!j.is_number() || j.get<double>() < 0) fail(ptr, "expected a number of seconds >= 0");
    return j.get<double>();
  }
};

std::string read_secret_file(const Reader& r, const std::string& path, const std::string& ptr) {
  std::ifstream in(path);
  if (!in) r.fail(ptr, "cannot read the password file named here");
  std::string s;
  std::getline(in, s);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  if (s.empty()) r.fail(ptr, "the password file named here is empty");
  return s;
}

// "instances": {"<external resource>": [{"id": ..., "members": [keys...]}, ...], ...}.
// The deprecated "items": [{"id": ..., "files": [...]}] names the instances of the
// spec's only external resource.
void read_instances(const Reader& r, const json& j, const spec::Spec& spec, Profile& p) {
  std::vector<std::string> external;
  for (const auto& [name, res] : spec.resources)
    if (res.kind == spec::Resource::Kind::External) external.push_back(name);
  auto read_list = [&](const json& list, const std::string& ptr, const char* members_key) {
    if (!list.is_array() || list.empty()) r.fail(ptr, "expected a non-empty array of instances");
    std::vector<ExternalInstance> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& it = list[i];
      std::string at = ptr + "/" + std::to_string(i);
      r.keys(it, at, {"id", members_key});
      ExternalInstance inst;
      if (!it.contains("id")) r.fail(at, "missing 'id'");
      inst.id = r.str(it["id"], at + "/id");
      if (it.contains(members_key)) {
        const json& m = it[members_key];
        std::string mp = at + "/" + members_key;
        if (!m.is_array() || m.empty())
          r.fail(mp, std::string("expected the keys of its members (a non-empty array), or no '") +
                         members_key + "' to discover them");
        for (std::size_t k = 0; k < m.size(); ++k)
          inst.members.push_back(r.str(m[k], mp + "/" + std::to_string(k)));
      }
      out.push_back(std::move(inst));
    }
    return out;
  };
  std::string names;
  for (const auto& n : external)
    names += (names.empty() ? "'" : ", '") + n + "'";
  if (j.contains("items") && j.contains("instances"))
    r.fail("/items", "give 'instances' only ('items' is its deprecated form)");
  if (j.contains("items")) {
    if (external.size() != 1)
      r.fail("/items",
             "'items' (deprecated) names the instances of the spec's only external "
             "resource, but the spec declares " +
                 std::to_string(external.size()) + (names.empty() ? "" : " (" + names + ")") +
                 "; use 'instances'");
    p.instances[external.front()] = read_list(j["items"], "/items", "files");
    return;
  }
  if (external.empty()) {
    if (j.contains("instances") && !(j["instances"].is_object() && j["instances"].empty()))
      r.fail("/instances", "the spec declares no external resource");
    return;
  }
  if (!j.contains("instances") || !j["instances"].is_object())
    r.fail("/instances", "expected an object keyed by the spec's external resources (" + names +
                             "), each an array of instances");
  for (const auto& [name, list] : j["instances"].items()) {
    if (std::find(external.begin(), external.end(), name) == external.end())
      r.fail("/instances/" + name,
             "'" + name + "' is not an external resource of the spec (it declares " + names + ")");
    p.instances[name] = read_list(list, "/instances/" + name, "members");
  }
  for (const auto& n : external)
    if (!p.instances.count(n)) r.fail("/instances", "no instances of '" + n + "'");
}

}  // namespace

Profile load_profile(const std::string& file, const spec::Spec& spec) {
  std::ifstream in(file);
  if (!in) throw ProfileError(file + ": cannot open the profile");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw ProfileError(file + ": not valid JSON: " + e.what());
  }
  Reader r{file};
  r.keys(j, "",
         {"url", "binding", "users", "instances", "items", "missing_instance_id", "missing_item_id",
          "tls", "session_timeout_seconds", "cleanup_grace_seconds", "clock_tolerance_seconds",
          "prepare_timeout_seconds", "request_timeout_seconds", "clock_control"});
  Profile p;
  if (j.contains("url")) p.url = r.str(j["url"], "/url");
  if (j.contains("binding")) p.binding = r.str(j["binding"], "/binding");
  if (!j.contains("users") || !j["users"].is_array() || j["users"].size() < 2)
    r.fail("/users", "expected an array of at least two users (ownership needs a second user)");
  for (std::size_t i = 0; i < j["users"].size(); ++i) {
    const json& u = j["users"][i];
    std::string ptr = "/users/" + std::to_string(i);
    r.keys(u, ptr, {"name", "password_env", "password_file", "privileges"});
    User user;
    if (!u.contains("name")) r.fail(ptr, "missing 'name'");
    user.name = r.str(u["name"], ptr + "/name");
    if (u.contains("password_env") == u.contains("password_file"))
      r.fail(ptr,
             "give exactly one of 'password_env' or 'password_file' (passwords never sit in a "
             "profile)");
    if (u.contains("password_env")) {
      std::string var = r.str(u["password_env"], ptr + "/password_env");
      const char* v = std::getenv(var.c_str());
      if (!v || !*v) r.fail(ptr + "/password_env", "environment variable " + var + " is not set");
      user.password = v;
    } else {
      user.password = read_secret_file(r, r.str(u["password_file"], ptr + "/password_file"),
                                       ptr + "/password_file");
    }
    if (u.contains("privileges")) {
      if (!u["privileges"].is_array()) r.fail(ptr + "/privileges", "expected an array of strings");
      user.privileges.emplace();
      for (std::size_t k = 0; k < u["privileges"].size(); ++k)
        user.privileges->push_back(
            r.str(u["privileges"][k], ptr + "/privileges/" + std::to_string(k)));
    }
    if (p.user(user.name)) r.fail(ptr + "/name", "duplicate user '" + user.name + "'");
    p.users.push_back(std::move(user));
  }
  read_instances(r, j, spec, p);
  if (j.contains("missing_instance_id") && j.contains("missing_item_id"))
    r.fail("/missing_item_id",
           "give 'missing_instance_id' only ('missing_item_id' is its deprecated name)");
  for (const char* key : {"missing_instance_id", "missing_item_id"})
    if (j.contains(key)) p.missing_instance_id = r.str(j[key], std::string("/") + key);
  for (const auto& [_, list] : p.instances)
    for (const auto& inst : list)
      if (inst.id == p.missing_instance_id)
        r.fail(j.contains("missing_item_id") ? "/missing_item_id" : "/missing_instance_id",
               "this id names one of the profile's instances");
  if (j.contains("tls")) {
    r.keys(j["tls"], "/tls", {"verify", "ca_file"});
    if (j["tls"].contains("verify")) {
      if (!j["tls"]["verify"].is_boolean()) r.fail("/tls/verify", "expected true or false");
      p.tls_verify = j["tls"]["verify"].get<bool>();
    }
    if (j["tls"].contains("ca_file")) p.ca_file = r.str(j["tls"]["ca_file"], "/tls/ca_file");
  }
  if (j.contains("session_timeout_seconds")) {
    p.session_timeout_s = r.seconds(j["session_timeout_seconds"], "/session_timeout_seconds");
    if (*p.session_timeout_s <= 0) r.fail("/session_timeout_seconds", "must be positive");
  }
  if (j.contains("cleanup_grace_seconds"))
    p.cleanup_grace_s = r.seconds(j["cleanup_grace_seconds"], "/cleanup_grace_seconds");
  if (j.contains("clock_tolerance_seconds"))
    p.clock_tolerance_s = r.seconds(j["clock_tolerance_seconds"], "/clock_tolerance_seconds");
  if (j.contains("prepare_timeout_seconds"))
    p.prepare_timeout_s = r.seconds(j["prepare_timeout_seconds"], "/prepare_timeout_seconds");
  if (j.contains("request_timeout_seconds")) {
    p.request_timeout_s = r.seconds(j["request_timeout_seconds"], "/request_timeout_seconds");
    if (p.request_timeout_s <= 0) r.fail("/request_timeout_seconds", "must be positive");
  }
  if (j.contains("clock_control")) p.clock_control = r.str(j["clock_control"], "/clock_control");
  return p;
}

}  // namespace conformance::engine
