// Schema generation from property lists and sample CIs (see schema_gen.h).
#include "schema/schema_gen.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

namespace plumb::schema {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
enum : unsigned { kKindString = 1, kKindInt = 2, kKindFloat = 4, kKindBool = 8, kKindNested = 16 };
// What a sample string looks like; a path gets timestamp/ip/cidr only when
// every non-empty string seen there does (inference from samples alone).
enum : unsigned { kShapeTimestamp = 1, kShapeIp = 2, kShapeCidr = 4 };

bool IsIpText(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  if (s.find(':') != std::string_view::npos) {  // IPv6: hex digits, colons (and a dotted tail)
    int colons = 0;
    for (char c : s) {
      if (c == ':')
        ++colons;
      else if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.')
        return false;
    }
    return colons >= 2;
  }
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('.', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view p = s.substr(i, j - i);
    if (p.empty() || p.size() > 3) return false;
    int v = 0;
    for (char c : p) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

unsigned StringShape(const std::string& s) {
  unsigned shape = 0;
  // 2024-03-02T10:15:00Z, 2024-03-02T10:15:00.000+00:00, 2024-03-02 10:15:00
  auto digits = [&](size_t a, size_t n) {
    for (size_t k = a; k < a + n; ++k)
      if (k >= s.size() || !std::isdigit(static_cast<unsigned char>(s[k]))) return false;
    return true;
  };
  if (s.size() >= 19 && digits(0, 4) && s[4] == '-' && digits(5, 2) && s[7] == '-' && digits(8, 2) &&
      (s[10] == 'T' || s[10] == ' ') && digits(11, 2) && s[13] == ':' && digits(14, 2))
    shape |= kShapeTimestamp;
  if (IsIpText(s)) shape |= kShapeIp;
  size_t slash = s.find('/');
  if (slash != std::string::npos && slash + 1 < s.size() && slash + 4 >= s.size() &&
      digits(slash + 1, s.size() - slash - 1) && IsIpText(std::string_view(s).substr(0, slash)))
    shape |= kShapeCidr;
  return shape;
}

bool EndsWith(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// AWS's scalar names -> Plumb's.
const char* MapScalar(const std::string& t) {
  if (t == "string") return "string";
  if (t == "integer") return "int";
  if (t == "float") return "float";
  if (t == "boolean") return "bool";
  if (t == "date") return "timestamp";
  if (t == "ip") return "ip";
  if (t == "cidr_block") return "cidr";
  return nullptr;
}

// JSON held in a string (supplementaryConfiguration, policies): parsed when
// the path is known to be a record, so its fields count as evidence too.
bool DecodeEmbedded(const std::string& s, json& out) {
  size_t i = s.find_first_not_of(" \t\r\n");
  if (i == std::string::npos || (s[i] != '{' && s[i] != '[')) return false;
  out = json::parse(s, nullptr, false);
  return !out.is_discarded() && (out.is_object() || out.is_array());
}

void Walk(Node& n, const json& v, Stats* st);

void WalkObject(Node& n, const json& v, Stats* st) {
  n.seen_object = true;
  for (auto& [k, val] : v.items()) {
    auto it = n.children.find(k);
    if (it == n.children.end()) {
      it = n.children.emplace(k, Node{}).first;
      if (st) ++st->sample_only_paths;
    }
    Walk(it->second, val, st);
  }
}

void WalkElement(Node& n, const json& e, Stats* st) {
  switch (e.type()) {
    case json::value_t::null:
      break;
    case json::value_t::object:
      WalkObject(n, e, st);
      break;
    case json::value_t::array:
      n.kinds |= kKindNested;
      break;
    case json::value_t::string: {
      json d;
      const std::string& text = e.get_ref<const std::string&>();
      if (!n.children.empty() && DecodeEmbedded(text, d) && d.is_object()) {
        WalkObject(n, d, st);
      } else {
        n.kinds |= kKindString;
        if (!text.empty()) n.str_shapes &= StringShape(text);
      }
      break;
    }
    case json::value_t::boolean:
      n.kinds |= kKindBool;
      break;
    case json::value_t::number_float:
      n.kinds |= kKindFloat;
      break;
    default:
      n.kinds |= kKindInt;
      break;
  }
}

void Walk(Node& n, const json& v, Stats* st) {
  if (v.is_null()) return;
  if (v.is_array()) {
    n.seen_array = true;
    for (auto& e : v) {
      if (!e.is_object() && !e.is_null()) n.seen_scalar_array = true;
      WalkElement(n, e, st);
    }
    return;
  }
  if (v.is_string() && !n.children.empty()) {
    json d;
    if (DecodeEmbedded(v.get<std::string>(), d)) return Walk(n, d, st);
  }
  n.seen_plain = true;
  WalkElement(n, v, st);
}

std::string Indent(int n) { return std::string(static_cast<size_t>(n), ' '); }
}  // namespace

std::string FieldName(const std::string& name) {
  static const std::set<std::string> kReserved = {"and",  "or",   "not",  "in",    "if",
                                                  "then", "else", "true", "false", "null"};
  bool ident = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') ident = false;
  if (ident && !kReserved.count(name)) return name;
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\' || c == '{') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool LooksLikeList(const std::string& name, bool is_record, bool is_string) {
  // Numbers and bools named in the plural are counts and flags (MaxItems,
  // NumberOfNodes); only the explicit List/Set suffixes make them lists.
  bool textual = is_record || is_string;
  std::string l = Lower(name);
  if (l == "tags" || EndsWith(name, "List") || EndsWith(name, "Set") || l == "list" || l == "set")
    return true;
  // Plural nouns AWS uses for repeated members (SecurityGroupIds, IpRanges,
  // AvailabilityZones, ...). Scalars need one of these; records any plural.
  static const char* kPlural[] = {
      "ids",       "arns",       "names",     "ranges",   "addresses", "zones",    "groups",   "tags",
      "types",     "values",     "protocols", "actions",  "subnets",   "regions",  "accounts", "principals",
      "resources", "domains",    "aliases",   "hosts",    "keys",      "versions", "urls",     "uris",
      "arn_list",  "emails",     "patterns",  "prefixes", "ciphers",   "layers",   "labels",   "certificates",
      "cidrs",     "cidrblocks", "endpoints", "users",    "roles",     "methods",  "headers",  "events",
      "statuses",  "codes",      "ports",     "servers",  "origins",   "items"};
  for (const char* p : kPlural)
    if (textual && EndsWith(l, p)) return true;
  // Other plurals: records, and strings (a list of strings is far more likely
  // than a string with a plural name; numbers and bools named so are counts
  // and flags). A wrong list still decodes: the runtime reads a lone value as
  // a one-item list, while a missed list does not type.
  if (!textual) return false;
  // Words that end in "s" but are not plurals, and (for records) plural-looking
  // nouns AWS uses for one settings object.
  static const char* kNotPlural[] = {"alias", "bias", "canvas", "dns",    "kms",     "aws",
                                     "ss",    "us",   "is",     "access", "progress"};
  static const char* kOneRecord[] = {"settings", "options",    "details", "attributes", "statistics",
                                     "metrics",  "properties", "specs",   "credentials"};
  if (!EndsWith(l, "s")) return false;
  for (const char* s : kNotPlural)
    if (EndsWith(l, s)) return false;
  if (is_record)
    for (const char* s : kOneRecord)
      if (EndsWith(l, s)) return false;
  // Enum-valued strings AWS names in the plural (HttpTokens "required",
  // AutoAcceptSharedAttachments "enable", CpuCredits "unlimited", ...).
  static const char* kEnumString[] = {"tokens",    "credits",   "errors",  "files",       "devices",
                                      "semantics", "analytics", "seconds", "attachments", "associations",
                                      "instances", "contains",  "chars"};
  if (!is_record)
    for (const char* s : kEnumString)
      if (EndsWith(l, s)) return false;
  return true;
}

bool SchemaBuilder::AddProperties(const std::string& type, const json& props, std::string* err) {
  if (!props.is_object()) {
    *err = fmt::format("{}: a property list is a JSON object of path -> type", type);
    return false;
  }
  Node& root = types_[type];
  for (auto& [path, t] : props.items()) {
    if (!t.is_string()) {
      *err = fmt::format("{}: `{}`: the type is not a string", type, path);
      return false;
    }
    if (path.rfind("configuration.", 0) != 0 && path.rfind("supplementaryConfiguration.", 0) != 0) continue;
    const char* scalar = MapScalar(t.get<std::string>());
    if (!scalar) {
      *err = fmt::format("{}: `{}`: unknown type `{}`", type, path, t.get<std::string>());
      return false;
    }
    Node* n = &root;
    size_t start = 0;
    while (true) {
      size_t dot = path.find('.', start);
      std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      n = &n->children[seg];
      n->from_props = true;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    n->scalar = scalar;
  }
  return true;
}

bool SchemaBuilder::AddSample(const json& ci, bool props_only, std::string* err) {
  if (!ci.is_object() || !ci.contains("resourceType") || !ci["resourceType"].is_string()) {
    *err = "not a configuration item (no string `resourceType`)";
    return false;
  }
  std::string type = ci["resourceType"].get<std::string>();
  auto it = types_.find(type);
  if (it == types_.end()) {
    if (props_only) return true;
    it = types_.emplace(type, Node{}).first;
  }
  for (const char* part : {"configuration", "supplementaryConfiguration"}) {
    auto p = ci.find(part);
    if (p == ci.end() || p->is_null()) continue;
    Node& n = it->second.children[part];
    json decoded;
    if (p->is_string() && DecodeEmbedded(p->get<std::string>(), decoded))
      Walk(n, decoded, nullptr);
    else
      Walk(n, *p, nullptr);
  }
  return true;
}

// The type text of one field; *mark is set to a review comment when the
// list-ness came from a heuristic (or samples overrode the hand-written schemas).
std::string SchemaBuilder::TypeOf(const std::string& name, const Node& n, int indent, std::string* mark,
                                  Stats* st) const {
  std::string elem;
  bool scalar_kinds = (n.kinds & ~kKindNested) != 0;
  const Node* only =
      n.children.size() == 1 && n.children.begin()->first == "value" ? &n.children.begin()->second : nullptr;
  if (only && !string_value_.empty() && only->children.empty() && !only->seen_array &&
      (only->scalar == "string" || (only->scalar.empty() && only->kinds == kKindString))) {
    elem = string_value_;  // {"value": "..."} in AWS's list, "..." in CIs
  } else if (!n.children.empty()) {
    if (scalar_kinds || (n.kinds & kKindNested)) {
      elem = "json";  // records and scalars at one path: no one shape fits
    } else {
      std::string body;
      EmitRecord(n, indent + 2, body, st);
      elem = "{\n" + body + Indent(indent) + "}";
    }
  } else if (!n.scalar.empty()) {
    elem = (n.seen_object || (n.kinds & kKindNested)) ? "json" : n.scalar;
  } else {
    unsigned k = n.kinds;
    if (n.seen_object || (k & kKindNested))
      elem = "json";
    else if (k == kKindString && n.str_shapes != ~0u && n.str_shapes)
      elem = (n.str_shapes & kShapeCidr) ? "cidr" : (n.str_shapes & kShapeIp) ? "ip" : "timestamp";
    else if (k == kKindString)
      elem = "string";
    else if (k == kKindInt)
      elem = "int";
    else if (k == kKindFloat || k == (kKindInt | kKindFloat))
      elem = "float";
    else if (k == kKindBool)
      elem = "bool";
    else
      elem = "json";  // only nulls / empty lists seen, or mixed kinds
  }
  bool list = false;
  auto h = hand_.find(name);
  bool sampled = n.seen_array || n.seen_plain;
  if (n.seen_array && h != hand_.end() && !h->second) {
    list = true;
    *mark = "// samples: list (hand-written schemas: not a list elsewhere)";
    if (st) ++st->lists_samples;
  } else if (h != hand_.end()) {
    list = h->second;
    if (list && st) ++st->lists_handwritten;
  } else if (sampled) {
    list = n.seen_array;
    if (list && st) ++st->lists_samples;
  } else if (heuristics_ && LooksLikeList(name, !n.children.empty(),
                                          n.scalar == "string" || n.scalar == "ip" || n.scalar == "cidr" ||
                                              (n.scalar.empty() && n.children.empty()))) {
    list = true;
    *mark = "// heuristic: list";
    if (st) ++st->lists_heuristic;
  }
  return list ? "list<" + elem + ">" : elem;
}

void SchemaBuilder::EmitRecord(const Node& n, int indent, std::string& out, Stats* st) const {
  for (auto& [name, child] : n.children) {
    std::string mark;
    std::string t = TypeOf(name, child, indent, &mark, st);
    if (st) ++st->paths;
    if (!mark.empty()) out += Indent(indent) + mark + "\n";
    out += Indent(indent) + FieldName(name) + ": " + t + "\n";
  }
}

std::map<std::string, std::string> SchemaBuilder::Emit(const std::set<std::string>& skip,
                                                       const std::string& origin, Stats* st) const {
  std::map<std::string, std::string> bodies;
  for (auto& [type, root] : types_) {
    if (skip.count(type)) continue;
    // AWS::EC2::Instance -> ec2; anything else -> its second segment too.
    size_t a = type.find("::");
    size_t b = a == std::string::npos ? std::string::npos : type.find("::", a + 2);
    std::string service = b == std::string::npos ? "other" : Lower(type.substr(a + 2, b - a - 2));
    for (auto& c : service)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    if (service.empty() || std::isdigit(static_cast<unsigned char>(service[0]))) service = "s_" + service;
    std::string& out = bodies[service];
    if (st) ++st->types;
    out += fmt::format("\nresource {} {{\n", type);
    Node config;
    auto c = root.children.find("configuration");
    std::string mark;
    out += "  configuration: " +
           (c == root.children.end() ? "{}" : TypeOf("configuration", c->second, 2, &mark, st)) + "\n";
    auto s = root.children.find("supplementaryConfiguration");
    if (s != root.children.end())
      out +=
          "  supplementaryConfiguration: " + TypeOf("supplementaryConfiguration", s->second, 2, &mark, st) +
          "\n";
    out += "}\n";
  }
  std::map<std::string, std::string> files;
  for (auto& [service, body] : bodies) {
    files[service + ".plumb"] = fmt::format(
        "// Generated by {}. Do not edit: regenerate it.\n{}"
        "package aws.gen.{}\n{}",
        origin,
        heuristics_ ? "// List-ness: hand-written schemas, then sample CIs, then naming heuristics\n"
                      "// (marked `// heuristic: list`: review those).\n"
                    : "// List-ness: hand-written schemas, then sample CIs.\n",
        service, body);
  }
  return files;
}

bool LoadCis(const std::string& path, std::vector<json>& out, std::string* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = fmt::format("{}: cannot read file", path);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto add = [&](const json& doc) {
    if (doc.is_array()) {
      for (auto& c : doc) out.push_back(c);
    } else if (doc.is_object() && doc.contains("configurationItems") &&
               doc["configurationItems"].is_array()) {
      for (auto& c : doc["configurationItems"]) out.push_back(c);
    } else if (doc.is_object() && doc.contains("configurationItem") && doc["configurationItem"].is_object()) {
      out.push_back(doc["configurationItem"]);
    } else {
      out.push_back(doc);
    }
  };
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_discarded()) {
    add(doc);
    return true;
  }
  // NDJSON: one document per non-empty line.
  std::istringstream lines(text);
  std::string line;
  size_t lineno = 0;
  while (std::getline(lines, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json d = json::parse(line, nullptr, false);
    if (d.is_discarded()) {
      *err = fmt::format("{}:{}: not JSON (nor NDJSON)", path, lineno);
      return false;
    }
    add(d);
  }
  return true;
}

std::vector<std::string> CollectFiles(const std::string& path, const std::string& ext, std::string* err) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return {path};
  if (!fs::is_directory(path, ec)) {
    if (err) *err = fmt::format("{}: no such file or directory", path);
    return out;
  }
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec) && EndsWith(it->path().filename().string(), ext))
      out.push_back(it->path().string());
  }
  if (ec && err) *err = fmt::format("{}: {}", path, ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace plumb::schema
