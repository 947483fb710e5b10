#include <doctest/doctest.h>

#include "builtins/test_util.h"
#include "plumb/format.h"

#include <arpa/inet.h>

#include <cstring>
#include <functional>
#include <optional>
#include <string>

using namespace plumb::rt;
using plumb::rt::testing::Env;

TEST_CASE("parse ip and cidr") {
  Env e;
  PlumbSlot ip = e.Ip("203.0.113.7");
  REQUIRE(ip.tag == PLUMB_IP);
  CHECK(AsNet(ip)->family == 4);
  CHECK(AsNet(ip)->prefix == 32);
  CHECK(AsNet(ip)->addr[0] == 203);
  PlumbSlot v6 = e.Ip("::1");
  REQUIRE(v6.tag == PLUMB_IP);
  CHECK(AsNet(v6)->family == 6);
  CHECK(e.Text(v6) == "::1");
  CHECK(e.Ip("10.0.0.0/8").tag == PLUMB_ABSENT);
  for (const char* bad :
       {"", "256.0.0.1", "10.0.0", "010.0.0.1", "fe80::1%eth0", "1.2.3.4 5", "::g", "not-an-ip",
        "1.2.3."
        "4\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\nx"}) {
    CHECK_MESSAGE(e.Ip(bad).tag == PLUMB_ABSENT, bad);
  }
  CHECK(e.Ip(std::string_view("1.2.3.4\0", 8)).tag == PLUMB_ABSENT);

  PlumbSlot c = e.Cidr("10.0.0.0/8");
  REQUIRE(c.tag == PLUMB_CIDR);
  CHECK(AsNet(c)->prefix == 8);
  CHECK(e.Text(c) == "10.0.0.0/8");
  PlumbSlot bare = e.Cidr("192.0.2.10");
  REQUIRE(bare.tag == PLUMB_CIDR);
  CHECK(e.Text(bare) == "192.0.2.10/32");
  CHECK(e.Text(e.Cidr("2001:db8::")) == "2001:db8::/128");
  CHECK(e.Text(e.Cidr("10.1.2.3/8")) == "10.1.2.3/8");  // written form kept
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8",
                          "10.0.0.0 /8", "10.0.0.0/ 8", "10.0.0.0/0008", "/8", "10.0.0.0/x"}) {
    CHECK_MESSAGE(e.Cidr(bad).tag == PLUMB_ABSENT, bad);
  }
  PlumbSlot out;
  plumb_parse_cidr(&e.ctx, &ip, &out);
  CHECK(out.tag == PLUMB_CIDR);
  CHECK(e.Text(out) == "203.0.113.7/32");
  plumb_parse_ip(&e.ctx, &c, &out);
  CHECK(out.tag == PLUMB_ABSENT);
  PlumbSlot s = MakeString("10.0.0.1");
  plumb_parse_ip(nullptr, &s, &out);  // no arena: absent, no crash
  CHECK(out.tag == PLUMB_ABSENT);
}

TEST_CASE("cidr contains, security group shapes") {
  Env e;
  PlumbSlot vpc = e.Cidr("172.31.0.0/16"), subnet = e.Cidr("172.31.32.0/20"), other = e.Cidr("172.32.0.0/16"),
            world = e.Cidr("0.0.0.0/0"), world6 = e.Cidr("::/0");
  PlumbSlot host = e.Ip("172.31.40.5"), outside = e.Ip("8.8.8.8"), v6 = e.Ip("2600:1f18::1");
  CHECK(plumb_cidr_contains(&vpc, &host) == 1);
  CHECK(plumb_cidr_contains(&vpc, &subnet) == 1);
  CHECK(plumb_cidr_contains(&subnet, &vpc) == 0);
  CHECK(plumb_cidr_contains(&vpc, &other) == 0);
  CHECK(plumb_cidr_contains(&vpc, &outside) == 0);
  CHECK(plumb_cidr_contains(&world, &outside) == 1);
  CHECK(plumb_cidr_contains(&world, &v6) == 0);  // families never mix
  CHECK(plumb_cidr_contains(&world6, &v6) == 1);
  CHECK(plumb_cidr_contains(&vpc, &vpc) == 1);
  PlumbSlot host_bits = e.Cidr("172.31.255.255/16");
  CHECK(plumb_cidr_contains(&host_bits, &host) == 1);  // host bits ignored
  PlumbSlot odd = e.Cidr("10.0.0.0/9"), in9 = e.Ip("10.127.255.255"), out9 = e.Ip("10.128.0.0");
  CHECK(plumb_cidr_contains(&odd, &in9) == 1);
  CHECK(plumb_cidr_contains(&odd, &out9) == 0);
  PlumbSlot mapped = e.Ip("::ffff:10.0.0.1"), ten = e.Cidr("10.0.0.0/8");
  CHECK(plumb_cidr_contains(&ten, &mapped) == 0);
  PlumbSlot absent = MakeAbsent(), str = MakeString("10.0.0.1");
  CHECK(plumb_cidr_contains(&ten, &absent) == 0);
  CHECK(plumb_cidr_contains(&absent, &host) == 0);
  CHECK(plumb_cidr_contains(&ten, &str) == 0);

  CHECK(plumb_cidr_is_world(&world) == 1);
  CHECK(plumb_cidr_is_world(&world6) == 1);
  CHECK(plumb_cidr_is_world(&vpc) == 0);
  PlumbSlot almost = e.Cidr("0.0.0.0/1"), zero_ip = e.Ip("0.0.0.0");
  CHECK(plumb_cidr_is_world(&almost) == 0);
  CHECK(plumb_cidr_is_world(&zero_ip) == 0);
  CHECK(plumb_cidr_is_world(&absent) == 0);
}

TEST_CASE("ip is_private") {
  Env e;
  for (const char* p : {"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.1",
                        "169.254.169.254", "fd12:3456:789a::1", "fc00::1", "fe80::1", "::1"}) {
    PlumbSlot ip = e.Ip(p);
    REQUIRE_MESSAGE(ip.tag == PLUMB_IP, p);
    CHECK_MESSAGE(plumb_ip_is_private(&ip) == 1, p);
  }
  for (const char* p : {"8.8.8.8", "172.32.0.1", "172.15.255.255", "192.169.0.1", "100.64.0.1",
                        "2600:1f18::1", "::", "::ffff:10.0.0.1", "fec0::1"}) {
    PlumbSlot ip = e.Ip(p);
    REQUIRE_MESSAGE(ip.tag == PLUMB_IP, p);
    CHECK_MESSAGE(plumb_ip_is_private(&ip) == 0, p);
  }
  PlumbSlot block = e.Cidr("10.20.0.0/16"), wide = e.Cidr("10.0.0.0/7"), world = e.Cidr("0.0.0.0/0");
  CHECK(plumb_ip_is_private(&block) == 1);
  CHECK(plumb_ip_is_private(&wide) == 0);
  CHECK(plumb_ip_is_private(&world) == 0);
  PlumbSlot absent = MakeAbsent();
  CHECK(plumb_ip_is_private(&absent) == 0);
}

TEST_CASE("format.h parsers") {
  auto n = ParseCidr("2001:DB8::/32");
  REQUIRE(n.has_value());
  CHECK(FormatNet(*n, true) == "2001:db8::/32");
  CHECK(FormatNet(*n, false) == "2001:db8::");
  CHECK_FALSE(ParseIp("10.0.0.0/8").has_value());
  PlumbNet junk{};
  junk.family = 9;
  CHECK(FormatNet(junk, true) == "invalid-address");
}

// What a CIDR block is, at its edges: whitespace only around the whole text,
// a prefix of one to three plain digits within the family's length.
TEST_CASE("CIDR parsing edges") {
  struct Case {
    const char* text;
    bool ok;
    int family, prefix;
  };
  for (const Case& c : std::initializer_list<Case>{{"10.0.0.0/8", true, 4, 8},
                                                   {" 10.0.0.0/8\t", true, 4, 8},
                                                   {"10.0.0.0", true, 4, 32},
                                                   {"0.0.0.0/0", true, 4, 0},
                                                   {"10.0.0.0/32", true, 4, 32},
                                                   {"10.0.0.0/008", true, 4, 8},
                                                   {"10.0.0.0/33", false, 0, 0},
                                                   {"10.0.0.0/", false, 0, 0},
                                                   {"10.0.0.0/+8", false, 0, 0},
                                                   {"10.0.0.0/-0", false, 0, 0},
                                                   {"10.0.0.0/ 8", false, 0, 0},
                                                   {"10.0.0.0 /8", false, 0, 0},
                                                   {"10.0.0.0/8 /8", false, 0, 0},
                                                   {"10.0.0.0/0008", false, 0, 0},
                                                   {"10.0.0.0/8/8", false, 0, 0},
                                                   {"/8", false, 0, 0},
                                                   {"::/0", true, 6, 0},
                                                   {"::", true, 6, 128},
                                                   {"2001:db8::/128", true, 6, 128},
                                                   {"2001:db8::/129", false, 0, 0},
                                                   {"2001:db8:: /32", false, 0, 0},
                                                   {":/0", false, 0, 0},
                                                   {"::ffff:10.0.0.1/96", true, 6, 96},
                                                   {"10.0.0.0:1/8", false, 0, 0}}) {
    auto n = ParseCidr(c.text);
    INFO("text: " << c.text);
    REQUIRE(n.has_value() == c.ok);
    if (c.ok) {
      CHECK(n->family == c.family);
      CHECK(n->prefix == c.prefix);
    }
  }
}

// ParseCidr's one-pass IPv4 path must give exactly what the definition
// gives: trim the whole text, split at the first '/', the address as inet_pton
// reads it, a prefix of one to three digits within the family's length.
TEST_CASE("CIDR parsing agrees with inet_pton and the prefix rule") {
  auto reference = [](std::string text) -> std::optional<PlumbNet> {
    auto ws = [](char c) {
      return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
    };
    while (!text.empty() && ws(text.front())) text.erase(0, 1);
    while (!text.empty() && ws(text.back())) text.pop_back();
    if (text.find('\0') != std::string::npos) return std::nullopt;
    size_t slash = text.find('/');
    std::string addr = text.substr(0, slash);
    PlumbNet n{};
    if (inet_pton(AF_INET, addr.c_str(), n.addr) == 1) {
      n.family = 4;
      n.prefix = 32;
    } else if (inet_pton(AF_INET6, addr.c_str(), n.addr) == 1) {
      n.family = 6;
      n.prefix = 128;
    } else {
      return std::nullopt;
    }
    if (slash == std::string::npos) return n;
    std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    int prefix = std::stoi(len);
    if (prefix > (n.family == 4 ? 32 : 128)) return std::nullopt;
    n.prefix = static_cast<uint8_t>(prefix);
    return n;
  };
  auto agree = [&](const std::string& text) {
    auto want = reference(text);
    auto got = ParseCidr(text);
    INFO("text: " << text);
    REQUIRE(got.has_value() == want.has_value());
    if (want) {
      CHECK(got->family == want->family);
      CHECK(got->prefix == want->prefix);
      CHECK(std::memcmp(got->addr, want->addr, 16) == 0);
    }
  };
  uint64_t state = 7;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<unsigned>(state >> 33);
  };
  const char alphabet[] = "0129./ :";
  for (int round = 0; round < 200000; ++round) {
    std::string t;
    size_t len = next() % 16;
    for (size_t i = 0; i < len; ++i) t.push_back(alphabet[next() % (sizeof alphabet - 1)]);
    agree(t);
  }
  for (int round = 0; round < 20000; ++round) {  // well-formed-looking quads and prefixes
    std::string t = std::to_string(next() % 300) + "." + std::to_string(next() % 300) + "." +
                    std::to_string(next() % 300) + "." + std::to_string(next() % 300);
    if (next() % 4) t += "/" + std::to_string(next() % 40);
    if (next() % 8 == 0) t = " " + t + "\t";
    agree(t);
  }
}

// ParseIp reads IPv4 itself (no copy, no inet_pton call); it must accept and
// refuse exactly what inet_pton(AF_INET) does, with the same bytes.
TEST_CASE("IPv4 parsing agrees with inet_pton") {
  auto agree = [](const std::string& text) {
    uint8_t want[4] = {};
    bool ok = inet_pton(AF_INET, text.c_str(), want) == 1 && text.find('\0') == std::string::npos;
    auto got = ParseIp(text);
    INFO("text: " << text);
    REQUIRE(got.has_value() == ok);
    if (ok) {
      CHECK(got->family == 4);
      CHECK(got->prefix == 32);
      CHECK(std::memcmp(got->addr, want, 4) == 0);
    }
  };
  for (const char* t : {"0.0.0.0",
                        "255.255.255.255",
                        "10.0.0.1",
                        "1.2.3.4",
                        "192.168.001.1",
                        "01.2.3.4",
                        "1.2.3.04",
                        "1.2.3.0",
                        "0.1.2.3",
                        "256.1.1.1",
                        "1.2.3.256",
                        "1.2.3",
                        "1.2.3.4.",
                        ".1.2.3.4",
                        "1..2.3",
                        "1.2.3.4.5",
                        "1.2.3.-4",
                        "1.2.3.+4",
                        "1.2.3.4a",
                        "a1.2.3.4",
                        "",
                        ".",
                        "...",
                        "1.2.3.4 5",
                        "999.0.0.1",
                        "1.2.3.00",
                        "00.0.0.0",
                        "4294967296.0.0.0",
                        "1.2.3.4/32",
                        "0x1.2.3.4",
                        "1.2.3.２"})
    agree(t);
  agree(std::string("1.2.3.4\0", 8));
  agree(std::string("1.2\0.3.4", 8));
  // Every string of up to 9 characters over "0129.", and random dotted texts.
  const char alphabet[] = "0129.";
  std::string s;
  std::function<void(size_t)> all = [&](size_t left) {
    agree(s);
    if (!left) return;
    for (char c : std::string_view(alphabet)) {
      s.push_back(c);
      all(left - 1);
      s.pop_back();
    }
  };
  all(7);
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    std::string t;
    for (int k = 0; k < 4; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      if (k) t += '.';
      t += std::to_string(x % 300);
    }
    agree(t);
  }
}
