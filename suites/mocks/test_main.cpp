#define BOOST_TEST_MODULE dsmock
#include <boost/test/unit_test.hpp>

#include <csignal>

// A peer closing a socket mid-write must not kill the test process.
struct IgnoreSigpipe {
  IgnoreSigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};
BOOST_TEST_GLOBAL_FIXTURE(IgnoreSigpipe);
