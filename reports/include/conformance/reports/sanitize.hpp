// Text hygiene shared by the file reporters: what comes from a server (bodies, error
// messages) may hold control characters, invalid UTF-8 or, by mistake, a secret.
#pragma once

#include <string>
#include <string_view>

#include "conformance/engine/run.hpp"

namespace conformance::reports {

// `s` as valid UTF-8 that shows every unprintable character as text: C0 controls
// (except tab and newline), DEL, C1 controls and the noncharacters U+FFFE/U+FFFF become
// "\u0007"-style escapes, bytes that are not UTF-8 become "\xFF"-style escapes. The
// result contains no character XML 1.0 forbids. With `one_line`, tab and newline are
// escaped too ("\t", "\n"), and carriage return always is ("\r").
std::string visible_text(std::string_view s, bool one_line = false);

// Appends '&', '<' or '>' as an XML/HTML entity and returns true; false for any
// other character (appended by the caller as it sees fit).
bool append_entity(std::string& out, char c);

// A copy of `failure` whose secret header values (`secrets`: the credentials and the
// binding's session header, RunInfo::secret_headers) are "<redacted>". The engine
// already redacts what it records; this is the reporters' own line of defence. A
// secret value found in a header is also cut out of every other recorded text
// (bodies, paths, descriptions) in which it appears.
engine::Failure redact_failure(const engine::Failure& failure,
                               const engine::SecretHeaders& secrets);

// The first `max_chars` code points of valid UTF-8 `s`, with "..." when cut.
std::string truncate_utf8(const std::string& s, std::size_t max_chars);

}  // namespace conformance::reports
