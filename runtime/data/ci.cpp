// One configuration item: JSON text -> header + root record (see decode.h).
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "plumb/builtins.h"
#include "plumb/context.h"
#include "plumb/decode.h"

namespace plumb::rt {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string_view CopyIfString(element v, Arena& arena) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return {};
  return arena.Copy(s);
}

int64_t CaptureTime(element v) {
  switch (v.type()) {
    case element_type::STRING: {
      std::string_view s = v.get_string().value_unsafe();
      PlumbSlot in{}, out{};
      in.tag = PLUMB_STRING;
      in.len = static_cast<uint32_t>(s.size());
      in.bits = reinterpret_cast<uint64_t>(s.data());
      plumb_parse_timestamp(&in, &out);
      return out.tag == PLUMB_TIMESTAMP ? static_cast<int64_t>(out.bits) : INT64_MIN;
    }
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      double x = v.type() == element_type::DOUBLE  ? v.get_double().value_unsafe()
                 : v.type() == element_type::INT64 ? static_cast<double>(v.get_int64().value_unsafe())
                                                   : static_cast<double>(v.get_uint64().value_unsafe());
      if (!std::isfinite(x)) return INT64_MIN;
      double us = std::fabs(x) < 1e11 ? x * 1e6 : x * 1e3;  // CLI: epoch seconds
      if (us < -9.2e18 || us > 9.2e18) return INT64_MIN;
      return static_cast<int64_t>(std::llround(us));
    }
    default:
      return INT64_MIN;
  }
}

// Replaces number tokens (outside strings) that simdjson cannot represent
// (integers of more than 19 digits that are not valid doubles either, and
// exponents beyond double range) with `null`.
std::string ReplaceHugeNumbers(std::string_view in, size_t* replaced) {
  std::string out;
  out.reserve(in.size());
  bool in_str = false;
  for (size_t i = 0; i < in.size();) {
    char c = in[i];
    if (in_str) {
      out.push_back(c);
      if (c == '\\' && i + 1 < in.size())
        out.push_back(in[++i]);
      else if (c == '"')
        in_str = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_str = true;
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i + 1;
      while (j < in.size() && (std::isdigit(static_cast<unsigned char>(in[j])) || in[j] == '.' ||
                               in[j] == 'e' || in[j] == 'E' || in[j] == '+' || in[j] == '-'))
        ++j;
      std::string tok(in.substr(i, j - i));
      size_t digits = 0;
      for (char d : tok)
        if (d == '.' || d == 'e' || d == 'E')
          break;
        else if (std::isdigit(static_cast<unsigned char>(d)))
          ++digits;
      double v = std::strtod(tok.c_str(), nullptr);
      bool int_too_big = digits > 19 && tok.find_first_of(".eE") == std::string::npos;
      if (int_too_big || !std::isfinite(v)) {
        out += "null";
        ++*replaced;
      } else {
        out += tok;
      }
      i = j;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace

ItemResult DecodeCi(std::string_view json, const TypeTable& t, const CiTypeMap& roots, Arena& arena,
                    DecodeContext& dc) {
  ItemResult r;
  JsonScratch* scratch = dc.scratch ? dc.scratch : &JsonScratch::ForThisThread();
  dc.scratch = scratch;
  element root;
  auto err = scratch->doc.parse(json.data(), json.size(), false).get(root);
  if (err == simdjson::NUMBER_ERROR || err == simdjson::NUMBER_OUT_OF_RANGE) {
    // A number beyond int64 and double range (simdjson refuses the whole
    // document): it reads as absent, like any value that does not convert,
    // and the rest of the item is still judged.
    size_t replaced = 0;
    scratch->buffers[0] = ReplaceHugeNumbers(json, &replaced);
    if (replaced) {
      for (size_t i = 0; i < replaced; ++i)
        if (dc.warnings) dc.warnings->Add("a number beyond the range of int64 and float64 reads as absent");
      const std::string& fixed = scratch->buffers[0];
      err = scratch->doc.parse(fixed.data(), fixed.size(), true).get(root);
    }
  }
  if (err != simdjson::SUCCESS) {
    r.message = std::string("invalid JSON: ") + simdjson::error_message(err);
    return r;
  }
  if (root.type() != element_type::OBJECT) {
    r.message = "expected a configuration item (a JSON object), got ";
    r.message += root.type() == element_type::ARRAY ? "a list" : "a scalar";
    return r;
  }
  // One pass over the top-level keys for the header, whatever the dialect.
  CiHeader& h = r.header;
  bool have_type = false;
  simdjson::dom::object root_obj =
      root.get_object().value_unsafe();  // a local: ranging over a temporary result dangles
  for (simdjson::dom::key_value_pair kv : root_obj) {
    std::string_view k = kv.key;
    if (k.empty()) continue;
    switch (k[0]) {
      case 'r':
        if (k == "resourceType") {
          h.resource_type = CopyIfString(kv.value, arena);
          have_type = kv.value.type() == element_type::STRING;
        } else if (k == "resourceId") {
          h.resource_id = CopyIfString(kv.value, arena);
        } else if (k == "resourceName") {
          h.resource_name = CopyIfString(kv.value, arena);
        }
        break;
      case 'a':
        if (k == "accountId" || k == "awsAccountId") {
          h.account_id = CopyIfString(kv.value, arena);
        } else if (k == "awsRegion") {
          h.region = CopyIfString(kv.value, arena);
        } else if (k == "arn") {
          h.arn = CopyIfString(kv.value, arena);
        }
        break;
      case 'A':
        if (k == "ARN") h.arn = CopyIfString(kv.value, arena);
        break;
      case 'c':
        if (k == "configurationItemCaptureTime") {
          h.capture_time_us = CaptureTime(kv.value);
        } else if (k == "configurationItemStatus") {
          h.item_status = CopyIfString(kv.value, arena);
        }
        break;
      default:
        break;
    }
  }
  if (!have_type) {
    r.message = "not a configuration item: no string `resourceType`";
    return r;
  }
  TypeId type = roots.Find(h.resource_type);
  if (type == kNoType) {
    r.status = ItemStatus::kSkipped;  // no rule reads this type: do not decode
    return r;
  }
  dc.path_len = 0;
  dc.depth = 0;
  dc.string_level = 0;
  Decode(root, t, type, arena, &r.root, dc);
  const TypeDesc& td = t[type];
  if (r.root.tag == PLUMB_RECORD) {
    auto* fields = reinterpret_cast<const PlumbSlot*>(r.root.bits);
    for (size_t i = 0; i < td.fields.size(); ++i) {
      if (td.fields[i].required && fields[i].tag == PLUMB_ABSENT) {
        r.message = "required field `" + td.fields[i].name + "` is missing or does not convert";
        r.root = PlumbSlot{};
        return r;
      }
    }
  }
  r.status = ItemStatus::kOk;
  return r;
}

}  // namespace plumb::rt
