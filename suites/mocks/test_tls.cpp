// HTTPS: the mock serves TLS when given a certificate and key.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>

#include "mock_client.hpp"

using namespace mt;

namespace {

// Writes a fresh self-signed certificate for 127.0.0.1 and its key to cert/key.
void make_self_signed(const std::string& cert, const std::string& key) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  BOOST_REQUIRE(pkey);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  BOOST_REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
  FILE* f = std::fopen(cert.c_str(), "w");
  BOOST_REQUIRE(f);
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(key.c_str(), "w");
  BOOST_REQUIRE(f);
  PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(pkey);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(https_round_trip) {
  const std::string base = "/tmp/dsmock-tls-" + std::to_string(::getpid());
  const std::string cert = base + ".crt", key = base + ".key";
  make_self_signed(cert, key);
  dsmock::Options o = Mock::virtual_opts();
  o.tls_cert = cert;
  o.tls_key = key;
  {
    dsmock::Server s(o);
    const int port = s.start();
    BOOST_TEST(s.url() == "https://127.0.0.1:" + std::to_string(port));
    httplib::SSLClient cli("127.0.0.1", port);
    cli.enable_server_certificate_verification(false);
    cli.set_tcp_nodelay(true);
    auto r = cli.Post("/api/session", basic("alice", "alice-pass"), "", "application/json");
    BOOST_TEST_REQUIRE(static_cast<bool>(r));
    BOOST_TEST(r->status == 201);
    const std::string token = json::parse(r->body).get<std::string>();
    auto c = cli.Post("/api/content/library/item/download-session", auth(token),
                      json{{"library_item_id", kItemB}}.dump(), "application/json");
    BOOST_TEST_REQUIRE(static_cast<bool>(c));
    BOOST_TEST(c->status == 201);
    const std::string id = json::parse(c->body).get<std::string>();
    auto p = cli.Post(
        ("/api/content/library/item/download-session/" + id + "/file?action=prepare").c_str(),
        auth(token), json{{"file_name", "tools.iso"}}.dump(), "application/json");
    BOOST_TEST_REQUIRE(static_cast<bool>(p));
    const std::string uri = json::parse(p->body)["download_endpoint"]["uri"];
    BOOST_TEST(uri.rfind("https://127.0.0.1:" + std::to_string(port) + "/", 0) == 0);
    auto d = cli.Get(uri_path(uri).c_str());
    BOOST_TEST_REQUIRE(static_cast<bool>(d));
    BOOST_TEST((d->body == expected_content("tools.iso", 32768)));
    // Plain HTTP to the TLS port gets no HTTP answer, and the server survives it.
    BOOST_TEST(Http(port).get("/api/session").status == 0);
    auto again = cli.Get("/api/session", auth(token));
    BOOST_TEST_REQUIRE(static_cast<bool>(again));
    BOOST_TEST(again->status == 200);
  }
  // A key that does not load is a bad option.
  o.tls_key = cert;
  BOOST_CHECK_THROW(dsmock::Server(o).start(), std::invalid_argument);
  std::remove(cert.c_str());
  std::remove(key.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
