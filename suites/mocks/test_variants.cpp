// Behaviour variants: the catalogue, option validation, and for every variant value that the
// mock behaves as the catalogue says (and, for the default, as before).
#include <poll.h>
#include <unistd.h>

#include <boost/test/data/test_case.hpp>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "mock_client.hpp"

using namespace mt;
namespace bdata = boost::unit_test::data;

namespace {

using VariantMap = std::map<std::string, std::string>;

dsmock::Options with(VariantMap variants) {
  dsmock::Options o = Mock::virtual_opts();
  o.variants = std::move(variants);
  return o;
}

// The variant set to `value`, or not given at all for "" (the default must behave the same).
dsmock::Options with_value(const std::string& name, const std::string& value) {
  return value.empty() ? Mock::virtual_opts() : with({{name, value}});
}

// Every clause id of the shipped spec: each object with an "id" and a "provenance".
void collect_clauses(const json& j, std::map<std::string, std::string>& out) {
  if (j.is_object()) {
    if (j.contains("id") && j.contains("provenance") && j["id"].is_string())
      out[j["id"].get<std::string>()] = j["provenance"].get<std::string>();
    for (const auto& [k, v] : j.items())
      collect_clauses(v, out);
  } else if (j.is_array()) {
    for (const auto& v : j)
      collect_clauses(v, out);
  }
}

const std::map<std::string, std::string>& spec_clauses() {
  static const std::map<std::string, std::string> clauses = [] {
    std::ifstream in(DSMOCK_SPEC_FILE);
    BOOST_REQUIRE_MESSAGE(in, "cannot read " << DSMOCK_SPEC_FILE);
    std::map<std::string, std::string> out;
    collect_clauses(json::parse(in), out);
    return out;
  }();
  return clauses;
}

// A concrete value for a catalogue value ("name:<file>" -> "name:x").
std::string sample(const std::string& value) {
  auto lt = value.find('<');
  return lt == std::string::npos ? value : value.substr(0, lt) + "x";
}

std::int64_t progress(const Ds& ds, const std::string& id) {
  return ds.get(id).v().value("client_progress", std::int64_t{-1});
}

std::string expiration(const Ds& ds, const std::string& id) {
  return ds.get(id).v().value("expiration_time", "");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(variants)

// --- the catalogue and the options -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(catalogue_is_well_formed) {
  std::set<std::string> names;
  for (const auto& v : dsmock::variant_catalogue()) {
    BOOST_TEST_CONTEXT("variant " << v.name) {
      BOOST_TEST(names.insert(v.name).second);
      BOOST_TEST(std::regex_match(v.name, std::regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$")));
      BOOST_TEST_REQUIRE(v.values.size() >= 2u);
      BOOST_TEST(v.default_value == v.values.front());
      BOOST_TEST(std::set<std::string>(v.values.begin(), v.values.end()).size() == v.values.size());
      BOOST_TEST(!v.clauses.empty());
      BOOST_TEST(!v.description.empty());
      for (const auto& x : v.values) {
        BOOST_TEST(x.find('|') == std::string::npos);
        BOOST_TEST(x.find('=') == std::string::npos);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(catalogue_clauses_exist_in_the_spec) {
  const auto& spec = spec_clauses();
  BOOST_TEST_REQUIRE(spec.size() > 40u);
  for (const auto& v : dsmock::variant_catalogue()) {
    bool inferred = false;
    for (const auto& c : v.clauses) {
      if (c.rfind("§", 0) == 0) continue;  // a section of the API reference
      BOOST_TEST_CONTEXT("variant " << v.name << ", clause " << c) {
        auto it = spec.find(c);
        BOOST_TEST_REQUIRE((it != spec.end()));
        inferred = inferred || it->second == "inferred";
      }
    }
    // Needing --strictness documented means taking the alternative of an inferred clause.
    if (!v.documented_values.empty())
      BOOST_TEST(inferred, v.name << " needs documented strictness but names no inferred clause");
    for (const auto& x : v.documented_values)
      BOOST_TEST(
          (std::find(v.values.begin() + 1, v.values.end(), x) != v.values.end()),
          v.name << ": '" << x << "' needs documented strictness but is not a non-default value");
  }
}

// Every point the spec leaves open or only infers has a variant that takes the other way: an
// `open` clause is named by some variant (all of its values are legitimate); an `inferred`
// clause by a variant with values that need --strictness documented (documented_values: the
// values that take its alternative). A clause whose own wording allowed an alternative would
// need no variant, but the spec has no such inferred clause: this rule has no exceptions.
BOOST_AUTO_TEST_CASE(every_open_or_inferred_clause_has_a_variant) {
  const auto& spec = spec_clauses();
  std::set<std::string> open_or_inferred;
  for (const auto& [id, provenance] : spec)
    if (provenance == "open" || provenance == "inferred") open_or_inferred.insert(id);
  BOOST_TEST_REQUIRE(open_or_inferred.size() >=
                     18u);  // the spec as shipped has 3 open, 15 inferred
  std::vector<std::string> uncovered;
  for (const auto& id : open_or_inferred) {
    const bool inferred = spec.at(id) == "inferred";
    bool covered = false;
    for (const auto& v : dsmock::variant_catalogue())
      if (std::find(v.clauses.begin(), v.clauses.end(), id) != v.clauses.end() &&
          (inferred ? !v.documented_values.empty() : v.values.size() >= 2u))
        covered = true;
    if (!covered) uncovered.push_back(id + " (" + spec.at(id) + ")");
  }
  std::string list;
  for (const auto& u : uncovered)
    list += (list.empty() ? "" : ", ") + u;
  BOOST_TEST(uncovered.empty(), "clauses no variant takes the alternative of: " << list);
}

BOOST_AUTO_TEST_CASE(every_value_starts) {
  for (const auto& v : dsmock::variant_catalogue()) {
    for (const auto& x : v.values) {
      BOOST_TEST_CONTEXT(v.name << "=" << x) {
        dsmock::Server s(with({{v.name, sample(x)}}));
        BOOST_TEST(s.start() > 0);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_variants_are_refused) {
  auto message = [](VariantMap m) -> std::string {
    dsmock::Server s(with(std::move(m)));
    try {
      s.start();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  std::string unknown = message({{"no-such-variant", "x"}});
  BOOST_TEST(unknown.find("no-such-variant") != std::string::npos);
  std::string bad = message({{"keepalive-progress-range", "sideways"}});
  BOOST_TEST(bad.find("keepalive-progress-range") != std::string::npos);
  BOOST_TEST(bad.find("sideways") != std::string::npos);
  BOOST_TEST(bad.find("reject|clamp|ignore") != std::string::npos);

  // serve_raw checks the options as start() does.
  dsmock::Server raw(with({{"keepalive-progress-range", "sideways"}}));
  BOOST_CHECK_THROW(raw.serve_raw("GET /mock/v1/clock HTTP/1.1\r\nHost: x\r\n\r\n"),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(add_variant_parses_assignments) {
  dsmock::Options o;
  dsmock::add_variant(o, "keepalive-progress-range=clamp");
  BOOST_TEST(o.variants.at("keepalive-progress-range") == "clamp");
  dsmock::add_variant(o, "keepalive-progress-range=clamp");  // the same again is fine
  BOOST_CHECK_THROW(dsmock::add_variant(o, "keepalive-progress-range=ignore"),
                    std::invalid_argument);
  BOOST_CHECK_THROW(dsmock::add_variant(o, "keepalive-progress-range"), std::invalid_argument);
  BOOST_CHECK_THROW(dsmock::add_variant(o, "=clamp"), std::invalid_argument);
  BOOST_CHECK_THROW(dsmock::add_variant(o, "nope=1"), std::invalid_argument);
  BOOST_CHECK_THROW(dsmock::add_variant(o, "keepalive-null-progress=maybe"), std::invalid_argument);
}

// --- keep_alive ------------------------------------------------------------------------------

BOOST_DATA_TEST_CASE(progress_decrease_default_accepts, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  std::string id = ds.make();
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 50}}).status == ds.ok_void());
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 20}}).status == ds.ok_void());
  BOOST_TEST(progress(ds, id) == 20);
}

BOOST_DATA_TEST_CASE(progress_decrease_ignore, bdata::make(kBindings), b) {
  MockFx fx(with({{"keepalive-progress-decrease", "ignore"}}));
  Ds ds = fx.as_alice(b);
  std::string id = ds.make();
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 50}}).status == ds.ok_void());
  std::string before = expiration(ds, id);
  fx.mock.advance(1000);
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 20}}).status == ds.ok_void());
  BOOST_TEST(progress(ds, id) == 50);
  BOOST_TEST(expiration(ds, id) > before);  // the lease is still extended
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 50}}).status == ds.ok_void());
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 70}}).status == ds.ok_void());
  BOOST_TEST(progress(ds, id) == 70);
}

BOOST_DATA_TEST_CASE(progress_decrease_reject, bdata::make(kBindings), b) {
  MockFx fx(with({{"keepalive-progress-decrease", "reject"}}));
  Ds ds = fx.as_alice(b);
  std::string id = ds.make();
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 50}}).status == ds.ok_void());
  std::string before = expiration(ds, id);
  fx.mock.advance(1000);
  check_error(ds.keep_alive(id, json{{"progress", 20}}), b, 400, "INVALID_ARGUMENT");
  BOOST_TEST(progress(ds, id) == 50);
  BOOST_TEST(expiration(ds, id) == before);  // a refused keep_alive changes nothing
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 50}}).status == ds.ok_void());  // equal is fine
  BOOST_TEST(ds.keep_alive(id).status == ds.ok_void());  // no progress is fine
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 100}}).status == ds.ok_void());
  BOOST_TEST(progress(ds, id) == 100);
}

BOOST_DATA_TEST_CASE(progress_range_default_rejects, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  std::string id = ds.make();
  check_error(ds.keep_alive(id, json{{"progress", 101}}), b, 400, "INVALID_ARGUMENT");
  check_error(ds.keep_alive(id, json{{"progress", -1}}), b, 400, "INVALID_ARGUMENT");
  BOOST_TEST(progress(ds, id) == 0);
}

BOOST_DATA_TEST_CASE(progress_range_clamp, bdata::make(kBindings), b) {
  MockFx fx(with({{"keepalive-progress-range", "clamp"}}));
  Ds ds = fx.as_alice(b);
  std::string id = ds.make();
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 150}}).status == ds.ok_void());
  BOOST_TEST(progress(ds, id) == 100);
  BOOST_TEST(ds.keep_alive(id, json{{"progress", -7}}).status == ds.ok_void());
  BOOST_TEST(progress(ds, id) == 0);
  // Clamped first, then compared with the current progress.
  MockFx fx2(
      with({{"keepalive-progress-range", "clamp"}, {"keepalive-progress-decrease", "reject"}}));
  Ds ds2 = fx2.as_alice(b);
  std::string id2 = ds2.make();
  BOOST_TEST(ds2.keep_alive(id2, json{{"progress", 40}}).status == ds2.ok_void());
  check_error(ds2.keep_alive(id2, json{{"progress", -7}}), b, 400, "INVALID_ARGUMENT");
  BOOST_TEST(ds2.keep_alive(id2, json{{"progress", 1000}}).status == ds2.ok_void());
  BOOST_TEST(progress(ds2, id2) == 100);
}

BOOST_DATA_TEST_CASE(progress_range_ignore, bdata::make(kBindings), b) {
  MockFx fx(with({{"keepalive-progress-range", "ignore"}}));
  Ds ds = fx.as_alice(b);
  std::string id = ds.make();
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 30}}).status == ds.ok_void());
  std::string before = expiration(ds, id);
  fx.mock.advance(1000);
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 150}}).status == ds.ok_void());
  BOOST_TEST(ds.keep_alive(id, json{{"progress", -1}}).status == ds.ok_void());
  BOOST_TEST(progress(ds, id) == 30);
  BOOST_TEST(expiration(ds, id) > before);
  // Wrong types are still malformed.
  check_error(ds.keep_alive_raw(id, R"({"progress":"150"})"), b, 400, "INVALID_REQUEST");
}

BOOST_DATA_TEST_CASE(null_progress, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    ds.keep_alive(id, json{{"progress", 10}});
    BOOST_TEST(ds.keep_alive_raw(id, R"({"progress":null})").status == ds.ok_void());
    BOOST_TEST(progress(ds, id) == 10);
  }
  {
    MockFx fx(with({{"keepalive-null-progress", "reject"}}));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    ds.keep_alive(id, json{{"progress", 10}});
    check_error(ds.keep_alive_raw(id, R"({"progress":null})"), b, 400, "INVALID_REQUEST");
    BOOST_TEST(ds.keep_alive_raw(id, "{}").status == ds.ok_void());
    BOOST_TEST(progress(ds, id) == 10);
  }
}

// --- client_token and create -----------------------------------------------------------------

namespace {
std::string id_of(const Resp& r) {
  return r.v().is_string() ? r.v().get<std::string>() : "";
}
// A create body for the binding: the spec itself on /api, wrapped on /rest.
std::string create_body(B b, const json& spec) {
  return b == B::Api ? spec.dump() : json{{"create_spec", spec}}.dump();
}
}  // namespace

BOOST_DATA_TEST_CASE(token_after_removal_default_forgets, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  std::string id = id_of(ds.create(kItemA, "tok"));
  BOOST_TEST(ds.del(id).status == ds.ok_void());
  Resp again = ds.create(kItemA, "tok");
  BOOST_TEST(again.status == ds.ok_create());
  BOOST_TEST(id_of(again) != id);
  BOOST_TEST(ds.get(id_of(again)).status == 200);
}

BOOST_DATA_TEST_CASE(token_after_removal_remember, bdata::make(kBindings), b) {
  MockFx fx(with({{"client-token-after-removal", "remember"}}));
  Ds ds = fx.as_alice(b);
  // Deleted: the replay answers the old id, which is gone, and creates nothing.
  std::string id = id_of(ds.create(kItemA, "tok"));
  BOOST_TEST(ds.del(id).status == ds.ok_void());
  Resp again = ds.create(kItemA, "tok");
  BOOST_TEST(again.status == ds.ok_create());
  BOOST_TEST(id_of(again) == id);
  check_error(ds.get(id), b, 404, "NOT_FOUND");
  BOOST_TEST(ds.list().v().empty());
  // Expired: the same.
  std::string id2 = id_of(ds.create(kItemB, "tok2"));
  fx.mock.advance(300001);
  BOOST_TEST(id_of(ds.create(kItemB, "tok2")) == id2);
  check_error(ds.get(id2), b, 404, "NOT_FOUND");
  BOOST_TEST(ds.list().v().empty());
  // Canceled sessions keep their token as before; reset forgets every token.
  std::string id3 = id_of(ds.create(kItemA, "tok3"));
  ds.cancel(id3);
  BOOST_TEST(id_of(ds.create(kItemA, "tok3")) == id3);
  fx.mock.reset();
  std::string fresh = id_of(ds.create(kItemA, "tok"));
  BOOST_TEST(fresh != id);
  BOOST_TEST(ds.get(fresh).status == 200);
}

BOOST_AUTO_TEST_CASE(token_transport) {
  auto creates = [](const MockFx& fx, httplib::Headers h, const std::string& query) {
    Ds ds = fx.as_alice(B::Api);
    std::string spec = json{{"library_item_id", kItemA}}.dump();
    std::string a = id_of(ds.create_raw(spec, h, query)), b = id_of(ds.create_raw(spec, h, query));
    BOOST_TEST_REQUIRE((!a.empty() && !b.empty()));
    return a == b;  // true = the token was read (idempotent)
  };
  const httplib::Headers upper{{"Client-Token", "t1"}}, lower{{"client_token", "t2"}};
  {
    MockFx fx;
    BOOST_TEST(creates(fx, upper, ""));
    BOOST_TEST(creates(fx, lower, ""));
    BOOST_TEST(creates(fx, {}, "client_token=t3"));
  }
  {
    MockFx fx(with({{"client-token-transport", "header"}}));
    BOOST_TEST(creates(fx, upper, ""));
    BOOST_TEST(!creates(fx, lower, ""));
    BOOST_TEST(!creates(fx, {}, "client_token=t3"));
    // /rest reads its body field whatever the /api transport.
    Ds rest = fx.as_alice(B::Rest);
    BOOST_TEST(id_of(rest.create(kItemA, "r")) == id_of(rest.create(kItemA, "r")));
  }
  {
    MockFx fx(with({{"client-token-transport", "query"}}));
    BOOST_TEST(!creates(fx, upper, ""));
    BOOST_TEST(!creates(fx, lower, ""));
    BOOST_TEST(creates(fx, {}, "client_token=t3"));
    Ds rest = fx.as_alice(B::Rest);
    BOOST_TEST(id_of(rest.create(kItemA, "r")) == id_of(rest.create(kItemA, "r")));
  }
}

BOOST_DATA_TEST_CASE(token_scope, bdata::make(kBindings), b) {
  {
    MockFx fx;
    std::string a = id_of(fx.as_alice(b).create(kItemA, "shared"));
    std::string other = id_of(fx.as_bob(b).create(kItemA, "shared"));
    BOOST_TEST(other != a);
    BOOST_TEST(fx.as_bob(b).get(other).status == 200);
  }
  {
    MockFx fx(with({{"client-token-scope", "global"}}));
    Ds alice = fx.as_alice(b), bob = fx.as_bob(b);
    std::string a = id_of(alice.create(kItemA, "shared"));
    Resp r = bob.create(kItemA, "shared");
    BOOST_TEST(r.status == bob.ok_create());
    BOOST_TEST(id_of(r) == a);
    check_error(bob.get(a), b, 404, "NOT_FOUND");
    BOOST_TEST(bob.list().v().empty());
    BOOST_TEST(alice.list().v().size() == 1u);
    // A token of one's own still works as before.
    std::string own = id_of(bob.create(kItemA, "bobs"));
    BOOST_TEST(id_of(bob.create(kItemA, "bobs")) == own);
  }
}

BOOST_DATA_TEST_CASE(token_other_spec, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string a = id_of(ds.create(kItemA, "tok"));
    BOOST_TEST(id_of(ds.create(kItemB, "tok")) == a);
  }
  {
    MockFx fx(with({{"client-token-other-spec", "reject"}}));
    Ds ds = fx.as_alice(b);
    std::string a = id_of(ds.create(kItemA, "tok"));
    check_error(ds.create(kItemB, "tok"), b, 400, "INVALID_ARGUMENT");
    BOOST_TEST(id_of(ds.create(kItemA, "tok")) == a);
    BOOST_TEST(ds.list().v().size() == 1u);
  }
}

namespace {
// Two creates with one new token at once: the ids they answer.
std::pair<std::string, std::string> concurrent_creates(const Ds& ds, const std::string& token) {
  std::string a, b;
  std::thread t1([&] { a = id_of(ds.create(kItemA, token)); });
  std::thread t2([&] { b = id_of(ds.create(kItemA, token)); });
  t1.join();
  t2.join();
  return {a, b};
}
}  // namespace

BOOST_DATA_TEST_CASE(token_concurrency, bdata::make(kBindings), b) {
  for (const char* value : {"", "atomic"}) {
    BOOST_TEST_CONTEXT("client-token-concurrency=" << value) {
      MockFx fx(with_value("client-token-concurrency", value));
      Ds ds = fx.as_alice(b);
      for (int i = 0; i < 3; ++i) {
        auto [x, y] = concurrent_creates(ds, "conc" + std::to_string(i));
        BOOST_TEST(!x.empty());
        BOOST_TEST(x == y);
      }
      BOOST_TEST(ds.list().v().size() == 3u);
    }
  }
  MockFx fx(with({{"client-token-concurrency", "racy"}}));
  Ds ds = fx.as_alice(b);
  // Sequential replays stay idempotent.
  std::string seq = id_of(ds.create(kItemA, "seq"));
  BOOST_TEST(id_of(ds.create(kItemA, "seq")) == seq);
  // Concurrent ones each make a session (the ~20 ms window is far longer than a create); the
  // token then stands for one of them.
  auto [x, y] = concurrent_creates(ds, "conc");
  BOOST_TEST(!x.empty());
  BOOST_TEST(!y.empty());
  BOOST_TEST(x != y);
  BOOST_TEST(ds.list().v().size() == 3u);
  std::string bound = id_of(ds.create(kItemA, "conc"));
  BOOST_TEST((bound == x || bound == y));
  BOOST_TEST(ds.list().v().size() == 3u);
}

BOOST_DATA_TEST_CASE(create_missing_item_id, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    check_error(ds.create_raw(create_body(b, json::object())), b, 400, "INVALID_ARGUMENT");
    check_error(ds.create_raw(create_body(b, {{"library_item_id", nullptr}})), b, 400,
                "INVALID_ARGUMENT");
  }
  {
    MockFx fx(with({{"create-missing-item-id", "not-found"}}));
    Ds ds = fx.as_alice(b);
    check_error(ds.create_raw(create_body(b, json::object())), b, 404, "NOT_FOUND");
    check_error(ds.create_raw(create_body(b, {{"library_item_id", nullptr}})), b, 404, "NOT_FOUND");
    check_error(ds.create_raw(create_body(b, {{"library_item_id", 42}})), b, 400,
                "INVALID_ARGUMENT");
    BOOST_TEST(ds.list().v().empty());
  }
}

BOOST_DATA_TEST_CASE(create_unused_fields, bdata::make(kBindings), b) {
  const json spec = {{"library_item_id", kItemA}, {"state", "CANCELED"}, {"client_progress", 50}};
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    Resp r = ds.create_raw(create_body(b, spec));
    BOOST_TEST(r.status == ds.ok_create());
    BOOST_TEST(ds.get(id_of(r)).v()["state"] == "ACTIVE");
  }
  {
    MockFx fx(with({{"create-unused-fields", "reject"}}));
    Ds ds = fx.as_alice(b);
    check_error(ds.create_raw(create_body(b, spec)), b, 400, "INVALID_ARGUMENT");
    // Null (unset) ones and fields the model does not have are fine.
    json nulls = {{"library_item_id", kItemA},
                  {"state", nullptr},
                  {"id", nullptr},
                  {"expiration_time", nullptr},
                  {"something_else", 1}};
    BOOST_TEST(ds.create_raw(create_body(b, nulls)).status == ds.ok_create());
  }
}

// --- the session model, ownership and the lease ----------------------------------------------

BOOST_DATA_TEST_CASE(foreign_sessions_default, bdata::make(kBindings), b) {
  MockFx fx;
  Ds alice = fx.as_alice(b), bob = fx.as_bob(b);
  std::string id = alice.make(kItemB);
  check_error(bob.get(id), b, 404, "NOT_FOUND");
  check_error(bob.keep_alive(id), b, 404, "NOT_FOUND");
  check_error(bob.file_prepare(id, "tools.iso"), b, 404, "NOT_FOUND");
  check_error(bob.del(id), b, 404, "NOT_FOUND");
  BOOST_TEST(bob.list().v().empty());
  BOOST_TEST(alice.get(id).status == 200);
}

BOOST_DATA_TEST_CASE(foreign_sessions_unauthorized, bdata::make(kBindings), b) {
  MockFx fx(with({{"foreign-sessions", "unauthorized"}}));
  Ds alice = fx.as_alice(b), bob = fx.as_bob(b);
  std::string id = alice.make(kItemB);
  check_error(bob.get(id), b, 403, "UNAUTHORIZED");
  check_error(bob.keep_alive(id, json{{"progress", 5}}), b, 403, "UNAUTHORIZED");
  check_error(bob.cancel(id), b, 403, "UNAUTHORIZED");
  check_error(bob.fail(id, "x"), b, 403, "UNAUTHORIZED");
  check_error(bob.file_list(id), b, 403, "UNAUTHORIZED");
  check_error(bob.file_get(id, "tools.iso"), b, 403, "UNAUTHORIZED");
  check_error(bob.file_prepare(id, "tools.iso"), b, 403, "UNAUTHORIZED");
  check_error(bob.del(id), b, 403, "UNAUTHORIZED");
  BOOST_TEST(bob.list().v().empty());
  check_error(bob.get(kUnknownId), b, 404, "NOT_FOUND");
  json mine = alice.get(id).v();
  BOOST_TEST(mine["state"] == "ACTIVE");
  BOOST_TEST(mine["client_progress"] == 0);
}

BOOST_DATA_TEST_CASE(foreign_sessions_visible, bdata::make(kBindings), b) {
  MockFx fx(with({{"foreign-sessions", "visible"}}));
  Ds alice = fx.as_alice(b), bob = fx.as_bob(b);
  std::string id = alice.make(kItemB);
  BOOST_TEST(bob.get(id).v() == alice.get(id).v());
  BOOST_TEST(bob.keep_alive(id, json{{"progress", 40}}).status == bob.ok_void());
  BOOST_TEST(progress(alice, id) == 40);
  BOOST_TEST(bob.file_list(id).status == 200);
  BOOST_TEST(bob.file_prepare(id, "tools.iso").v()["status"] == "PREPARED");
  BOOST_TEST(bob.cancel(id).status == bob.ok_void());
  BOOST_TEST(alice.get(id).v()["state"] == "CANCELED");
  BOOST_TEST(bob.list().v().empty());  // list stays the caller's own
  BOOST_TEST(contains(alice.list().v(), id));
  BOOST_TEST(bob.del(id).status == bob.ok_void());
  check_error(alice.get(id), b, 404, "NOT_FOUND");
}

BOOST_DATA_TEST_CASE(expiry_grace, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    fx.mock.advance(300000);
    BOOST_TEST(ds.get(id).status == 200);
    fx.mock.advance(1);
    check_error(ds.get(id), b, 404, "NOT_FOUND");
  }
  for (long long grace : {1000LL, 5000LL}) {
    BOOST_TEST_CONTEXT("grace " << grace << " ms") {
      MockFx fx(with({{"expiry-grace", std::to_string(grace / 1000)}}));
      Ds ds = fx.as_alice(b);
      std::string id = ds.make(), other = ds.make(kItemB);
      const std::string expiry = expiration(ds, id);
      fx.mock.advance(300000 + grace);  // expired, not yet cleaned up
      BOOST_TEST(ds.get(id).status == 200);
      BOOST_TEST(expiration(ds, id) == expiry);
      BOOST_TEST(contains(ds.list().v(), id));
      // keep_alive in the grace renews the lease.
      BOOST_TEST(ds.keep_alive(other).status == ds.ok_void());
      fx.mock.advance(1);
      check_error(ds.get(id), b, 404, "NOT_FOUND");
      BOOST_TEST(!contains(ds.list().v(), id));
      BOOST_TEST(ds.get(other).status == 200);
      fx.mock.advance(300000 + grace - 1);  // renewed 1 ms ago: exactly expiration + grace
      BOOST_TEST(ds.get(other).status == 200);
      fx.mock.advance(1);
      check_error(ds.get(other), b, 404, "NOT_FOUND");
    }
  }
}

BOOST_DATA_TEST_CASE(lease_renewal, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    const std::string before = expiration(ds, id);
    fx.mock.advance(1000);
    ds.file_list(id);
    ds.file_prepare(id, "tools.iso");
    BOOST_TEST(expiration(ds, id) == before);
  }
  {
    MockFx fx(with({{"lease-renewal", "any-call"}}));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    BOOST_TEST(expiration(ds, id) == "2030-01-01T00:05:00.000Z");
    fx.mock.advance(1000);
    BOOST_TEST(expiration(ds, id) == "2030-01-01T00:05:01.000Z");  // get itself renews
    const std::vector<std::function<Resp()>> calls = {
        [&] { return ds.file_list(id); },
        [&] { return ds.file_get(id, "tools.iso"); },
        [&] { return ds.file_prepare(id, "tools.iso"); },
        [&] { return ds.cancel(id); },
    };
    for (const auto& call : calls) {  // at 2, 3, 4 and 5 s
      fx.mock.advance(1000);
      BOOST_TEST(call().status < 300);
    }
    // cancel renewed at 5 s, and so does this get.
    BOOST_TEST(expiration(ds, id) == "2030-01-01T00:05:05.000Z");
    // A refused call is no activity.
    fx.mock.advance(1000);
    check_error(ds.file_get(id, "nope.bin"), b, 400, "INVALID_ARGUMENT");
    fx.mock.advance(299500);  // 300.5 s after the last renewal (at 5 s): gone
    check_error(ds.get(id), b, 404, "NOT_FOUND");
  }
}

BOOST_DATA_TEST_CASE(list_order, bdata::make(kBindings), b) {
  for (const std::string order : {"", "by-id", "creation", "newest-first"}) {
    BOOST_TEST_CONTEXT("list-order '" << order << "'") {
      MockFx fx(with_value("list-order", order));
      Ds ds = fx.as_alice(b);
      std::vector<std::string> created;
      for (int i = 0; i < 6; ++i)
        created.push_back(ds.make(i % 2 ? kItemA : kItemB));
      std::vector<std::string> want = created;
      if (order == "by-id" || order.empty()) std::sort(want.begin(), want.end());
      if (order == "newest-first") std::reverse(want.begin(), want.end());
      BOOST_TEST(ds.list().v() == json(want));
      std::vector<std::string> only_a;
      for (const auto& id : want)
        if (ds.get(id).v()["library_item_id"] == kItemA) only_a.push_back(id);
      BOOST_TEST(ds.list(kItemA).v() == json(only_a));
    }
  }
}

BOOST_DATA_TEST_CASE(get_id, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    BOOST_TEST(ds.get(id).v().value("id", "") == id);
  }
  {
    MockFx fx(with({{"get-id", "absent"}}));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    json g = ds.get(id).v();
    BOOST_TEST(!g.contains("id"));
    BOOST_TEST(g.size() == 5u);
    BOOST_TEST(g["state"] == "ACTIVE");
  }
}

BOOST_DATA_TEST_CASE(fail_message, bdata::make(kBindings), b) {
  auto stored = [b](const std::string& form) {
    MockFx fx(form.empty() ? Mock::virtual_opts() : with({{"fail-message", form}}));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    BOOST_TEST(ds.fail(id, "disk full").status == ds.ok_void());
    json g = ds.get(id).v();
    BOOST_TEST(g["state"] == "ERROR");
    return g["error_message"];
  };
  const json mock = {{"id", "com.vmware.content.library.item.downloadsession.client_error"},
                     {"default_message", "disk full"},
                     {"args", {"disk full"}}};
  BOOST_TEST(stored("") == mock);
  BOOST_TEST(stored("mock") == mock);
  BOOST_TEST(stored("plain") ==
             json({{"id", "com.vmware.content.library.item.downloadsession.client_failure"},
                   {"default_message", "disk full"},
                   {"args", json::array()},
                   {"localized", "disk full"}}));
  BOOST_TEST(stored("wrapped") ==
             json({{"id", "com.vmware.content.library.item.downloadsession.client_error"},
                   {"default_message", "The client reported an error: disk full"},
                   {"args", {"disk full"}}}));
}

namespace {
// The download path of a file prepared (at once: the prepare delay is 0) in session `id`.
std::string prepared_download(const Ds& ds, const std::string& id, const std::string& file) {
  Resp r = ds.file_prepare(id, file);
  BOOST_TEST_REQUIRE(r.v().value("status", "") == "PREPARED");
  return uri_path(r.v()["download_endpoint"]["uri"].get<std::string>());
}
}  // namespace

BOOST_DATA_TEST_CASE(cancel_effect, bdata::make(kBindings), b) {
  for (const char* value : {"", "canceled"}) {
    BOOST_TEST_CONTEXT("cancel-effect=" << value) {
      MockFx fx(with_value("cancel-effect", value));
      Ds ds = fx.as_alice(b);
      std::string id = id_of(ds.create(kItemB, "tok"));
      BOOST_TEST(ds.cancel(id).status == ds.ok_void());
      BOOST_TEST(ds.get(id).v()["state"] == "CANCELED");
      BOOST_TEST(ds.list().v() == json::array({id}));
      check_error(ds.cancel(id), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
      BOOST_TEST(id_of(ds.create(kItemB, "tok")) == id);  // it keeps its token
      BOOST_TEST(ds.del(id).status == ds.ok_void());
    }
  }
  MockFx fx(with({{"cancel-effect", "removed"}}));
  Ds ds = fx.as_alice(b);
  std::string id = id_of(ds.create(kItemB, "tok")), other = ds.make(kItemA);
  std::string path = prepared_download(ds, id, "tools.iso");
  BOOST_TEST(fx.http().get(path).status == 200);
  BOOST_TEST(ds.cancel(id).status == ds.ok_void());
  // Gone at once, as after delete: NOT_FOUND to every operation, not listed.
  check_error(ds.get(id), b, 404, "NOT_FOUND");
  check_error(ds.cancel(id), b, 404, "NOT_FOUND");
  check_error(ds.keep_alive(id, json::object()), b, 404, "NOT_FOUND");
  check_error(ds.file_list(id), b, 404, "NOT_FOUND");
  check_error(ds.del(id), b, 404, "NOT_FOUND");
  BOOST_TEST(ds.list().v() == json::array({other}));
  BOOST_TEST(fx.http().get(path).status == 404);
  // Its token is forgotten, as a deleted session's is.
  std::string again = id_of(ds.create(kItemB, "tok"));
  BOOST_TEST(again != id);
  BOOST_TEST(ds.get(again).v()["state"] == "ACTIVE");
  // Only an ACTIVE session can be canceled, as before; the other session is untouched.
  BOOST_TEST(ds.fail(again, "disk full").status == ds.ok_void());
  check_error(ds.cancel(again), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  BOOST_TEST(ds.get(again).v()["state"] == "ERROR");
  BOOST_TEST(ds.get(other).v()["state"] == "ACTIVE");
}

BOOST_DATA_TEST_CASE(fail_effect, bdata::make(kBindings), b) {
  for (const char* value : {"", "error"}) {
    BOOST_TEST_CONTEXT("fail-effect=" << value) {
      MockFx fx(with_value("fail-effect", value));
      Ds ds = fx.as_alice(b);
      std::string id = id_of(ds.create(kItemB, "tok"));
      BOOST_TEST(ds.fail(id, "disk full").status == ds.ok_void());
      json g = ds.get(id).v();
      BOOST_TEST(g["state"] == "ERROR");
      BOOST_TEST(g["error_message"]["default_message"] == "disk full");
      BOOST_TEST(ds.list().v() == json::array({id}));
      check_error(ds.fail(id, "again"), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
      BOOST_TEST(id_of(ds.create(kItemB, "tok")) == id);  // it keeps its token
    }
  }
  MockFx fx(with({{"fail-effect", "removed"}}));
  Ds ds = fx.as_alice(b);
  std::string id = id_of(ds.create(kItemB, "tok")), other = ds.make(kItemA);
  std::string path = prepared_download(ds, id, "tools.iso");
  BOOST_TEST(ds.fail(id, "disk full").status == ds.ok_void());
  // Gone at once, as after delete: NOT_FOUND to every operation, not listed.
  check_error(ds.get(id), b, 404, "NOT_FOUND");
  check_error(ds.fail(id, "again"), b, 404, "NOT_FOUND");
  check_error(ds.cancel(id), b, 404, "NOT_FOUND");
  check_error(ds.file_get(id, "tools.iso"), b, 404, "NOT_FOUND");
  check_error(ds.del(id), b, 404, "NOT_FOUND");
  BOOST_TEST(ds.list().v() == json::array({other}));
  BOOST_TEST(fx.http().get(path).status == 404);
  std::string again = id_of(ds.create(kItemB, "tok"));  // the token is forgotten
  BOOST_TEST(again != id);
  // Only an ACTIVE session can be failed, as before.
  BOOST_TEST(ds.cancel(again).status == ds.ok_void());
  check_error(ds.fail(again, "late"), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  BOOST_TEST(ds.get(again).v()["state"] == "CANCELED");
  BOOST_TEST(ds.get(other).v()["state"] == "ACTIVE");
}

BOOST_DATA_TEST_CASE(delete_effect, bdata::make(kBindings), b) {
  for (const char* value : {"", "removed"}) {
    BOOST_TEST_CONTEXT("delete-effect=" << value) {
      MockFx fx(with_value("delete-effect", value));
      Ds ds = fx.as_alice(b);
      std::string id = id_of(ds.create(kItemB, "tok"));
      BOOST_TEST(ds.del(id).status == ds.ok_void());
      check_error(ds.get(id), b, 404, "NOT_FOUND");
      check_error(ds.del(id), b, 404, "NOT_FOUND");
      BOOST_TEST(ds.list().v().empty());
    }
  }
  MockFx fx(with({{"delete-effect", "deferred"}}));
  Ds ds = fx.as_alice(b);
  std::string id = id_of(ds.create(kItemB, "tok")), failed = ds.make(kItemA);
  std::string path = prepared_download(ds, id, "tools.iso");
  BOOST_TEST(ds.fail(failed, "disk full").status == ds.ok_void());
  BOOST_TEST(ds.del(id).status == ds.ok_void());
  BOOST_TEST(ds.del(failed).status == ds.ok_void());
  // Still there, CANCELED (an ERROR session stays ERROR), and listed; its URLs stop.
  json g = ds.get(id).v();
  BOOST_TEST(g["state"] == "CANCELED");
  BOOST_TEST(!g.contains("error_message"));
  BOOST_TEST(ds.get(failed).v()["state"] == "ERROR");
  BOOST_TEST(ds.get(failed).v()["error_message"]["default_message"] == "disk full");
  BOOST_TEST(ds.list().v().size() == 2u);
  BOOST_TEST(fx.http().get(path).status == 404);
  BOOST_TEST(ds.file_get(id, "tools.iso").status == 200);
  check_error(ds.keep_alive(id, json::object()), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  check_error(ds.cancel(id), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  BOOST_TEST(id_of(ds.create(kItemB, "tok")) == id);  // its token still names it
  // A second delete succeeds and does not put the end off.
  fx.mock.advance(1000);
  BOOST_TEST(ds.del(id).status == ds.ok_void());
  fx.mock.advance(1000);
  BOOST_TEST(ds.get(id).status == 200);
  BOOST_TEST(ds.list().v().size() == 2u);
  // Gone 2 s after the first delete.
  fx.mock.advance(1);
  check_error(ds.get(id), b, 404, "NOT_FOUND");
  check_error(ds.get(failed), b, 404, "NOT_FOUND");
  check_error(ds.del(id), b, 404, "NOT_FOUND");
  BOOST_TEST(ds.list().v().empty());
  std::string again = id_of(ds.create(kItemB, "tok"));  // and its token is forgotten
  BOOST_TEST(again != id);
  BOOST_TEST(ds.get(again).v()["state"] == "ACTIVE");
}

BOOST_DATA_TEST_CASE(fail_missing_message, bdata::make(kBindings), b) {
  for (const char* value : {"", "reject"}) {
    BOOST_TEST_CONTEXT("fail-missing-message=" << value) {
      MockFx fx(with_value("fail-missing-message", value));
      Ds ds = fx.as_alice(b);
      std::string id = ds.make();
      check_error(ds.fail_raw(id, "{}"), b, 400, "INVALID_REQUEST");
      check_error(ds.fail_raw(id, R"({"client_error_message":null})"), b, 400, "INVALID_REQUEST");
      BOOST_TEST(ds.get(id).v()["state"] == "ACTIVE");
    }
  }
  MockFx fx(with({{"fail-missing-message", "accept"}}));
  Ds ds = fx.as_alice(b);
  const std::string a = ds.make(), c = ds.make();
  BOOST_TEST(ds.fail_raw(a, "{}").status == ds.ok_void());
  BOOST_TEST(ds.fail_raw(c, R"({"client_error_message":null})").status == ds.ok_void());
  for (const auto& id : {a, c}) {
    json g = ds.get(id).v();
    BOOST_TEST(g["state"] == "ERROR");
    BOOST_TEST(g["error_message"] ==
               json({{"id", "com.vmware.content.library.item.downloadsession.client_error"},
                     {"default_message", ""},
                     {"args", {""}}}));
  }
  // The other checks stay: the state, the session, the message's type.
  check_error(ds.fail_raw(a, "{}"), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  check_error(ds.fail_raw("no-such-session", "{}"), b, 404, "NOT_FOUND");
  const std::string d = ds.make();
  check_error(ds.fail_raw(d, R"({"client_error_message":5})"), b, 400, "INVALID_REQUEST");
  BOOST_TEST(ds.get(d).v()["state"] == "ACTIVE");
  // A message given is stored as before.
  BOOST_TEST(ds.fail(d, "disk full").status == ds.ok_void());
  BOOST_TEST(ds.get(d).v()["error_message"]["default_message"] == "disk full");
}

BOOST_DATA_TEST_CASE(session_id_shape, bdata::make(kBindings), b) {
  const std::map<std::string, std::string> shapes = {
      {"two-uuids", R"(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:)"
                    R"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)"},
      {"uuid", R"(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)"},
      {"short", R"(^[0-9a-z]{12}$)"},
  };
  {
    MockFx fx;
    BOOST_TEST(is_session_id(json(fx.as_alice(b).make())));
  }
  for (const auto& [shape, pattern] : shapes) {
    BOOST_TEST_CONTEXT("session-id-shape " << shape) {
      MockFx fx(with({{"session-id-shape", shape}}));
      Ds ds = fx.as_alice(b);
      std::set<std::string> ids;
      for (int i = 0; i < 20; ++i) {
        std::string id = ds.make(kItemB);
        BOOST_TEST(std::regex_match(id, std::regex(pattern)), id);
        ids.insert(id);
      }
      BOOST_TEST(ids.size() == 20u);
      const std::string id = *ids.begin();
      BOOST_TEST(ds.get(id).status == 200);
      BOOST_TEST(ds.keep_alive(id).status == ds.ok_void());
      BOOST_TEST(ds.file_prepare(id, "tools.iso").status == 200);
      BOOST_TEST(ds.file_get(id, "tools.iso").status == 200);
      BOOST_TEST(ds.file_list(id).status == 200);
      BOOST_TEST(ds.del(id).status == ds.ok_void());
      check_error(ds.get(id), b, 404, "NOT_FOUND");
    }
  }
}

BOOST_DATA_TEST_CASE(datetime_form, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    fx.mock.advance(1234);
    BOOST_TEST(expiration(ds, ds.make()) == "2030-01-01T00:05:01.234Z");
  }
  {
    MockFx fx(with({{"datetime-form", "offset"}}));
    Ds ds = fx.as_alice(b);
    fx.mock.advance(1234);
    std::string id = ds.make();
    BOOST_TEST(expiration(ds, id) == "2030-01-01T00:05:01.234+00:00");
    json info = fx.http().get("/api/session", auth(fx.alice)).j;
    BOOST_TEST(info.value("created_time", "") == "2030-01-01T00:00:00.000+00:00");
    BOOST_TEST(fx.mock.now() == "2030-01-01T00:00:01.234Z");  // the clock routes keep millis
  }
  {
    MockFx fx(with({{"datetime-form", "seconds"}}));
    Ds ds = fx.as_alice(b);
    fx.mock.advance(1234);
    std::string id = ds.make();
    // The lease ends on the next whole second, exactly as printed.
    BOOST_TEST(expiration(ds, id) == "2030-01-01T00:05:02Z");
    json info = fx.http().get("/api/session", auth(fx.alice)).j;
    BOOST_TEST(info.value("created_time", "") == "2030-01-01T00:00:00Z");
    fx.mock.advance(300766);  // 00:05:02.000
    BOOST_TEST(ds.get(id).status == 200);
    BOOST_TEST(ds.keep_alive(id).status == ds.ok_void());  // at 00:05:02.000: exactly 00:10:02
    BOOST_TEST(expiration(ds, id) == "2030-01-01T00:10:02Z");
    fx.mock.advance(300001);
    check_error(ds.get(id), b, 404, "NOT_FOUND");
  }
}

// --- files -----------------------------------------------------------------------------------

namespace {
dsmock::Options with_delay(VariantMap variants, long long delay_ms) {
  dsmock::Options o = with(std::move(variants));
  o.prepare_delay = std::chrono::milliseconds(delay_ms);
  return o;
}
std::string status(const Resp& r) {
  return r.v().value("status", "");
}
}  // namespace

BOOST_DATA_TEST_CASE(prepare_timing_clock, bdata::make(kBindings), b) {
  {
    MockFx fx;  // d = 0: PREPARED at once
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    BOOST_TEST(status(ds.file_prepare(id, "tools.iso")) == "PREPARED");
  }
  {
    MockFx fx(with_delay({{"prepare-timing", "clock"}}, 3000));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    BOOST_TEST(status(ds.file_prepare(id, "tools.iso")) == "PREPARE_REQUESTED");
    BOOST_TEST(status(ds.file_get(id, "tools.iso")) == "PREPARE_REQUESTED");  // polls do nothing
    fx.mock.advance(1000);
    BOOST_TEST(status(ds.file_get(id, "tools.iso")) == "PREPARING");
    fx.mock.advance(2000);
    BOOST_TEST(status(ds.file_get(id, "tools.iso")) == "PREPARED");
  }
}

BOOST_DATA_TEST_CASE(prepare_timing_delayed, bdata::make(kBindings), b) {
  MockFx fx(with({{"prepare-timing", "delayed"}}));  // d = 0, so at least 1 s
  Ds ds = fx.as_alice(b);
  std::string id = ds.make(kItemB);
  BOOST_TEST(status(ds.file_prepare(id, "tools.iso")) == "PREPARE_REQUESTED");
  BOOST_TEST(status(ds.file_get(id, "tools.iso")) == "PREPARE_REQUESTED");
  fx.mock.advance(334);
  BOOST_TEST(status(ds.file_get(id, "tools.iso")) == "PREPARING");
  fx.mock.advance(665);
  BOOST_TEST(status(ds.file_get(id, "tools.iso")) == "PREPARING");
  fx.mock.advance(1);
  Resp done = ds.file_get(id, "tools.iso");
  BOOST_TEST(status(done) == "PREPARED");
  BOOST_TEST(fx.http().get(uri_path(done.v()["download_endpoint"]["uri"])).status == 200);
  // A longer prepare delay wins.
  MockFx slow(with_delay({{"prepare-timing", "delayed"}}, 3000));
  Ds s2 = slow.as_alice(b);
  std::string id2 = s2.make(kItemB);
  s2.file_prepare(id2, "tools.iso");
  slow.mock.advance(2999);
  BOOST_TEST(status(s2.file_get(id2, "tools.iso")) == "PREPARING");
  slow.mock.advance(1);
  BOOST_TEST(status(s2.file_get(id2, "tools.iso")) == "PREPARED");
}

BOOST_DATA_TEST_CASE(prepare_timing_polls, bdata::make(kBindings), b) {
  MockFx fx(with({{"prepare-timing", "polls"}}));
  Ds ds = fx.as_alice(b);
  std::string id = ds.make(kItemA);
  BOOST_TEST(status(ds.file_prepare(id, "photon-5.ovf")) == "PREPARE_REQUESTED");
  BOOST_TEST(status(ds.file_prepare(id, "photon-5.ovf")) == "PREPARE_REQUESTED");  // no poll
  BOOST_TEST(status(ds.file_get(id, "photon-5.ovf")) == "PREPARING");
  json files = ds.file_list(id).v();  // File.list is a poll of every file it shows
  BOOST_TEST(files[0]["status"] == "PREPARED");
  BOOST_TEST(files[1]["status"] == "UNPREPARED");
  Resp done = ds.file_get(id, "photon-5.ovf");
  BOOST_TEST(status(done) == "PREPARED");
  BOOST_TEST(fx.http().get(uri_path(done.v()["download_endpoint"]["uri"])).status == 200);
  // Without polls, the clock finishes it after max(d, 1 s).
  ds.file_prepare(id, "photon-5.mf");
  fx.mock.advance(1000);
  BOOST_TEST(status(ds.file_get(id, "photon-5.mf")) == "PREPARED");
}

BOOST_DATA_TEST_CASE(prepare_requeue, bdata::make(kBindings), b) {
  // never (given or not): only forward, PREPARE_REQUESTED, PREPARING, PREPARED.
  for (const char* value : {"", "never"}) {
    BOOST_TEST_CONTEXT("prepare-requeue=" << value) {
      VariantMap v;
      if (*value) v["prepare-requeue"] = value;
      MockFx fx(with_delay(v, 3000));
      Ds ds = fx.as_alice(b);
      std::string id = ds.make(kItemB);
      std::vector<std::string> seen = {status(ds.file_prepare(id, "tools.iso"))};
      for (int t = 0; t < 6; ++t) {
        fx.mock.advance(500);
        seen.push_back(status(ds.file_get(id, "tools.iso")));
      }
      BOOST_TEST(seen ==
                 (std::vector<std::string>{"PREPARE_REQUESTED", "PREPARE_REQUESTED", "PREPARING",
                                           "PREPARING", "PREPARING", "PREPARING", "PREPARED"}));
    }
  }
  {  // once, by the clock: a third of the delay each.
    MockFx fx(with_delay({{"prepare-requeue", "once"}}, 3000));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    BOOST_TEST(status(ds.file_prepare(id, "tools.iso")) == "PREPARING");
    const std::vector<std::pair<long long, std::string>> steps = {
        {999, "PREPARING"}, {1, "PREPARE_REQUESTED"}, {999, "PREPARE_REQUESTED"},
        {1, "PREPARING"},   {999, "PREPARING"},       {1, "PREPARED"}};
    for (const auto& [ms, want] : steps) {
      fx.mock.advance(ms);
      BOOST_TEST(status(ds.file_get(id, "tools.iso")) == want);
    }
    Resp done = ds.file_get(id, "tools.iso");
    BOOST_TEST(fx.http().get(uri_path(done.v()["download_endpoint"]["uri"])).status == 200);
  }
  {  // once, by polls: three polls to the end; a failing file ends in ERROR as usual.
    MockFx fx(with({{"prepare-requeue", "once"},
                    {"prepare-timing", "polls"},
                    {"file-prepare-error", "name:tools.iso"}}));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    BOOST_TEST(status(ds.file_prepare(id, "tools.iso")) == "PREPARING");
    for (const char* want : {"PREPARE_REQUESTED", "PREPARING", "ERROR"})
      BOOST_TEST(status(ds.file_get(id, "tools.iso")) == want);
  }
  {  // once, with a prepare delay of 0: PREPARED at once, nothing shows.
    MockFx fx(with({{"prepare-requeue", "once"}}));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    BOOST_TEST(status(ds.file_prepare(id, "tools.iso")) == "PREPARED");
  }
}

BOOST_DATA_TEST_CASE(file_prepare_error, bdata::make(kBindings), b) {
  const json failed = {
      {"id", "com.vmware.content.library.item.downloadsession.file.prepare_failed"},
      {"default_message",
       "Preparing file 'photon-5.mf' failed: the storage backing reported an I/O error."},
      {"args", {"photon-5.mf"}}};
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemA);
    for (const char* f : {"photon-5.ovf", "photon-5-disk1.vmdk", "photon-5.mf"})
      BOOST_TEST(status(ds.file_prepare(id, f)) == "PREPARED");
  }
  {
    MockFx fx(with({{"file-prepare-error", "last"}}));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemA);
    BOOST_TEST(status(ds.file_prepare(id, "photon-5.ovf")) == "PREPARED");
    Resp bad = ds.file_prepare(id, "photon-5.mf");
    BOOST_TEST(bad.status == 200);
    BOOST_TEST(bad.v() == json({{"name", "photon-5.mf"},
                                {"bytes_transferred", 0},
                                {"status", "ERROR"},
                                {"error_message", failed}}));
    BOOST_TEST(ds.file_get(id, "photon-5.mf").v() == bad.v());
    BOOST_TEST(ds.file_list(id).v()[2] == bad.v());
    BOOST_TEST(ds.get(id).v()["state"] == "ACTIVE");  // the session is not affected
    std::string other = ds.make(kItemB);              // tools.iso is item B's last (only) file
    BOOST_TEST(status(ds.file_prepare(other, "tools.iso")) == "ERROR");
  }
  {
    MockFx fx(with_delay({{"file-prepare-error", "name:photon-5.ovf"}}, 3000));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemA);
    BOOST_TEST(status(ds.file_prepare(id, "photon-5.ovf")) == "PREPARE_REQUESTED");
    ds.file_prepare(id, "photon-5.mf");
    fx.mock.advance(1000);
    BOOST_TEST(status(ds.file_get(id, "photon-5.ovf")) == "PREPARING");
    fx.mock.advance(2000);
    BOOST_TEST(status(ds.file_get(id, "photon-5.ovf")) == "ERROR");
    BOOST_TEST(status(ds.file_get(id, "photon-5.mf")) == "PREPARED");
    std::string other = ds.make(kItemB);  // no file of that name: nothing fails
    ds.file_prepare(other, "tools.iso");
    fx.mock.advance(3000);
    BOOST_TEST(status(ds.file_get(other, "tools.iso")) == "PREPARED");
  }
}

BOOST_DATA_TEST_CASE(direct_endpoint, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    check_error(ds.file_prepare(id, "tools.iso", "DIRECT"), b, 403, "UNAUTHORIZED");
  }
  {
    MockFx fx(with({{"direct-endpoint", "allowed"}}));
    Ds ds = fx.as_alice(b), bob = fx.as_bob(b);
    std::string id = ds.make(kItemA);
    Resp r = ds.file_prepare(id, "photon-5.ovf", "DIRECT");
    BOOST_TEST(status(r) == "PREPARED");
    BOOST_TEST(r.v()["download_endpoint"]["uri"] ==
               "ds:///vmfs/volumes/mock-datastore/contentlib-" + kItemA + "/photon-5.ovf");
    BOOST_TEST(r.v()["bytes_transferred"] == 4096);
    // The first prepare's endpoint type stays.
    BOOST_TEST(ds.file_prepare(id, "photon-5.ovf", "HTTPS").v() == r.v());
    BOOST_TEST(ds.file_get(id, "photon-5.ovf").v() == r.v());
    std::string https = ds.file_prepare(id, "photon-5.mf").v()["download_endpoint"]["uri"];
    BOOST_TEST(https.rfind("http://", 0) == 0);
    // Every user holds the privilege.
    std::string bobs = bob.make(kItemB);
    BOOST_TEST(status(bob.file_prepare(bobs, "tools.iso", "DIRECT")) == "PREPARED");
  }
}

BOOST_DATA_TEST_CASE(prepare_inactive, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    ds.cancel(id);
    check_error(ds.file_prepare(id, "tools.iso"), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  }
  {
    MockFx fx(with({{"prepare-inactive", "allow"}}));
    Ds ds = fx.as_alice(b);
    std::string canceled = ds.make(kItemB), failed = ds.make(kItemB);
    ds.cancel(canceled);
    ds.fail(failed, "x");
    Resp c = ds.file_prepare(canceled, "tools.iso");
    BOOST_TEST(status(c) == "PREPARED");
    BOOST_TEST(fx.http().get(uri_path(c.v()["download_endpoint"]["uri"])).status == 404);
    Resp f = ds.file_prepare(failed, "tools.iso");
    BOOST_TEST(status(f) == "PREPARED");
    BOOST_TEST(fx.http().get(uri_path(f.v()["download_endpoint"]["uri"])).status == 200);
    BOOST_TEST(ds.get(canceled).v()["state"] == "CANCELED");
    check_error(ds.file_prepare(canceled, "nope.bin"), b, 400, "INVALID_ARGUMENT");
  }
}

BOOST_DATA_TEST_CASE(prepare_check_order, bdata::make(kBindings), b) {
  for (const std::string order : {"", "state-first", "arguments-first"}) {
    BOOST_TEST_CONTEXT("prepare-check-order '" << order << "'") {
      MockFx fx(with_value("prepare-check-order", order));
      Ds ds = fx.as_alice(b);
      std::string id = ds.make(kItemB);
      ds.cancel(id);
      const bool args = order == "arguments-first";
      check_error(ds.file_prepare(id, "nope.bin"), b, 400,
                  args ? "INVALID_ARGUMENT" : "NOT_ALLOWED_IN_CURRENT_STATE");
      check_error(ds.file_prepare(id, "tools.iso", "DIRECT"), b, args ? 403 : 400,
                  args ? "UNAUTHORIZED" : "NOT_ALLOWED_IN_CURRENT_STATE");
      check_error(ds.file_prepare(id, "tools.iso", "FTP"), b, 400,
                  args ? "INVALID_ARGUMENT" : "NOT_ALLOWED_IN_CURRENT_STATE");
      check_error(ds.file_prepare(id, "tools.iso"), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
      check_error(ds.file_prepare(kUnknownId, "nope.bin"), b, 404, "NOT_FOUND");
    }
  }
}

BOOST_DATA_TEST_CASE(bad_endpoint_type, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    check_error(ds.file_prepare(id, "tools.iso", "FTP"), b, 400, "INVALID_ARGUMENT");
  }
  {
    MockFx fx(with({{"bad-endpoint-type", "invalid-request"}}));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    check_error(ds.file_prepare(id, "tools.iso", "FTP"), b, 400, "INVALID_REQUEST");
    check_error(ds.file_prepare(id, "tools.iso", "DIRECT"), b, 403, "UNAUTHORIZED");
    BOOST_TEST(status(ds.file_prepare(id, "tools.iso", "HTTPS")) == "PREPARED");
  }
}

BOOST_DATA_TEST_CASE(file_list_order, bdata::make(kBindings), b) {
  const std::map<std::string, std::vector<std::string>> orders = {
      {"fixture", {"photon-5.ovf", "photon-5-disk1.vmdk", "photon-5.mf"}},
      {"name", {"photon-5-disk1.vmdk", "photon-5.mf", "photon-5.ovf"}},
      {"reversed", {"photon-5.mf", "photon-5-disk1.vmdk", "photon-5.ovf"}},
  };
  auto names = [](const Resp& r) {
    std::vector<std::string> out;
    for (const auto& f : r.v())
      out.push_back(f.value("name", ""));
    return out;
  };
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    BOOST_TEST(names(ds.file_list(ds.make(kItemA))) == orders.at("fixture"));
  }
  for (const auto& [order, want] : orders) {
    BOOST_TEST_CONTEXT("file-list-order " << order) {
      MockFx fx(with({{"file-list-order", order}}));
      Ds ds = fx.as_alice(b);
      BOOST_TEST(names(ds.file_list(ds.make(kItemA))) == want);
    }
  }
}

BOOST_DATA_TEST_CASE(file_size, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    BOOST_TEST(!ds.file_get(id, "tools.iso").v().contains("size"));
  }
  {
    MockFx fx(with_delay({{"file-size", "always"}}, 3000));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemA);
    BOOST_TEST(ds.file_list(id).v()[1] == json({{"name", "photon-5-disk1.vmdk"},
                                                {"bytes_transferred", 0},
                                                {"status", "UNPREPARED"},
                                                {"size", 65536}}));
    Resp preparing = ds.file_prepare(id, "photon-5.mf");
    BOOST_TEST(preparing.v()["size"] == 1024);
    BOOST_TEST(!preparing.v().contains("download_endpoint"));
  }
}

BOOST_DATA_TEST_CASE(bytes_transferred, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    BOOST_TEST(ds.file_prepare(id, "tools.iso").v()["bytes_transferred"] == 32768);
  }
  {
    MockFx fx(with({{"bytes-transferred", "zero"}}));
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    Resp r = ds.file_prepare(id, "tools.iso");
    BOOST_TEST(status(r) == "PREPARED");
    BOOST_TEST(r.v()["bytes_transferred"] == 0);
    BOOST_TEST(r.v()["size"] == 32768);
    BOOST_TEST(fx.http().get(uri_path(r.v()["download_endpoint"]["uri"])).body.size() == 32768u);
  }
}

// --- the wire: error messages, envelopes, headers, paths -------------------------------------

namespace {
const json& error_value(const Resp& r) {
  return r.binding == B::Rest ? r.j["value"] : r.j;
}
}  // namespace

BOOST_DATA_TEST_CASE(error_messages, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Resp r = fx.as_alice(b).get(kUnknownId);
    BOOST_TEST(error_value(r)["messages"][0] ==
               json({{"id", "com.vmware.content.library.item.downloadsession.not_found"},
                     {"default_message", "Download session " + kUnknownId + " does not exist."},
                     {"args", {kUnknownId}}}));
  }
  {
    MockFx fx(with({{"error-messages", "vcenter"}}));
    Ds ds = fx.as_alice(b);
    Resp r = ds.get(kUnknownId);
    check_error(r, b, 404, "NOT_FOUND");
    const std::string text =
        "Download session with identifier " + kUnknownId + " could not be found.";
    json params = b == B::Api ? json{{"0", {{"s", kUnknownId}}}}
                              : json::array({{{"key", "0"}, {"value", {{"s", kUnknownId}}}}});
    BOOST_TEST(error_value(r)["messages"][0] ==
               json({{"id", "com.vmware.vdcs.cls-main.download_session_not_found"},
                     {"default_message", text},
                     {"args", {kUnknownId}},
                     {"localized", text},
                     {"params", params}}));
    std::string id = ds.make();
    ds.cancel(id);
    Resp twice = ds.cancel(id);
    check_error(twice, b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
    BOOST_TEST(error_value(twice)["messages"][0]["default_message"] ==
               "Cannot perform cancel on download session " + id +
                   ": the session is in state CANCELED.");
    Resp anonymous = fx.http().get(Ds::sessions(b), {}, b);
    check_error(anonymous, b, 401, "UNAUTHENTICATED");
    BOOST_TEST(error_value(anonymous)["messages"][0] ==
               json({{"id", "vapi.method.authentication.required"},
                     {"default_message", "This method requires authentication."},
                     {"args", json::array()},
                     {"localized", "This method requires authentication."}}));
    Resp other = ds.file_get(id, "nope.bin");  // not in the table: the id's last segment
    check_error(other, b, 400, "INVALID_ARGUMENT");
    BOOST_TEST(error_value(other)["messages"][0]["id"] ==
               "com.vmware.vdcs.cls-main.invalid_argument");
  }
  {
    MockFx fx(with({{"error-messages", "bare"}}));
    Resp r = fx.as_alice(b).get(kUnknownId);
    check_error(r, b, 404, "NOT_FOUND");
    BOOST_TEST(error_value(r)["messages"][0] ==
               json({{"id", "com.vmware.content.library.item.downloadsession.not_found"},
                     {"default_message", "The object was not found."},
                     {"args", json::array()}}));
  }
}

BOOST_AUTO_TEST_CASE(rest_error_type) {
  {
    MockFx fx;
    BOOST_TEST(fx.as_alice(B::Rest).get(kUnknownId).j["value"]["error_type"] == "NOT_FOUND");
  }
  MockFx fx(with({{"rest-error-type", "absent"}}));
  Resp rest = fx.as_alice(B::Rest).get(kUnknownId);
  BOOST_TEST(rest.status == 404);
  BOOST_TEST(rest.j["type"] == "com.vmware.vapi.std.errors.not_found");
  BOOST_TEST(!rest.j["value"].contains("error_type"));
  BOOST_TEST(rest.j["value"]["messages"].size() == 1u);
  check_error(fx.as_alice(B::Api).get(kUnknownId), B::Api, 404, "NOT_FOUND");
}

BOOST_DATA_TEST_CASE(extra_fields, bdata::make(kBindings), b) {
  {
    MockFx fx;
    Ds ds = fx.as_alice(b);
    std::string id = ds.make(kItemB);
    BOOST_TEST(ds.get(id).v().size() == 6u);
    BOOST_TEST(ds.file_prepare(id, "tools.iso").v().size() == 5u);
  }
  MockFx fx(with({{"extra-fields", "present"}}));
  Ds ds = fx.as_alice(b);
  std::string id = ds.make(kItemB);
  json g = ds.get(id).v();
  BOOST_TEST(g["owner"] == "alice");
  BOOST_TEST(g["creation_time"] == "2030-01-01T00:00:00.000Z");
  BOOST_TEST(g["state"] == "ACTIVE");
  BOOST_TEST(ds.file_list(id).v()[0]["storage_backing"] == "mock-datastore");
  json f = ds.file_prepare(id, "tools.iso").v();
  BOOST_TEST(f["storage_backing"] == "mock-datastore");
  BOOST_TEST(f["download_endpoint"]["method"] == "GET");
  BOOST_TEST(fx.http().get(uri_path(f["download_endpoint"]["uri"])).status == 200);
  Resp e = ds.get(kUnknownId);
  check_error(e, b, 404, "NOT_FOUND");
  BOOST_TEST(error_value(e)["request_id"] == "dsmock-0");
  BOOST_TEST(error_value(e)["messages"][0]["severity"] == "ERROR");
  BOOST_TEST(ds.list().v() == json::array({id}));  // a bare array
}

BOOST_AUTO_TEST_CASE(connection_close) {
  const std::string two =
      "GET /mock/v1/clock HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /mock/v1/clock HTTP/1.1\r\nHost: x\r\n\r\n";
  auto answers = [](const std::string& out) {
    std::size_t n = 0;
    for (auto p = out.find("HTTP/1.1 200"); p != std::string::npos;
         p = out.find("HTTP/1.1 200", p + 1))
      ++n;
    return n;
  };
  {
    dsmock::Server s(Mock::virtual_opts());
    std::string out = s.serve_raw(two);
    BOOST_TEST(answers(out) == 2u);
    BOOST_TEST(out.find("Connection: close") == std::string::npos);
  }
  {
    dsmock::Server s(with({{"connection-close", "on"}}));
    std::string out = s.serve_raw(two);
    BOOST_TEST(answers(out) == 1u);
    BOOST_TEST(out.find("Connection: close\r\n") != std::string::npos);
  }
  // Over a socket: the answer says close, and the mock closes at once (no 2 s keep-alive).
  for (const std::string value : {"", "off", "on"}) {
    BOOST_TEST_CONTEXT("connection-close '" << value << "'") {
      Mock m(with_value("connection-close", value));
      int fd = connect_loopback(m.port);
      const std::string one = "GET /mock/v1/clock HTTP/1.1\r\nHost: x\r\n\r\n";
      BOOST_REQUIRE(::send(fd, one.data(), one.size(), 0) == static_cast<ssize_t>(one.size()));
      std::string got;
      bool eof = false;
      const auto start = std::chrono::steady_clock::now();
      while (!eof && std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1000)) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
          eof = true;
        else
          got.append(buf, static_cast<std::size_t>(n));
      }
      ::close(fd);
      BOOST_TEST(got.rfind("HTTP/1.1 200", 0) == 0u);
      BOOST_TEST((got.find("Connection: close\r\n") != std::string::npos) == (value == "on"));
      BOOST_TEST(eof == (value == "on"));
    }
  }
}

BOOST_DATA_TEST_CASE(content_type, bdata::make(kBindings), b) {
  for (const std::string value : {"", "json", "json-utf8"}) {
    BOOST_TEST_CONTEXT("content-type '" << value << "'") {
      const std::string want =
          value == "json-utf8" ? "application/json;charset=utf-8" : "application/json";
      MockFx fx(with_value("content-type", value));
      Ds ds = fx.as_alice(b);
      std::string id = ds.make(kItemB);
      auto type = [](const Resp& r) {
        auto it = r.headers.find("Content-Type");
        return it == r.headers.end() ? std::string() : it->second;
      };
      BOOST_TEST(type(ds.get(id)) == want);
      BOOST_TEST(type(ds.list()) == want);
      BOOST_TEST(type(ds.create(kItemB)) == want);
      BOOST_TEST(type(ds.get(kUnknownId)) == want);
      BOOST_TEST(type(fx.http().get("/mock/v1/clock")) == want);
      BOOST_TEST(type(fx.http().get("/no/such/route")) == want);
      Resp file = ds.file_prepare(id, "tools.iso");
      BOOST_TEST(type(file) == want);
      BOOST_TEST(type(fx.http().get(uri_path(file.v()["download_endpoint"]["uri"]))) ==
                 "application/octet-stream");
    }
  }
}

BOOST_AUTO_TEST_CASE(rest_bare_id) {
  const std::string files = "/rest/com/vmware/content/library/item/downloadsession/file";
  {
    MockFx fx;
    Ds ds = fx.as_alice(B::Rest);
    std::string id = ds.make(kItemB);
    BOOST_TEST(ds.send("GET", Ds::sessions(B::Rest) + "/" + id).status == 404);
  }
  MockFx fx(with({{"rest-bare-id", "accept"}}));
  Ds ds = fx.as_alice(B::Rest);
  std::string id = ds.make(kItemB);
  Resp bare = ds.send("GET", Ds::sessions(B::Rest) + "/" + id);
  BOOST_TEST(bare.status == 200);
  BOOST_TEST(bare.v() == ds.get(id).v());
  BOOST_TEST(ds.post(Ds::sessions(B::Rest) + "/" + id + "?~action=keep-alive",
                     json{{"progress", 7}}.dump())
                 .status == 200);
  BOOST_TEST(progress(ds, id) == 7);
  Resp f = ds.post(files + "/" + id + "?~action=prepare", json{{"file_name", "tools.iso"}}.dump());
  BOOST_TEST(f.v()["status"] == "PREPARED");
  check_error(ds.send("GET", Ds::sessions(B::Rest) + "/" + kUnknownId), B::Rest, 404, "NOT_FOUND");
  BOOST_TEST(ds.send("DELETE", Ds::sessions(B::Rest) + "/" + id).status == 200);
  check_error(ds.get(id), B::Rest, 404, "NOT_FOUND");
}

BOOST_DATA_TEST_CASE(body_check_order, bdata::make(kBindings), b) {
  for (const std::string order : {"", "body-first", "session-first"}) {
    BOOST_TEST_CONTEXT("body-check-order '" << order << "'") {
      MockFx fx(with_value("body-check-order", order));
      Ds ds = fx.as_alice(b), bob = fx.as_bob(b);
      const std::string bobs = bob.make(kItemB);
      const bool session = order == "session-first";
      for (const std::string& id : {kUnknownId, bobs}) {
        auto expect = [&](const Resp& r) {
          if (session)
            check_error(r, b, 404, "NOT_FOUND");
          else
            check_error(r, b, 400, "INVALID_REQUEST");
        };
        expect(ds.keep_alive_raw(id, "{not json"));
        expect(ds.keep_alive_raw(id, R"({"progress":"x"})"));
        expect(ds.post(ds.instance(id) + "?" + ds.act("cancel"), "[1]"));
        expect(ds.fail_raw(id, "{}"));
        expect(ds.file_prepare_raw(id, "{}"));
        if (b == B::Rest) expect(ds.post(ds.files(id) + "/id:" + id + "?~action=get", "{}"));
      }
      // On one's own session the body is refused either way.
      std::string mine = ds.make(kItemB);
      check_error(ds.keep_alive_raw(mine, "{not json"), b, 400, "INVALID_REQUEST");
      check_error(ds.fail_raw(mine, "{}"), b, 400, "INVALID_REQUEST");
      check_error(ds.file_prepare_raw(mine, "{}"), b, 400, "INVALID_REQUEST");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
