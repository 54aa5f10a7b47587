// write_file_atomically: replaces whole, leaves nothing behind, names the path on failure.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "conformance/reports/atomic_file.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_atomic_file {

namespace fs = std::filesystem;
using conformance::reports::write_file_atomically;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "reports_atomic_XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(atomic_file)

BOOST_AUTO_TEST_CASE(creates_then_replaces_and_leaves_no_temporary_file) {
  TempDir dir;
  fs::path file = dir.path / "out.xml";
  write_file_atomically(file.string(), "first");
  BOOST_TEST(read(file) == "first");
  std::string big(1 << 20, 'x');
  write_file_atomically(file.string(), big);
  BOOST_TEST(read(file) == big);
  write_file_atomically(file.string(), "");
  BOOST_TEST(read(file).empty());
  BOOST_TEST(dir.entries() == std::vector<std::string>{"out.xml"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(mode_follows_the_umask) {
  TempDir dir;
  fs::path file = dir.path / "summary.md";
  mode_t old = ::umask(022);
  write_file_atomically(file.string(), "x");
  ::umask(old);
  struct stat st {};
  BOOST_REQUIRE(::stat(file.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0644u);
}

BOOST_AUTO_TEST_CASE(relative_path_in_the_current_directory) {
  TempDir dir;
  fs::path old = fs::current_path();
  fs::current_path(dir.path);
  write_file_atomically("plain.txt", "ok");
  fs::current_path(old);
  BOOST_TEST(read(dir.path / "plain.txt") == "ok");
  BOOST_TEST(dir.entries() == std::vector<std::string>{"plain.txt"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(missing_directory_throws_naming_the_path) {
  TempDir dir;
  std::string file = (dir.path / "no" / "such" / "out.xml").string();
  try {
    write_file_atomically(file, "x");
    BOOST_FAIL("no exception");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find(file) != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(failed_rename_keeps_the_target_and_removes_the_temporary) {
  TempDir dir;
  fs::path target = dir.path / "report.xml";
  fs::create_directory(target);  // a non-empty directory cannot be replaced by a file
  std::ofstream(target / "keep") << "kept";
  BOOST_CHECK_THROW(write_file_atomically(target.string(), "x"), std::runtime_error);
  BOOST_TEST(fs::is_directory(target));
  BOOST_TEST(read(target / "keep") == "kept");
  BOOST_TEST(dir.entries() == std::vector<std::string>{"report.xml"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_atomic_file
