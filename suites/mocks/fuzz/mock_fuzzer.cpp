// libFuzzer target: raw HTTP bytes into the download-session mock. Each input is what a client
// sends on one connection; dsmock::Server::serve_raw runs cpp-httplib's request parser and the
// mock's routing and handlers over it, in memory (no socket, no thread). See docs/fuzzing.md.
//
// Placeholders in the input are replaced before it is served, so that inputs can reach the
// authenticated routes and the download route:
//   @TOKEN@  alice's login token (for the vmware-api-session-id header)
//   @BOB@    bob's login token
//   @SID@    the id of an ACTIVE download session of alice's on item 6d4c2a1e-... (3 files)
//   @DL@     the download token of that session's prepared file photon-5.mf (1024 bytes), as in
//            /mock/v1/download/@DL@/photon-5.mf
// Every input starts from the same state, which depends only on the input itself: the mock
// (virtual clock, default users and items) is reset; if the input names @SID@ or @DL@ that
// session is created, and if it names @DL@ photon-5.mf is prepared. Only login tokens outlive
// a reset; when an input may have logged alice or bob out (it contains DELETE), their tokens
// are checked, and they log in again if needed, before the next input.
// The mock changes state only on POST and DELETE (login, logout, create, keep_alive, cancel,
// fail, delete, prepare, the clock routes), so after an input without either the state is
// still the one it started from and is kept when the next input needs the same one: that
// spares the set-up requests.
//
// Environment: DSMOCK_FUZZ_ABORT_ON_5XX=1 makes any 5xx answer a crash (the mock has no faults
// here, so a 5xx means an unexpected exception in a handler). DSMOCK_FUZZ_ECHO=1 prints every
// input's answer on stderr (to check what a new corpus file does).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "dsmock/server.hpp"

namespace {

constexpr const char* kItem = "6d4c2a1e-0b7f-4a53-9c1e-2f8a7b3c9d01";
constexpr const char* kAliceBasic = "YWxpY2U6YWxpY2UtcGFzcw==";  // alice:alice-pass
constexpr const char* kBobBasic = "Ym9iOmJvYi1wYXNz";            // bob:bob-pass
// Recreate the server now and then: logins made by inputs are never forgotten (by design), so
// a long run would otherwise grow without bound.
constexpr unsigned kRunsPerServer = 100000;

[[noreturn]] void die(const std::string& what, const std::string& response) {
  std::fprintf(stderr, "mock_fuzzer: %s\n--- response ---\n%s\n", what.c_str(),
               response.substr(0, 2000).c_str());
  std::abort();
}

struct Answer {
  int status = 0;
  std::string body;
  std::string raw;
};

// One request through serve_raw; the answer must be a single HTTP/1.1 response.
Answer request(dsmock::Server& s, const std::string& method, const std::string& target,
               const std::string& headers, const std::string& body = "") {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: fuzz.invalid\r\n" + headers;
  if (!body.empty())
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  Answer a;
  a.raw = s.serve_raw(req);
  if (a.raw.rfind("HTTP/1.1 ", 0) != 0) die(method + " " + target + ": no HTTP answer", a.raw);
  a.status = std::atoi(a.raw.c_str() + 9);
  const auto end = a.raw.find("\r\n\r\n");
  if (end != std::string::npos) a.body = a.raw.substr(end + 4);
  return a;
}

std::string login(dsmock::Server& s, const char* basic) {
  Answer a =
      request(s, "POST", "/api/session", std::string("Authorization: Basic ") + basic + "\r\n");
  auto j = nlohmann::json::parse(a.body, nullptr, false);
  if (a.status != 201 || !j.is_string()) die("login failed", a.raw);
  return j.get<std::string>();
}

// What an input needs besides the reset: nothing, the session (@SID@), or also its prepared
// file (@DL@).
enum class Need { Reset, Session, Prepared };

struct Fixture {
  std::unique_ptr<dsmock::Server> server;
  std::string alice, bob;  // login tokens
  std::string sid, dl;     // the current session id and download token
  unsigned runs = 0;
  std::optional<Need> state;      // what the mock's state was set up for; none = unknown
  bool maybe_logged_out = false;  // the last input may have logged alice or bob out
  bool abort_on_5xx = false;
  bool echo = false;

  void fresh_server() {
    dsmock::Options o;
    o.virtual_clock = true;
    server = std::make_unique<dsmock::Server>(o);
    alice = login(*server, kAliceBasic);
    bob = login(*server, kBobBasic);
    state.reset();
    maybe_logged_out = false;
  }

  static Need need_of(std::string_view input) {
    if (input.find("@DL@") != std::string_view::npos) return Need::Prepared;
    if (input.find("@SID@") != std::string_view::npos) return Need::Session;
    return Need::Reset;
  }

  // Brings the mock to the state `need` asks for (see the top of the file).
  void setup(Need need) {
    if (++runs % kRunsPerServer == 0) fresh_server();
    if (state == need && !maybe_logged_out) return;
    dsmock::Server& s = *server;
    if (state != need) {
      state.reset();
      if (request(s, "POST", "/mock/v1/reset", "").status != 204) die("reset failed", "");
    }
    if (maybe_logged_out) {  // after the reset: a login's times come from the clock
      for (auto [token, basic] : {std::pair{&alice, kAliceBasic}, std::pair{&bob, kBobBasic}})
        if (request(s, "GET", "/api/session", "vmware-api-session-id: " + *token + "\r\n").status ==
            401)
          *token = login(s, basic);
      maybe_logged_out = false;
    }
    if (state == need) return;
    const std::string auth = "vmware-api-session-id: " + alice + "\r\n";
    const std::string sessions = "/api/content/library/item/download-session";
    if (need != Need::Reset) {
      Answer c = request(s, "POST", sessions, auth,
                         std::string("{\"library_item_id\":\"") + kItem + "\"}");
      auto id = nlohmann::json::parse(c.body, nullptr, false);
      if (c.status != 201 || !id.is_string()) die("create failed", c.raw);
      sid = id.get<std::string>();
    }
    if (need == Need::Prepared) {
      Answer p = request(s, "POST", sessions + "/" + sid + "/file?action=prepare", auth,
                         "{\"file_name\":\"photon-5.mf\"}");
      auto info = nlohmann::json::parse(p.body, nullptr, false);
      if (p.status != 200 || !info.is_object() || !info.contains("download_endpoint"))
        die("prepare failed", p.raw);
      const std::string uri = info["download_endpoint"].value("uri", "");
      const std::string marker = "/mock/v1/download/";
      const auto at = uri.find(marker);
      const auto slash = at == std::string::npos ? at : uri.find('/', at + marker.size());
      if (slash == std::string::npos) die("no download token in " + uri, p.raw);
      dl = uri.substr(at + marker.size(), slash - at - marker.size());
    }
    state = need;
  }

  // After an input: what it may have changed.
  void served(const std::string& input) {
    if (input.find("POST") != std::string::npos || input.find("DELETE") != std::string::npos)
      state.reset();
    if (input.find("DELETE") != std::string::npos) maybe_logged_out = true;
  }

  std::string expand(std::string_view in) const {
    std::string out;
    out.reserve(in.size() + 128);
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '@') {
        const std::string_view rest = in.substr(i);
        auto take = [&](std::string_view name, const std::string& value) {
          if (rest.substr(0, name.size()) != name) return false;
          out += value;
          i += name.size() - 1;
          return true;
        };
        if (take("@TOKEN@", alice) || take("@BOB@", bob) || take("@SID@", sid) || take("@DL@", dl))
          continue;
      }
      out.push_back(in[i]);
    }
    return out;
  }

  // Echoes the answer and aborts on a 5xx status line when asked to (see the top of the file).
  void check_answer(const std::string& out) const {
    if (echo) std::fprintf(stderr, "%s\n--- end of answer ---\n", out.c_str());
    if (!abort_on_5xx) return;
    for (auto p = out.find("HTTP/1.1 5"); p != std::string::npos; p = out.find("HTTP/1.1 5", p + 1))
      if (p == 0 || (p >= 2 && out.compare(p - 2, 2, "\r\n") == 0))
        die("a 5xx answer", out.substr(p));
  }
};

Fixture* g_fixture = nullptr;  // never freed: reachable, so LeakSanitizer does not report it

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_fixture = new Fixture;
  const char* env = std::getenv("DSMOCK_FUZZ_ABORT_ON_5XX");
  g_fixture->abort_on_5xx = env && std::string(env) == "1";
  env = std::getenv("DSMOCK_FUZZ_ECHO");
  g_fixture->echo = env && std::string(env) == "1";
  g_fixture->fresh_server();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = *g_fixture;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  f.setup(Fixture::need_of(raw));
  const std::string input = f.expand(raw);
  f.served(input);  // before serving: an input that crashes leaves the state unknown anyway
  f.check_answer(f.server->serve_raw(input));
  return 0;
}
