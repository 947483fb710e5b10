// IP addresses and CIDR blocks. Parsing is inet_pton (strict dotted quads, no
// zone ids); families never mix: an IPv4-mapped IPv6 address
// (::ffff:10.0.0.1) is an IPv6 address and is neither inside 10.0.0.0/8 nor
// private by the IPv4 ranges.
#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "builtins/internal.h"
#include "plumb/builtins.h"
#include "plumb/format.h"

namespace plumb::rt {
namespace {

int MaxPrefix(const PlumbNet& n) { return n.family == 4 ? 32 : 128; }

// True if the first `bits` bits of a and b agree.
bool PrefixMatch(const uint8_t* a, const uint8_t* b, int bits) {
  int full = bits / 8;
  if (std::memcmp(a, b, static_cast<size_t>(full)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

// outer contains inner (an address or a whole block) of the same family.
bool Contains(const PlumbNet& outer, const PlumbNet& inner) {
  if (outer.family != inner.family) return false;
  int op = std::min<int>(outer.prefix, MaxPrefix(outer));
  int ip = std::min<int>(inner.prefix, MaxPrefix(inner));
  return ip >= op && PrefixMatch(outer.addr, inner.addr, op);
}

PlumbNet Net4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t prefix) {
  PlumbNet n{};
  n.family = 4;
  n.prefix = prefix;
  n.addr[0] = a, n.addr[1] = b, n.addr[2] = c, n.addr[3] = d;
  return n;
}

PlumbNet Net6(uint8_t b0, uint8_t b1, uint8_t prefix) {
  PlumbNet n{};
  n.family = 6;
  n.prefix = prefix;
  n.addr[0] = b0, n.addr[1] = b1;
  return n;
}

void WriteNet(PlumbCtx* ctx, uint32_t tag, const PlumbNet& net, PlumbSlot* out) {
  auto* p = static_cast<PlumbNet*>(internal::Alloc(ctx, sizeof(PlumbNet), 8));
  if (!p) return;
  *p = net;
  *out = PlumbSlot{tag, 0, reinterpret_cast<uint64_t>(p)};
}

// Dotted-quad IPv4, exactly as glibc's inet_pton(AF_INET) reads it (four
// decimal octets of at most 255, no leading zeros, nothing else), without the
// copy to a NUL-terminated buffer: security-group CIDRs are parsed per CI.
// net_test checks it against inet_pton.
bool ParseV4(std::string_view s, uint8_t out[4]) {
  unsigned octets = 0, cur = 0;
  bool digit = false;
  for (char ch : s) {
    if (ch >= '0' && ch <= '9') {
      if (digit && cur == 0) return false;  // a leading zero
      cur = cur * 10 + static_cast<unsigned>(ch - '0');
      if (cur > 255) return false;
      if (!digit) {
        if (++octets > 4) return false;
        digit = true;
      }
    } else if (ch == '.' && digit) {
      if (octets == 4) return false;
      out[octets - 1] = static_cast<uint8_t>(cur);
      cur = 0;
      digit = false;
    } else {
      return false;
    }
  }
  if (octets < 4 || !digit) return false;
  out[3] = static_cast<uint8_t>(cur);
  return true;
}

// An address with no surrounding whitespace: dotted-quad IPv4, else (it has a
// ':') IPv6 as inet_pton reads it. A string with a ':' is never a valid quad
// and one without is never IPv6, so trying IPv4 first changes no verdict.
std::optional<PlumbNet> ParseAddr(std::string_view s) {
  PlumbNet n{};
  if (ParseV4(s, n.addr)) {
    n.family = 4;
    n.prefix = 32;
    return n;
  }
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.size() < 2 || s.size() >= sizeof buf || s.find(':') == std::string_view::npos) return std::nullopt;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  if (std::strlen(buf) != s.size()) return std::nullopt;  // embedded NUL
  if (inet_pton(AF_INET6, buf, n.addr) != 1) return std::nullopt;
  n.family = 6;
  n.prefix = 128;
  return n;
}

}  // namespace

std::optional<PlumbNet> ParseIp(std::string_view in) { return ParseAddr(internal::TrimAscii(in)); }

// Whitespace is trimmed around the whole text only: "10.0.0.0 /8" is not a
// block (ParseAddr refuses the space), nor is a prefix with a sign, spaces or
// more than three digits.
namespace {

// The common form, "a.b.c.d" or "a.b.c.d/p" with nothing around it, in one
// pass (security groups hold a dozen per CI). True only for texts the general
// path below accepts, with the same result; anything else (spaces, IPv6, a
// malformed octet or prefix) returns false and goes the general way.
bool FastV4Cidr(std::string_view s, PlumbNet* n) {
  const char* p = s.data();
  const char* e = p + s.size();
  auto digit = [&](const char* q) { return q != e && *q >= '0' && *q <= '9'; };
  for (int k = 0; k < 4; ++k) {
    if (!digit(p)) return false;
    unsigned v = static_cast<unsigned>(*p++ - '0');
    if (v != 0 && digit(p)) {  // "0" alone: a leading zero is refused (inet_pton)
      v = v * 10 + static_cast<unsigned>(*p++ - '0');
      if (digit(p)) v = v * 10 + static_cast<unsigned>(*p++ - '0');
    }
    if (v > 255 || digit(p)) return false;
    n->addr[k] = static_cast<uint8_t>(v);
    if (k < 3) {
      if (p == e || *p != '.') return false;
      ++p;
    }
  }
  n->family = 4;
  n->prefix = 32;
  if (p == e) return true;
  if (*p++ != '/' || p == e || e - p > 3) return false;
  unsigned prefix = 0;
  for (; p != e; ++p) {
    if (*p < '0' || *p > '9') return false;
    prefix = prefix * 10 + static_cast<unsigned>(*p - '0');
  }
  if (prefix > 32) return false;
  n->prefix = static_cast<uint8_t>(prefix);
  return true;
}

}  // namespace

std::optional<PlumbNet> ParseCidr(std::string_view in) {
  if (PlumbNet n{}; FastV4Cidr(in, &n)) return n;
  std::string_view s = internal::TrimAscii(in);
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return ParseAddr(s);
  auto n = ParseAddr(s.substr(0, slash));
  if (!n) return std::nullopt;
  std::string_view len = s.substr(slash + 1);
  if (len.empty() || len.size() > 3) return std::nullopt;
  int prefix = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > MaxPrefix(*n)) return std::nullopt;
  n->prefix = static_cast<uint8_t>(prefix);
  return n;
}

std::string FormatNet(const PlumbNet& net, bool with_prefix) {
  char buf[INET6_ADDRSTRLEN + 8] = {};
  if (net.family != 4 && net.family != 6) return "invalid-address";
  inet_ntop(net.family == 4 ? AF_INET : AF_INET6, net.addr, buf, INET6_ADDRSTRLEN);
  std::string out(buf);
  if (with_prefix) out += "/" + std::to_string(static_cast<int>(net.prefix));
  return out;
}

}  // namespace plumb::rt

using namespace plumb::rt;
using internal::SetAbsent;

extern "C" void plumb_parse_ip(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out) {
  SetAbsent(out);
  if (!s || !out) return;
  if (s->tag == PLUMB_IP) {
    *out = *s;
    return;
  }
  if (s->tag != PLUMB_STRING) return;
  if (auto n = ParseIp(AsStringView(*s))) WriteNet(ctx, PLUMB_IP, *n, out);
}

extern "C" void plumb_parse_cidr(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out) {
  SetAbsent(out);
  if (!s || !out) return;
  if (s->tag == PLUMB_CIDR) {
    *out = *s;
    return;
  }
  if (s->tag == PLUMB_IP) {  // an address is its own /32 or /128 block
    if (AsNet(*s)) *out = PlumbSlot{PLUMB_CIDR, 0, s->bits};
    return;
  }
  if (s->tag != PLUMB_STRING) return;
  if (auto n = ParseCidr(AsStringView(*s))) WriteNet(ctx, PLUMB_CIDR, *n, out);
}

extern "C" int32_t plumb_cidr_contains(const PlumbSlot* cidr, const PlumbSlot* ip_or_cidr) {
  if (!cidr || !ip_or_cidr) return 0;
  const PlumbNet* outer = AsNet(*cidr);
  const PlumbNet* inner = AsNet(*ip_or_cidr);
  return outer && inner && Contains(*outer, *inner);
}

extern "C" int32_t plumb_cidr_is_world(const PlumbSlot* cidr) {
  if (!cidr || cidr->tag != PLUMB_CIDR) return 0;
  const PlumbNet* n = AsNet(*cidr);
  return n && (n->family == 4 || n->family == 6) && n->prefix == 0;
}

extern "C" int32_t plumb_ip_is_private(const PlumbSlot* ip) {
  if (!ip) return 0;
  const PlumbNet* n = AsNet(*ip);
  if (!n) return 0;
  // A CIDR is private when the whole block lies in one private range.
  static const PlumbNet kPrivate[] = {
      Net4(10, 0, 0, 0, 8),      // RFC 1918
      Net4(172, 16, 0, 0, 12),   // RFC 1918
      Net4(192, 168, 0, 0, 16),  // RFC 1918
      Net4(127, 0, 0, 0, 8),     // loopback
      Net4(169, 254, 0, 0, 16),  // link-local
      Net6(0xfc, 0x00, 7),       // RFC 4193 unique local
      Net6(0xfe, 0x80, 10),      // link-local
  };
  for (const PlumbNet& r : kPrivate)
    if (Contains(r, *n)) return 1;
  if (n->family == 6 && n->prefix >= 128) {  // ::1
    static const uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::memcmp(n->addr, kLoopback, 16) == 0) return 1;
  }
  return 0;
}
