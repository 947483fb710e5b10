// Checker types: interned, compared by pointer.
//
// Contract: TypeRef values are owned by a TypeContext and live as long as it.
// Lists and maps are never optional (an absent list reads as empty); every
// other type may be. RecordInfo describes a record from a schema or an inline
// record type; the field order is the runtime slot order.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "ast/ast.h"
#include "source/source.h"

namespace plumb::check {

enum class TK {
  kError,
  kNever,
  kBool,
  kInt,
  kFloat,
  kString,
  kTimestamp,
  kDuration,
  kIp,
  kCidr,
  kJson,
  kList,
  kMap,
  kRecord
};

struct RecordInfo;

struct Type {
  TK kind;
  bool optional = false;
  const Type* elem = nullptr;       // kList, kMap (value type)
  const RecordInfo* rec = nullptr;  // kRecord
};
using TypeRef = const Type*;

struct FieldInfo {
  std::string name;
  std::vector<std::string> aliases;
  TypeRef type = nullptr;  // as declared (not optional); reads add optional
  bool required = false;
  Span span;
  std::string doc;
};

struct RecordInfo {
  std::string name;           // "AWS::EC2::SecurityGroup.IpPermission", "iam.PolicyDocument", "{...}"
  std::string resource_type;  // root records: the resource type they describe
  bool is_root = false;       // the whole configuration item of resource_type
  bool envelope = false;
  std::string from_scalar;
  std::vector<FieldInfo> fields;
  std::unordered_map<std::string, int> index;
  Span span;
  int Find(const std::string& n) const {
    auto it = index.find(n);
    return it == index.end() ? -1 : it->second;
  }
};

class TypeContext {
 public:
  TypeContext();
  TypeRef Error() const { return error_; }
  TypeRef Never() const { return never_; }
  TypeRef Prim(TK k, bool optional = false);
  TypeRef List(TypeRef elem);
  TypeRef Map(TypeRef value);
  TypeRef Record(const RecordInfo* r, bool optional = false);
  TypeRef Optional(TypeRef t);  // lists, maps, errors stay as they are
  TypeRef Required(TypeRef t);
  RecordInfo* NewRecord();

 private:
  TypeRef Intern(TK k, bool opt, TypeRef elem, const RecordInfo* rec);
  std::map<std::tuple<int, bool, TypeRef, const RecordInfo*>, std::unique_ptr<Type>> types_;
  std::vector<std::unique_ptr<RecordInfo>> records_;
  TypeRef error_, never_;
};

// "int?", "list<string>", "AWS::EC2::SecurityGroup.IpPermission?"
std::string TypeName(TypeRef t);
bool IsNumeric(TypeRef t);
// Equal ignoring optionality.
bool SameShape(TypeRef a, TypeRef b);

}  // namespace plumb::check
