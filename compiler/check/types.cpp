#include "check/types.h"

namespace plumb::check {

TypeContext::TypeContext() {
  error_ = Intern(TK::kError, false, nullptr, nullptr);
  never_ = Intern(TK::kNever, false, nullptr, nullptr);
}

TypeRef TypeContext::Intern(TK k, bool opt, TypeRef elem, const RecordInfo* rec) {
  auto key = std::make_tuple(static_cast<int>(k), opt, elem, rec);
  auto it = types_.find(key);
  if (it != types_.end()) return it->second.get();
  auto t = std::make_unique<Type>(Type{k, opt, elem, rec});
  TypeRef r = t.get();
  types_.emplace(key, std::move(t));
  return r;
}

TypeRef TypeContext::Prim(TK k, bool optional) { return Intern(k, optional, nullptr, nullptr); }
TypeRef TypeContext::List(TypeRef elem) { return Intern(TK::kList, false, Required(elem), nullptr); }
TypeRef TypeContext::Map(TypeRef value) { return Intern(TK::kMap, false, Required(value), nullptr); }
TypeRef TypeContext::Record(const RecordInfo* r, bool optional) {
  return Intern(TK::kRecord, optional, nullptr, r);
}

TypeRef TypeContext::Optional(TypeRef t) {
  if (!t || t->optional || t->kind == TK::kList || t->kind == TK::kMap || t->kind == TK::kError ||
      t->kind == TK::kNever)
    return t;
  return Intern(t->kind, true, t->elem, t->rec);
}

TypeRef TypeContext::Required(TypeRef t) {
  if (!t || !t->optional) return t;
  return Intern(t->kind, false, t->elem, t->rec);
}

RecordInfo* TypeContext::NewRecord() {
  records_.push_back(std::make_unique<RecordInfo>());
  return records_.back().get();
}

std::string TypeName(TypeRef t) {
  if (!t) return "?";
  std::string s;
  switch (t->kind) {
    case TK::kError:
      return "<error>";
    case TK::kNever:
      return "never";
    case TK::kBool:
      s = "bool";
      break;
    case TK::kInt:
      s = "int";
      break;
    case TK::kFloat:
      s = "float";
      break;
    case TK::kString:
      s = "string";
      break;
    case TK::kTimestamp:
      s = "timestamp";
      break;
    case TK::kDuration:
      s = "duration";
      break;
    case TK::kIp:
      s = "ip";
      break;
    case TK::kCidr:
      s = "cidr";
      break;
    case TK::kJson:
      s = "json";
      break;
    case TK::kList:
      return "list<" + TypeName(t->elem) + ">";
    case TK::kMap:
      return "map<string, " + TypeName(t->elem) + ">";
    case TK::kRecord:
      s = t->rec->name;
      break;
  }
  if (t->optional) s += "?";
  return s;
}

bool IsNumeric(TypeRef t) { return t && (t->kind == TK::kInt || t->kind == TK::kFloat); }

bool SameShape(TypeRef a, TypeRef b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind) return false;
  switch (a->kind) {
    case TK::kList:
    case TK::kMap:
      return SameShape(a->elem, b->elem);
    case TK::kRecord:
      return a->rec == b->rec;
    default:
      return true;
  }
}

}  // namespace plumb::check
