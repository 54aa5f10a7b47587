// downloadsession.File on both bindings, preparation under the virtual clock, downloads,
// fixture loading.
#include <boost/test/data/test_case.hpp>
#include <cstdio>
#include <fstream>

#include "mock_client.hpp"

using namespace mt;
namespace bdata = boost::unit_test::data;

namespace {
dsmock::Options delayed(long long ms) {
  dsmock::Options o = Mock::virtual_opts();
  o.prepare_delay = std::chrono::milliseconds(ms);
  return o;
}

std::string temp_file(const std::string& content) {
  char name[] = "/tmp/dsmock-test-XXXXXX";
  int fd = mkstemp(name);
  BOOST_REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(name, std::ios::binary) << content;
  return name;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(files)

BOOST_DATA_TEST_CASE(list_unprepared, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make(kItemA);
  Resp l = ds.file_list(id);
  BOOST_TEST(l.status == 200);
  BOOST_TEST_REQUIRE(l.v().is_array());
  BOOST_TEST_REQUIRE(l.v().size() == 3u);
  std::vector<std::string> names;
  for (const auto& f : l.v()) {
    BOOST_TEST(f.size() == 3u);  // name, bytes_transferred, status only
    BOOST_TEST(f["bytes_transferred"] == 0);
    BOOST_TEST(f["status"] == "UNPREPARED");
    names.push_back(f["name"]);
  }
  BOOST_TEST(
      (names == std::vector<std::string>{"photon-5.ovf", "photon-5-disk1.vmdk", "photon-5.mf"}));
  Resp g = ds.file_get(id, "photon-5-disk1.vmdk");
  BOOST_TEST(g.status == 200);
  BOOST_TEST(g.v() == l.v()[1]);
  BOOST_TEST(ds.file_list(ds.make(kItemB)).v().size() == 1u);
}

BOOST_DATA_TEST_CASE(prepare_with_delay, bdata::make(kBindings), b) {
  MockFx fx(delayed(3000));
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make(kItemA);
  Resp p = ds.file_prepare(id, "photon-5-disk1.vmdk");
  BOOST_TEST(p.status == 200);
  BOOST_TEST(p.v()["status"] == "PREPARE_REQUESTED");
  BOOST_TEST(!p.v().contains("download_endpoint"));
  BOOST_TEST(!p.v().contains("size"));
  BOOST_TEST(ds.file_get(id, "photon-5.ovf").v()["status"] == "UNPREPARED");
  BOOST_TEST(fx.mock.advance(999).status == 200);
  BOOST_TEST(ds.file_get(id, "photon-5-disk1.vmdk").v()["status"] == "PREPARE_REQUESTED");
  fx.mock.advance(1);
  BOOST_TEST(ds.file_get(id, "photon-5-disk1.vmdk").v()["status"] == "PREPARING");
  // Preparing again keeps the progress.
  BOOST_TEST(ds.file_prepare(id, "photon-5-disk1.vmdk").v()["status"] == "PREPARING");
  fx.mock.advance(1999);
  BOOST_TEST(ds.file_get(id, "photon-5-disk1.vmdk").v()["status"] == "PREPARING");
  BOOST_TEST(!ds.file_get(id, "photon-5-disk1.vmdk").v().contains("download_endpoint"));
  fx.mock.advance(1);
  Resp g = ds.file_get(id, "photon-5-disk1.vmdk");
  BOOST_TEST(g.v()["status"] == "PREPARED");
  BOOST_TEST(g.v()["size"] == 65536);
  BOOST_TEST(g.v()["bytes_transferred"] == 65536);
  const std::string uri = g.v()["download_endpoint"]["uri"];
  BOOST_TEST(
      uri.rfind("http://127.0.0.1:" + std::to_string(fx.mock.port) + "/mock/v1/download/", 0) == 0);
  BOOST_TEST(uri.size() > std::string("/photon-5-disk1.vmdk").size());
  BOOST_TEST(uri.substr(uri.size() - 20) == "/photon-5-disk1.vmdk");
  // Prepared stays prepared with the same URI; File.list agrees.
  Resp again = ds.file_prepare(id, "photon-5-disk1.vmdk", "HTTPS");
  BOOST_TEST(again.v() == g.v());
  Resp l = ds.file_list(id);
  BOOST_TEST(l.v()[1] == g.v());
  BOOST_TEST(l.v()[0]["status"] == "UNPREPARED");
  // Preparation does not move the session's expiration.
  BOOST_TEST(ds.get(id).v()["expiration_time"] == "2030-01-01T00:05:00.000Z");
}

BOOST_DATA_TEST_CASE(prepare_immediate_and_download, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make(kItemA);
  for (const auto& [name, size] : std::vector<std::pair<std::string, int>>{
           {"photon-5.ovf", 4096}, {"photon-5-disk1.vmdk", 65536}, {"photon-5.mf", 1024}}) {
    Resp p = ds.file_prepare(id, name);
    BOOST_TEST(p.status == 200);
    BOOST_TEST(p.v()["status"] == "PREPARED");
    BOOST_TEST(p.v()["size"] == size);
    const std::string uri = p.v()["download_endpoint"]["uri"];
    Resp d = fx.http().get(uri_path(uri));  // no session header needed
    BOOST_TEST(d.status == 200);
    BOOST_TEST(d.body.size() == static_cast<std::size_t>(size));
    BOOST_TEST((d.body == expected_content(name, size)));
    BOOST_TEST(d.headers.find("Content-Type")->second == "application/octet-stream");
    // HEAD works too.
    BOOST_TEST(fx.http().send("HEAD", uri_path(uri)).status == 200);
  }
}

BOOST_DATA_TEST_CASE(file_errors, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make(kItemA);
  check_error(ds.file_get(id, "nope.vmdk"), b, 400, "INVALID_ARGUMENT");
  check_error(ds.file_get(id, ""), b, 400, "INVALID_ARGUMENT");
  check_error(ds.file_prepare(id, "nope.vmdk"), b, 400, "INVALID_ARGUMENT");
  check_error(ds.file_prepare(id, "photon-5.ovf", "DIRECT"), b, 403, "UNAUTHORIZED");
  check_error(ds.file_prepare(id, "photon-5.ovf", "FTP"), b, 400, "INVALID_ARGUMENT");
  check_error(ds.file_prepare_raw(id, R"({"file_name":"photon-5.ovf","endpoint_type":7})"), b, 400,
              "INVALID_REQUEST");
  check_error(ds.file_prepare_raw(id, "{}"), b, 400, "INVALID_REQUEST");
  check_error(ds.file_prepare_raw(id, R"({"file_name":1})"), b, 400, "INVALID_REQUEST");
  check_error(ds.file_prepare_raw(id, R"({"file_name":)"), b, 400, "INVALID_REQUEST");
  BOOST_TEST(ds.file_get(id, "photon-5.ovf").v()["status"] == "UNPREPARED");  // nothing changed
  check_error(ds.file_list(kUnknownId), b, 404, "NOT_FOUND");
  check_error(ds.file_get(kUnknownId, "photon-5.ovf"), b, 404, "NOT_FOUND");
  check_error(ds.file_prepare(kUnknownId, "photon-5.ovf"), b, 404, "NOT_FOUND");
  if (b == B::Rest) {
    check_error(fx.http().get(ds.files(id), auth(fx.alice), B::Rest), b, 400, "INVALID_REQUEST");
    check_error(ds.post(ds.files(id) + "/id:" + id + "?~action=get", "{}"), b, 400,
                "INVALID_REQUEST");
  }
}

BOOST_DATA_TEST_CASE(file_ops_by_state, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string canceled = ds.make(kItemA), failed = ds.make(kItemA);
  const std::string uri = ds.file_prepare(canceled, "photon-5.ovf").v()["download_endpoint"]["uri"];
  const std::string uri_failed =
      ds.file_prepare(failed, "photon-5.ovf").v()["download_endpoint"]["uri"];
  BOOST_TEST(fx.http().get(uri_path(uri)).status == 200);
  BOOST_TEST(ds.cancel(canceled).status == ds.ok_void());
  BOOST_TEST(ds.fail(failed, "client gave up").status == ds.ok_void());
  for (const auto& id : {canceled, failed}) {
    BOOST_TEST(ds.file_list(id).status == 200);
    BOOST_TEST(ds.file_get(id, "photon-5.ovf").v()["status"] == "PREPARED");
    check_error(ds.file_prepare(id, "photon-5.mf"), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
    check_error(ds.file_prepare(id, "photon-5.ovf"), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  }
  // Canceling invalidates the download URL; a failed session's URL still serves.
  check_error(fx.http().get(uri_path(uri)), B::Api, 404, "NOT_FOUND");
  BOOST_TEST(fx.http().get(uri_path(uri_failed)).status == 200);
  BOOST_TEST(ds.del(failed).status == ds.ok_void());
  check_error(fx.http().get(uri_path(uri_failed)), B::Api, 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(download_urls) {
  MockFx fx(delayed(3000));
  Ds ds = fx.as_alice(B::Api);
  const std::string id = ds.make(kItemB);
  BOOST_TEST(ds.file_prepare(id, "tools.iso").v()["status"] == "PREPARE_REQUESTED");
  fx.mock.advance(3000);
  const std::string uri = ds.file_get(id, "tools.iso").v()["download_endpoint"]["uri"];
  const std::string path = uri_path(uri);
  Resp d = fx.http().get(path);
  BOOST_TEST(d.status == 200);
  BOOST_TEST((d.body == expected_content("tools.iso", 32768)));
  // Wrong name, wrong token, truncated path: 404 with an error body.
  const std::string prefix = path.substr(0, path.rfind('/') + 1);
  check_error(fx.http().get(prefix + "other.iso"), B::Api, 404, "NOT_FOUND");
  check_error(fx.http().get("/mock/v1/download/deadbeef/tools.iso"), B::Api, 404, "NOT_FOUND");
  check_error(fx.http().get("/mock/v1/download/deadbeef"), B::Api, 404, "NOT_FOUND");
  BOOST_TEST(fx.http().post(path, "{}").status == 405);
  // The session's expiry ends the URL.
  fx.mock.advance(300000 - 3000);
  BOOST_TEST(fx.http().get(path).status == 200);  // exactly at expiration_time
  fx.mock.advance(1);
  check_error(fx.http().get(path), B::Api, 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(host_header_drives_download_uri) {
  MockFx fx;
  Ds ds = fx.as_alice(B::Api);
  const std::string id = ds.make(kItemB);
  httplib::Headers h = auth(fx.alice);
  h.emplace("Host", "mock.example:8443");
  Resp p = ds.send("GET", ds.files(id), "", h);
  BOOST_TEST(p.status == 200);
  Resp r = ds.post(ds.files(id) + "?action=prepare", json{{"file_name", "tools.iso"}}.dump(), h);
  BOOST_TEST(r.v()["download_endpoint"]["uri"].get<std::string>().rfind(
                 "http://mock.example:8443/mock/v1/download/", 0) == 0);
}

BOOST_AUTO_TEST_CASE(custom_fixtures_and_odd_names) {
  dsmock::Options o = Mock::virtual_opts();
  o.items = {{"item:with:colons", "v9", {{"dir/a file+ü.bin", 5000}, {"empty.txt", 0}}}};
  MockFx fx(o);
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    check_error(ds.create(kItemA), b, 404, "NOT_FOUND");  // defaults replaced
    const std::string id = ds.make("item:with:colons");
    BOOST_TEST(ds.get(id).v()["library_item_content_version"] == "v9");
    BOOST_TEST(contains(ds.list("item:with:colons").v(), id));
    for (const auto& [name, size] :
         std::vector<std::pair<std::string, int>>{{"dir/a file+ü.bin", 5000}, {"empty.txt", 0}}) {
      Resp p = ds.file_prepare(id, name);
      BOOST_TEST_REQUIRE(p.v()["status"] == "PREPARED");
      const std::string uri = p.v()["download_endpoint"]["uri"];
      BOOST_TEST(uri.find(' ') == std::string::npos);
      Resp d = fx.http().get(uri_path(uri));
      BOOST_TEST(d.status == 200);
      BOOST_TEST((d.body == expected_content(name, size)));
    }
  }
}

BOOST_AUTO_TEST_CASE(load_fixtures_file) {
  const std::string good = temp_file(R"({"items":[
      {"id":"i-1","content_version":"3","files":[{"name":"x.ovf","size":1024},{"name":"x.vmdk","size":2048}]},
      {"id":"i-2","content_version":"1","files":[]}]})");
  auto items = dsmock::load_fixtures(good);
  BOOST_TEST_REQUIRE(items.size() == 2u);
  BOOST_TEST(items[0].id == "i-1");
  BOOST_TEST(items[0].content_version == "3");
  BOOST_TEST_REQUIRE(items[0].files.size() == 2u);
  BOOST_TEST(items[0].files[1].name == "x.vmdk");
  BOOST_TEST(items[0].files[1].size == 2048);
  BOOST_TEST(items[1].files.empty());
  std::remove(good.c_str());

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"{", "invalid JSON"},
      {"[]", "items"},
      {R"({"items":[]})", "empty"},
      {R"({"items":[{"content_version":"1","files":[]}]})", "items[0].id"},
      {R"({"items":[{"id":"a","files":[]}]})", "content_version"},
      {R"({"items":[{"id":"a","content_version":"1"}]})", "files"},
      {R"({"items":[{"id":"a","content_version":"1","files":[{"name":"x","size":-1}]}]})", "size"},
      {R"({"items":[{"id":"a","content_version":"1","files":[{"name":"x","size":1.5}]}]})", "size"},
      {R"({"items":[{"id":"a","content_version":"1","files":[{"size":1}]}]})", "name"},
      {R"({"items":[{"id":"a","content_version":"1","files":[]},{"id":"a","content_version":"1","files":[]}]})",
       "duplicate"},
  };
  for (const auto& [content, needle] : bad) {
    const std::string path = temp_file(content);
    BOOST_TEST_CONTEXT(content) {
      try {
        dsmock::load_fixtures(path);
        BOOST_ERROR("no exception");
      } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        BOOST_TEST(what.find(path) != std::string::npos);
        BOOST_TEST(what.find(needle) != std::string::npos, what);
      }
    }
    std::remove(path.c_str());
  }
  try {
    dsmock::load_fixtures("/nonexistent/fixtures.json");
    BOOST_ERROR("no exception");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("/nonexistent/fixtures.json") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(default_fixtures_shape) {
  auto items = dsmock::default_fixtures();
  BOOST_TEST((items.size() >= 2u && items.size() <= 3u));
  for (const auto& it : items) {
    BOOST_TEST((!it.files.empty() && it.files.size() <= 3u));
    for (const auto& f : it.files)
      BOOST_TEST((f.size >= 1024 && f.size <= 65536));
  }
}

BOOST_AUTO_TEST_SUITE_END()
