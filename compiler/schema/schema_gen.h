// Schema generation: Plumb schema text from AWS's published property lists
// (aws-config-resource-schema, `TYPE.properties.json`) and/or sample CIs.
//
// Contract
// - A SchemaBuilder collects evidence per resource type (AddProperties,
//   AddSample), then Emit() decides the list-ness of every path and returns
//   one schema file per service. Nothing here throws for bad input: the Add*
//   functions return false with a message.
// - List-ness of a path, in order of evidence: the hand-written schemas
//   (SetHandWritten: field names the loaded schemas declare, unanimously, as a
//   list or as not a list), sample CIs (a JSON array seen there), then naming
//   heuristics; a heuristic decision is marked `// heuristic: list` in the
//   output. A sample array always makes a path a list (real data beats a
//   generalisation by name); such a path is marked `// samples: list`.
// - Output is deterministic: services, types and fields are sorted.
// - Only `configuration` and `supplementaryConfiguration` are emitted: the
//   envelope (accountId, arn, tags, relationships, ...) is the stdlib's.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace plumb::schema {

struct Node {
  std::string scalar;  // leaf type from the property list ("int", "cidr", ...); empty: none
  std::map<std::string, Node> children;
  bool from_props = false;
  // Sample evidence.
  bool seen_array = false;
  bool seen_scalar_array = false;  // an array with scalar elements
  bool seen_object = false;        // an object here (or as a list element)
  bool seen_plain = false;         // a value here that was not an array
  unsigned kinds = 0;              // bit per scalar JSON kind seen (see kKind* in the .cpp)
  unsigned str_shapes = ~0u;       // shapes every non-empty string here had (kShape* in the .cpp)
};

struct Stats {
  size_t types = 0, paths = 0, lists_handwritten = 0, lists_samples = 0, lists_heuristic = 0, sample_cis = 0,
         sample_only_paths = 0;
};

class SchemaBuilder {
 public:
  // One TYPE.properties.json (already parsed). Paths outside configuration /
  // supplementaryConfiguration are envelope fields and ignored.
  bool AddProperties(const std::string& type, const nlohmann::json& props, std::string* err);
  // One CI. With props_only, a CI of a type without a property list is
  // ignored (import); otherwise it creates the type (infer).
  bool AddSample(const nlohmann::json& ci, bool props_only, std::string* err);
  // name -> true (always a list) / false (never a list) in hand-written schemas.
  void SetHandWritten(std::map<std::string, bool> names) { hand_ = std::move(names); }
  // A named type with `@fromScalar("value")` and one string field `value`
  // (the stdlib's aws.StringValue): used for AWS's `X.value` enum wrappers,
  // which CIs record as a plain string. Empty: such paths stay records.
  void SetStringValueType(std::string name) { string_value_ = std::move(name); }
  // Heuristics apply only to paths without other evidence (import; infer has none).
  void SetUseHeuristics(bool on) { heuristics_ = on; }

  // service file name ("ec2.plumb") -> text. Types in `skip` are left out.
  std::map<std::string, std::string> Emit(const std::set<std::string>& skip, const std::string& origin,
                                          Stats* stats) const;
  const std::map<std::string, Node>& types() const { return types_; }

 private:
  void EmitRecord(const Node& n, int indent, std::string& out, Stats* st) const;
  std::string TypeOf(const std::string& name, const Node& n, int indent, std::string* mark, Stats* st) const;
  std::map<std::string, Node> types_;  // resource type -> root (children: configuration, ...)
  std::map<std::string, bool> hand_;
  bool heuristics_ = true;
  std::string string_value_;
};

// The CIs a file holds: one CI, a JSON list of CIs, a snapshot
// ({"configurationItems": [...]}), a change notification
// ({"configurationItem": {...}}) or NDJSON (one of these per line).
bool LoadCis(const std::string& path, std::vector<nlohmann::json>& out, std::string* err);
// Sorted files under a path (the path itself if a file) with the extension.
std::vector<std::string> CollectFiles(const std::string& path, const std::string& ext, std::string* err);
// A field name as schema text: bare when an identifier the grammar accepts, quoted otherwise.
std::string FieldName(const std::string& name);
// Naming heuristic: does this property name look like a list? is_string: the
// leaf holds text (string, ip, cidr); numbers and bools rarely are lists.
bool LooksLikeList(const std::string& name, bool is_record, bool is_string);

}  // namespace plumb::schema
