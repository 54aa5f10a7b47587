// The shipped spec (specs/downloadsession.json), loaded once for the tests that use it.
#pragma once

#include "conformance/spec/loader.hpp"

namespace conformance::testing {

inline const spec::Spec& shipped() {
  static const spec::Spec s = spec::load_spec(CONFORMANCE_DEFAULT_SPEC);
  return s;
}

}  // namespace conformance::testing
