#include "conformance/reports/sanitize.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "conformance/engine/transport.hpp"

namespace conformance::reports {

namespace {

constexpr const char* kRedacted = "<redacted>";

void append_code_point(std::string& out, std::string_view bytes, char32_t cp, bool one_line) {
  char buf[16];
  if (cp == '\n' || cp == '\t') {
    if (one_line)
      out += cp == '\n' ? "\\n" : "\\t";
    else
      out += static_cast<char>(cp);
  } else if (cp == '\r') {
    out += "\\r";
  } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) {
    std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(cp));
    out += buf;
  } else {
    out.append(bytes.data(), bytes.size());
  }
}

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the valid UTF-8 sequence at s[i] (and its code point), or 0 if invalid.
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  std::size_t left = s.size() - i;
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (left < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (!continuation(b(k))) return 0;
  cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (b(k) & 0x3F);
  return n;
}

void cut(std::string& text, const std::set<std::string>& secrets) {
  for (const auto& secret : secrets) {
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + std::char_traits<char>::length(kRedacted)))
      text.replace(at, secret.size(), kRedacted);
  }
}

}  // namespace

std::string visible_text(std::string_view s, bool one_line) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    std::size_t n = decode(s, i, cp);
    if (n == 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(s[i]));
      out += buf;
      ++i;
    } else {
      append_code_point(out, s.substr(i, n), cp, one_line);
      i += n;
    }
  }
  return out;
}

bool append_entity(std::string& out, char c) {
  switch (c) {
    case '&':
      out += "&amp;";
      return true;
    case '<':
      out += "&lt;";
      return true;
    case '>':
      out += "&gt;";
      return true;
    default:
      return false;
  }
}

engine::Failure redact_failure(const engine::Failure& failure,
                               const engine::SecretHeaders& secrets_named) {
  engine::Failure f = failure;
  // Secret values that slipped through: remember them, then blank the headers.
  std::set<std::string> secrets;
  for (auto& step : f.trace) {
    for (auto& [name, value] : step.exchange.request.headers) {
      if (!secrets_named.contains(name)) continue;
      if (!value.empty() && value != kRedacted) {
        secrets.insert(value);
        // "Basic dXNlcjpwYXNz", "Bearer abc": the credential on its own too.
        auto space = value.find(' ');
        if (space != std::string::npos && value.size() - space - 1 >= 8)
          secrets.insert(value.substr(space + 1));
      }
      value = kRedacted;
    }
  }
  // Short values would blank unrelated text; they are redacted in the header only.
  std::erase_if(secrets, [](const std::string& s) { return s.size() < 8; });
  if (secrets.empty()) return f;
  auto scrub_violation = [&](engine::Violation& v) {
    cut(v.expected, secrets);
    cut(v.actual, secrets);
  };
  scrub_violation(f.violation);
  for (auto& step : f.trace) {
    cut(step.description, secrets);
    cut(step.expected, secrets);
    cut(step.outcome, secrets);
    auto& rq = step.exchange.request;
    cut(rq.path, secrets);
    cut(rq.query, secrets);
    if (rq.body) cut(*rq.body, secrets);
    for (auto& [name, value] : rq.headers)
      cut(value, secrets);
    cut(step.exchange.response.body, secrets);
    cut(step.exchange.response.transport_error, secrets);
    for (auto& v : step.violations)
      scrub_violation(v);
  }
  return f;
}

std::string truncate_utf8(const std::string& s, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (continuation(static_cast<unsigned char>(s[i]))) continue;
    if (chars++ == max_chars) return s.substr(0, i) + "...";
  }
  return s;
}

}  // namespace conformance::reports
