// Behaviour variants: the catalogue, option validation, and for every variant value that the
// mock behaves as the catalogue says (and, for the default, as before).
#include <boost/test/data/test_case.hpp>
#include <fstream>
#include <functional>
#include <set>

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
    if (v.needs_documented)
      BOOST_TEST(inferred, v.name << " needs documented strictness but names no inferred clause");
  }
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

BOOST_AUTO_TEST_SUITE_END()
