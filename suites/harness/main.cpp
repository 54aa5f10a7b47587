// The harness_tests module: the one translation unit that defines BOOST_TEST_MODULE.
// Test files add themselves through HARNESS_TEST_SOURCES in CMakeLists.txt.
#define BOOST_TEST_MODULE harness_tests
#include <boost/test/unit_test.hpp>
