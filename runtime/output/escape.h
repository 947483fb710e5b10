// Internal to runtime/output: the text encoders every writer shares. Each
// appends to a caller-owned buffer so the bulk writers can reuse one buffer
// per run (no allocation per record once it has grown).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace plumb::rt::output {

// Decodes the UTF-8 sequence at s[i] (i < s.size()). Returns the number of
// bytes it takes (>= 1) and sets *cp to the code point, or to -1 when the
// bytes are not well-formed UTF-8 (overlong, surrogate, > U+10FFFF, truncated,
// stray continuation); the length is then that of the maximal ill-formed
// subpart, so each such subpart becomes exactly one U+FFFD (Unicode's
// recommended practice, as WHATWG decoders do).
size_t DecodeUtf8(std::string_view s, size_t i, int32_t* cp);

// Appends `s` as a quoted JSON string: '"', '\\' and control characters
// escaped (\n \r \t \b \f, others \u00XX), ill-formed UTF-8 replaced by U+FFFD,
// everything else copied as is (UTF-8 stays UTF-8).
void AppendJsonString(std::string& out, std::string_view s);

// The most bytes WriteJsonString writes for a text of n bytes (every byte a
// \u00XX escape, plus the quotes).
constexpr size_t JsonStringBound(size_t n) { return 6 * n + 2; }

// AppendJsonString into raw memory: writes the quoted text at `p`, which has
// room for JsonStringBound(s.size()) bytes, and returns the end. The bulk
// writers size a whole record once and write it with this.
char* WriteJsonString(char* p, std::string_view s);

// Copies `t` to `p` as it is and returns the end (the literal parts of a record).
inline char* WriteBytes(char* p, std::string_view t) {
  std::memcpy(p, t.data(), t.size());
  return p + t.size();
}

// Appends `s` escaped for XML 1.0 character data (attribute = false) or a
// double-quoted attribute value (attribute = true; also escapes '"', and
// tab/newline/CR as character references so attribute normalisation keeps
// them). Characters XML 1.0 cannot carry at all (C0 controls other than
// tab/newline/CR, U+FFFE/U+FFFF) and ill-formed UTF-8 become U+FFFD.
void AppendXmlEscaped(std::string& out, std::string_view s, bool attribute);

// Appends `s` made safe for a terminal line: control characters (C0, DEL, C1)
// shown as \n, \t, \r or \xNN so an annotation cannot move the cursor or
// inject escape sequences; ill-formed UTF-8 becomes U+FFFD. Stops once
// `max_width` code points were written (SIZE_MAX = no limit), ending with
// "…" within the limit when something was cut. Returns the code points written.
size_t AppendTerminalSafe(std::string& out, std::string_view s, size_t max_width = SIZE_MAX);

// The number of code points AppendTerminalSafe would write for `s` uncut.
size_t TerminalWidth(std::string_view s);

// Appends FormatTimestampIso(micros) (see plumb/eval.h) without allocating.
void AppendTimestampIso(std::string& out, int64_t micros);

// AppendTimestampIso into raw memory with room for kTimestampIsoMax bytes;
// returns the end (24 bytes for years 0-9999).
constexpr size_t kTimestampIsoMax = 48;
char* WriteTimestampIso(char* p, int64_t micros);

// Appends `path` as a URI reference for SARIF's artifactLocation.uri: an
// absolute POSIX path becomes file:///..., a relative one stays relative;
// bytes outside RFC 3986's unreserved set and '/' are percent-encoded.
void AppendFileUri(std::string& out, std::string_view path);

}  // namespace plumb::rt::output
