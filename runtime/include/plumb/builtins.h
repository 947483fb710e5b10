/* Runtime helpers called by compiled rules.
 *
 * Contract
 * - This header is the single definition of the helpers' signatures. The code
 *   generator declares each helper listed in builtins.def from the C++ type of
 *   the function itself (see compiler/codegen), so the two cannot disagree.
 * - Arguments are passed as pointers to slots (never slots by value: that keeps
 *   the C ABI trivial for generated code). `out` is always written, with
 *   PLUMB_ABSENT where the result is absent.
 * - Predicates return int32_t 0/1. An absent argument makes a predicate false
 *   and a producer absent, unless stated otherwise.
 * - Helpers allocate only from ctx->arena; they are thread-safe given distinct
 *   contexts (regex caches are process-wide and lock-free to read).
 * - Nothing here throws across the C boundary.
 */
#ifndef PLUMB_BUILTINS_H
#define PLUMB_BUILTINS_H

#include <stdint.h>

#include "plumb/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlumbCtx PlumbCtx;

/* ---- memory and failure ---- */
/* 16-byte aligned, from ctx->arena. Returns NULL when there is no arena, and
 * (after plumb_fail) when out of memory or over the 16 GiB request limit. */
void* plumb_alloc(PlumbCtx* ctx, uint64_t bytes);
/* Records a runtime error (message is NUL-terminated, copied). */
void plumb_fail(PlumbCtx* ctx, const char* message);
int64_t plumb_now(PlumbCtx* ctx);
/* `plumb run --explain`: 1 when the evaluator wants explanations of failed
 * checks; plumb_explain records one (text copied; the last one wins). */
int32_t plumb_explaining(PlumbCtx* ctx);
void plumb_explain(PlumbCtx* ctx, const PlumbSlot* text);

/* ---- generic values ---- */
/* Deep equality; absent equals nothing (absent == absent is 0). Numbers compare
 * across INT/FLOAT; IP and CIDR compare by address and prefix. */
/* Decisions: nested absent values (record fields) are equal to each other;
 * NULL == NULL; MAP and OBJECT with the same pairs are equal (order-
 * insensitive); an IP equals a CIDR of the same address with prefix 32/128;
 * host bits of a CIDR are ignored; NaN equals nothing; a string never equals
 * a number. */
int32_t plumb_value_eq(const PlumbSlot* a, const PlumbSlot* b);
/* Ordering for INT, FLOAT, STRING (bytewise), TIMESTAMP, DURATION: <0, 0, >0. */
/* Also BOOL (false < true). Mismatched tags, absent and NaN compare as 0. */
int32_t plumb_value_cmp(const PlumbSlot* a, const PlumbSlot* b);
/* Display text: strings raw, numbers shortest round-trip, timestamps ISO 8601,
 * durations like 90d / 1h30m, lists "[a, b]", records/maps/json as JSON, absent
 * as "absent". */
/* Decisions: floats as fmt's shortest round-trip ("0.1", "3", "1e+21",
 * "inf"); timestamps "2019-02-12T07:21:45Z" with ".mmm"/".uuuuuu" only when
 * non-zero; CIDRs keep the address as written ("10.1.2.3/8"); list elements
 * are shown as by plumb_to_display (strings quoted); records carry no field
 * names at run time and print as the JSON array of their present values;
 * inside JSON, timestamps/durations/IPs are strings, NaN/inf and absent null.
 * A STRING is returned as is (no copy). */
void plumb_to_string(PlumbCtx* ctx, const PlumbSlot* v, PlumbSlot* out);
/* Like plumb_to_string but strings are quoted, for generated annotations. */
void plumb_to_display(PlumbCtx* ctx, const PlumbSlot* v, PlumbSlot* out);

/* ---- strings ---- */
/* Any absent or non-string part makes the concatenation absent. */
void plumb_str_concat(PlumbCtx* ctx, const PlumbSlot* parts, uint32_t n, PlumbSlot* out);
int32_t plumb_str_starts_with(const PlumbSlot* s, const PlumbSlot* prefix);
int32_t plumb_str_ends_with(const PlumbSlot* s, const PlumbSlot* suffix);
int32_t plumb_str_contains(const PlumbSlot* s, const PlumbSlot* needle);
/* lower/upper map ASCII letters only (no ICU); other bytes are unchanged. */
void plumb_str_lower(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out);
void plumb_str_upper(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out);
/* As Go/Python: "a,,b" -> ["a", "", "b"], "" -> [""]; an empty separator
 * splits into code points (an invalid byte is its own element). Parts borrow
 * the input. */
void plumb_str_split(PlumbCtx* ctx, const PlumbSlot* s, const PlumbSlot* sep, PlumbSlot* out);
/* Trims ASCII whitespace (space, \t, \n, \v, \f, \r); borrows the input. */
void plumb_str_trim(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out);
/* Length in Unicode code points (invalid UTF-8 bytes count one each). */
int64_t plumb_str_length(const PlumbSlot* s);
/* RE2 partial match. *cache holds the compiled pattern for a constant pattern
 * (compiled once, thread-safe); pass a null cache for a dynamic pattern. An
 * invalid pattern calls plumb_fail and returns 0. */
/* A per-site compiled pattern lives for the process (unloading generated code
 * leaks it unless the owner calls plumb::rt::internal::ReleaseRegexCache).
 * Dynamic patterns use a per-thread LRU of 256 compiled patterns. */
int32_t plumb_regex_match(PlumbCtx* ctx, const PlumbSlot* s, const PlumbSlot* pattern, void** cache);
/* Compile-time check: 1 if valid; otherwise 0 and an error message in err. */
int32_t plumb_regex_check(const char* pattern, uint64_t len, char* err, uint64_t err_cap);

/* ---- conversions (absent on failure) ---- */
/* Decisions. int: optional sign, ASCII whitespace around, decimal digits only
 * ("22.0", "0x10", "1e3" are absent), overflow absent; INT is kept and an
 * integral FLOAT converts. float: decimal or exponent form, never inf/nan,
 * out of range absent; INT converts. bool: "true"/"false" in any case,
 * whitespace around allowed; BOOL is kept. timestamp: YYYY-MM-DD, optionally
 * [T|t| ]HH:MM[:SS[.fraction]] and Z, +HH:MM, +HHMM or +HH (no zone = UTC);
 * fractions beyond microseconds are truncated; :60 rolls to the next minute;
 * also INT/FLOAT epoch seconds (below 1e11) or milliseconds, as the CI decoder.
 * duration: [-]<number><unit>... with units d h m s ms us (µs), decimal
 * fractions allowed ("1.5h"), "0" alone; overflow absent. ip: inet_pton,
 * no zone ids. cidr: "addr/N" (N decimal, at most 3 digits) or a bare address
 * (as /32 or /128), an IP converts; the address is kept as written.
 * url_decode: %XX (any case) and '+' -> space; malformed '%' kept; returns the
 * input itself when there is nothing to decode. */
void plumb_parse_int(const PlumbSlot* s, PlumbSlot* out);
void plumb_parse_float(const PlumbSlot* s, PlumbSlot* out);
void plumb_parse_bool(const PlumbSlot* s, PlumbSlot* out);
void plumb_parse_timestamp(const PlumbSlot* s, PlumbSlot* out);
void plumb_parse_duration(const PlumbSlot* s, PlumbSlot* out);
void plumb_parse_ip(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out);
void plumb_parse_cidr(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out);
void plumb_url_decode(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out);
/* Parses JSON text into a dynamic json value (OBJECT/LIST/...); absent if
 * the text is not JSON. */
void plumb_parse_json(PlumbCtx* ctx, const PlumbSlot* s, PlumbSlot* out);
/* Decodes a value (JSON text in a STRING, URL-encoded or not, or an already
 * dynamic json value) into the layout of ctx->types[type]. Used by
 * iam.policy() and by typed json(s) conversions. */
void plumb_decode_as(PlumbCtx* ctx, const PlumbSlot* v, int32_t type, PlumbSlot* out);

/* ---- network ---- */
/* cidr contains ip (or the whole of another cidr), same family only. */
/* Families never mix: IPv4-mapped IPv6 (::ffff:a.b.c.d) is not inside an
 * IPv4 block. Accepts an IP as the outer block (a /32 or /128). */
int32_t plumb_cidr_contains(const PlumbSlot* cidr, const PlumbSlot* ip_or_cidr);
/* 0.0.0.0/0 or ::/0 */
int32_t plumb_cidr_is_world(const PlumbSlot* cidr);
/* RFC 1918, RFC 4193 (fc00::/7), loopback and link-local. */
/* Also takes a CIDR: 1 when the whole block is inside one private range.
 * 100.64.0.0/10 (CGNAT) and IPv4-mapped addresses are not private. */
int32_t plumb_ip_is_private(const PlumbSlot* ip);

/* ---- lists and maps ---- */
/* An absent (or wrong-tag) list or map reads as empty in all of these. */
int32_t plumb_list_contains(const PlumbSlot* list, const PlumbSlot* v);
/* Elements as plumb_to_string (strings raw). An absent separator is absent. */
void plumb_list_join(PlumbCtx* ctx, const PlumbSlot* list, const PlumbSlot* sep, PlumbSlot* out);
/* Concatenation of two lists. */
void plumb_list_concat(PlumbCtx* ctx, const PlumbSlot* a, const PlumbSlot* b, PlumbSlot* out);
/* MAP or OBJECT lookup by string key. */
/* Decisions: the last of duplicate keys wins; a JSON null value reads as
 * absent, so map_has is 0 and map_keys/map_values skip it. */
void plumb_map_get(const PlumbSlot* map, const PlumbSlot* key, PlumbSlot* out);
int32_t plumb_map_has(const PlumbSlot* map, const PlumbSlot* key);
void plumb_map_keys(PlumbCtx* ctx, const PlumbSlot* map, PlumbSlot* out);
void plumb_map_values(PlumbCtx* ctx, const PlumbSlot* map, PlumbSlot* out);

/* ---- dynamic json ---- */
/* j.key / j["key"] on an OBJECT (absent otherwise). */
/* A JSON null value is returned as NULL (so isNull() can tell it from a
 * missing key); MAP is accepted like OBJECT. */
void plumb_json_field(const PlumbSlot* j, const PlumbSlot* key, PlumbSlot* out);
/* Negative indexes are absent (no counting from the end). */
/* j[i] on a LIST (absent when out of range or not a list). */
void plumb_json_index(const PlumbSlot* j, int64_t i, PlumbSlot* out);
/* Lone value -> one-item list; LIST -> itself; absent/null -> empty list. */
void plumb_json_as_list(PlumbCtx* ctx, const PlumbSlot* j, PlumbSlot* out);
/* asString/asInt/asFloat/asBool: want is a PlumbTag (STRING, INT, FLOAT,
 * BOOL); INT converts to FLOAT for asFloat. Absent for any other JSON type. */
/* asInt also takes a FLOAT with an integral value (3.0); a string is never
 * converted ("22".asInt() is absent). */
void plumb_json_as(const PlumbSlot* j, int32_t want, PlumbSlot* out);

#ifdef __cplusplus
}
#endif

#endif /* PLUMB_BUILTINS_H */
