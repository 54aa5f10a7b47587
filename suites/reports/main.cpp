// The reports_tests module: the one translation unit that defines BOOST_TEST_MODULE.
// Test files add themselves through REPORTS_TEST_SOURCES in CMakeLists.txt.
#define BOOST_TEST_MODULE reports_tests
#include <boost/test/unit_test.hpp>
