// Text forms of Plumb values: the formatting behind plumb_to_string /
// plumb_to_display and the parsers behind plumb_parse_timestamp / _duration /
// _ip / _cidr, for C++ callers (output writers, the REPL, the compiler's
// constant folding) that want std::string / std::optional instead of slots.
//
// Contract: pure functions, thread-safe, never throw on any input (only
// std::bad_alloc from std::string growth). Parsers accept exactly what the
// corresponding builtins.h helpers accept (the helpers call them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "plumb/value.h"

namespace plumb::rt {

// Appends the text of v: strings raw (quote_strings == false, plumb_to_string)
// or JSON-quoted (true, plumb_to_display). Lists "[a, b]" with strings quoted;
// maps, objects and records as compact JSON (see plumb_to_string).
void AppendValueText(std::string& out, const PlumbSlot& v, bool quote_strings);
// Appends v as compact JSON: timestamps, durations, IPs and CIDRs as JSON
// strings of their text form; absent as null; NaN/infinity as null.
void AppendJson(std::string& out, const PlumbSlot& v);
// Appends s as a JSON string literal (escaping ", \ and control bytes; other
// bytes, including invalid UTF-8, are copied unchanged).
void AppendJsonString(std::string& out, std::string_view s);

// "2019-02-12T07:21:45Z"; fraction only when non-zero: ".5Z" is printed as
// ".500Z" (milliseconds) or ".000123Z" (microseconds).
std::string FormatTimestamp(int64_t us);
// "90d", "1d12h", "1h30m", "500ms", "1s250us", "0s", "-2h".
std::string FormatDuration(int64_t us);
// Shortest text that reads back as the same double ("0.1", "1e+20", "3");
// "inf", "-inf", "nan" for non-finite values.
std::string FormatFloat(double d);
// "10.0.0.1", "2001:db8::1"; with_prefix adds "/N".
std::string FormatNet(const PlumbNet& net, bool with_prefix);

std::optional<int64_t> ParseTimestamp(std::string_view s);
std::optional<int64_t> ParseDuration(std::string_view s);
// A bare IPv4/IPv6 address (prefix set to 32/128).
std::optional<PlumbNet> ParseIp(std::string_view s);
// "a.b.c.d/N", "x::/N", or a bare address (as /32 or /128). The address is
// kept as written; host bits are ignored by comparisons.
std::optional<PlumbNet> ParseCidr(std::string_view s);

}  // namespace plumb::rt
