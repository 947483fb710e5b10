/* Plumb rule packs: the ABI between `plumb build` and libplumb_runtime, and
 * the runtime's C API for loading packs and evaluating configuration items.
 *
 * This header is the only definition of the pack ABI (version
 * PLUMB_PACK_ABI_VERSION). A pack is an ELF shared library produced by
 * `plumb build` that holds:
 *
 *   1. The data symbols listed in plumb/pack.def:
 *      - plumb_pack_header (PlumbPackHeader), also placed alone in the ELF
 *        section PLUMB_PACK_SECTION so that a loader can check magic and ABI
 *        version by reading the file, before dlopen() runs anything in it;
 *      - plumb_pack_manifest: NUL-terminated UTF-8 JSON, schema version
 *        PLUMB_PACK_MANIFEST_VERSION (below), of header.manifest_size bytes
 *        without the NUL.
 *   2. Functions named by the manifest:
 *      - per rule, `params_symbol` of type PlumbParamsFn: writes the rule's
 *        parameter defaults (absent for required parameters) into out[0..n);
 *      - per (rule, resource type) entry, `symbol` of type PlumbRuleFn:
 *        returns 0 COMPLIANT, 1 NON_COMPLIANT, 2 NOT_APPLICABLE in the low
 *        byte (bits 8.. for NON_COMPLIANT: 1-based index of the failed check),
 *        writes the annotation to *annotation; on a helper failure it sets
 *        ctx->failed and the verdict must be ignored.
 *   The functions call the helpers of plumb/builtins.def, resolved from
 *   libplumb_runtime (the pack has it as DT_NEEDED).
 *
 * Manifest schema, version 1 (all keys always present):
 *   { "manifest_version": 1, "abi_version": 1,
 *     "name": "pack name", "compiler": "plumb 0.1.0", "llvm": "19.1.x",
 *     "target": "x86_64-pc-linux-gnu",
 *     "sources_sha256": hex (over the user's sources, see `sources`),
 *     "schemas_sha256": hex (over the stdlib/schema files checked against),
 *     "sources": [{"path": "...", "sha256": hex}],
 *     "schemas": [{"path": "...", "sha256": hex}],
 *     "rules": [{"name", "description", "managed", "severity", "remediation",
 *                "controls": [..], "resource_types": [..], "file", "line",
 *                "params_symbol",
 *                "params": [{"name", "type" ("int", "list<string>", ...),
 *                            "default" (source text, or null: required)}]}],
 *     "entries": [{"rule": index, "resource_type", "as_json": bool,
 *                  "root": type id, "symbol"}],
 *     "types": [{"kind": "bool|int|float|string|timestamp|duration|ip|cidr|
 *                         list|map|record|json",
 *                "elem": id, "name", "from_scalar",
 *                "fields": [{"name", "aliases": [..], "type": id,
 *                            "used": bool, "required": bool}]}] }
 *   The hash of a file list is sha256 over, per file in order, its path, a
 *   NUL, its sha256 in hex and a newline.
 *
 * C API contract
 * - Every function is callable from C; none throws. Functions that can fail
 *   return NULL / -1 and, when `error` is non-NULL, store a malloc'd message
 *   there (release it with plumb_free).
 * - A PlumbPack owns the loaded library, its parameters and metadata; strings
 *   returned by accessors live until plumb_pack_close. Calls on one pack must
 *   not run concurrently (the runtime evaluates on its own threads inside
 *   plumb_pack_run); distinct packs are independent.
 * - Evaluation results handed to a callback are valid during the call only.
 */
#ifndef PLUMB_PACK_H
#define PLUMB_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "plumb/value.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLUMB_PACK_ABI_VERSION 1u
#define PLUMB_PACK_MANIFEST_VERSION 1
#define PLUMB_PACK_MAGIC "PLUMBPK" /* 8 bytes with the NUL */
#define PLUMB_PACK_SECTION ".plumb_pack"

typedef struct PlumbPackHeader {
  char magic[8];             /* PLUMB_PACK_MAGIC */
  uint32_t abi_version;      /* PLUMB_PACK_ABI_VERSION of the compiler */
  uint32_t manifest_version; /* PLUMB_PACK_MANIFEST_VERSION */
  uint64_t manifest_size;    /* bytes of plumb_pack_manifest, without the NUL */
} PlumbPackHeader;

typedef struct PlumbCtx PlumbCtx;
typedef int32_t (*PlumbRuleFn)(PlumbCtx* ctx, const PlumbSlot* ci_fields, const PlumbSlot* params,
                               PlumbSlot* annotation);
typedef void (*PlumbParamsFn)(PlumbCtx* ctx, PlumbSlot* out);

/* ---- runtime C API ---- */

typedef struct PlumbPack PlumbPack;

/* Loads a pack. Refuses (NULL, *error set) a file that is missing, not ELF,
 * has no PLUMB_PACK_SECTION, or has another ABI or manifest version; such a
 * file is never dlopen'ed. The library is opened with RTLD_NOW | RTLD_LOCAL. */
PlumbPack* plumb_pack_open(const char* path, char** error);
void plumb_pack_close(PlumbPack* pack);
void plumb_free(void* p);

/* Metadata. */
const char* plumb_pack_manifest(const PlumbPack* pack); /* the manifest JSON */
const char* plumb_pack_name(const PlumbPack* pack);
size_t plumb_pack_rule_count(const PlumbPack* pack);
const char* plumb_pack_rule_name(const PlumbPack* pack, size_t index); /* NULL out of range */

/* Sets a rule parameter from text, converted by its declared type: string as
 * is; int/float decimal; bool true/false (any case); duration "90d"/"12h" or
 * a bare integer (days); timestamp/ip/cidr their text forms; list<T>
 * comma-separated items or a JSON array. 0 on success, -1 on an unknown rule
 * or parameter or a value that does not convert. */
int plumb_pack_set_param(PlumbPack* pack, const char* rule, const char* name, const char* value,
                         char** error);
/* Fixes now() (microseconds since the epoch) for later evaluations; 0 = the
 * clock at each evaluation call. */
void plumb_pack_set_now(PlumbPack* pack, int64_t now_us);

typedef enum PlumbResultKind { PLUMB_RESULT_EVALUATION = 0, PLUMB_RESULT_INPUT_ERROR = 1 } PlumbResultKind;

typedef struct PlumbEvaluation {
  int kind;         /* PlumbResultKind */
  const char* rule; /* evaluations: rule name; input errors: "" */
  const char* resource_type;
  const char* resource_id;
  const char* account_id;
  const char* region;
  const char* compliance; /* "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "ERROR"; input errors: "" */
  const char* annotation; /* input errors: the message */
  int64_t ordering_timestamp_us;
  const char* source;  /* "json" / "buffer" for in-memory input */
  const char* locator; /* "line 3" for buffers */
} PlumbEvaluation;

/* Return non-zero to stop delivering results of this call. */
typedef int (*PlumbEvalCallback)(const PlumbEvaluation* result, void* user);

/* Evaluates one CI document (JSON). Returns the number of results delivered
 * (evaluations plus an input error when the document is unreadable), -1 on
 * a usage error (required parameter not set, ...). */
long plumb_pack_eval_json(PlumbPack* pack, const char* json, size_t len, PlumbEvalCallback cb, void* user,
                          char** error);
/* Evaluates NDJSON: one CI per line, blank lines skipped; a bad line gives an
 * input-error result and evaluation goes on. Same return as eval_json. */
long plumb_pack_eval_buffer(PlumbPack* pack, const char* ndjson, size_t len, PlumbEvalCallback cb, void* user,
                            char** error);
/* Like eval_buffer, but renders the results in an output format of `plumb
 * run` ("ndjson", "json", "evaluations", "sarif", "junit", "table") into a
 * malloc'd NUL-terminated buffer *out (*out_len bytes). 0 or -1. */
int plumb_pack_eval_buffer_format(PlumbPack* pack, const char* ndjson, size_t len, const char* format,
                                  char** out, size_t* out_len, char** error);

typedef struct PlumbRunOptions {
  int threads;              /* <= 0: 1 */
  uint64_t max_item_bytes;  /* 0: 64 MiB */
  int color;                /* table format: ANSI colours */
  const char* tool_version; /* sarif tool version; NULL: the runtime's */
} PlumbRunOptions;

typedef struct PlumbRunSummary {
  uint64_t compliant, non_compliant, not_applicable, errors;
  uint64_t items_read, items_skipped, input_errors;
  double seconds;
} PlumbRunSummary;

/* Evaluates every CI in the given files/directories ("-" = stdin; every
 * container format of `plumb run`) and writes `format` to output_path
 * (NULL or "-": standard output). This is what `plumb run --pack` does.
 * 0 on success (whatever the verdicts), -1 on a usage error. */
int plumb_pack_run(PlumbPack* pack, const char* const* inputs, size_t n_inputs, const char* format,
                   const char* output_path, const PlumbRunOptions* options, PlumbRunSummary* summary,
                   char** error);

#ifdef __cplusplus
}
#endif

#endif /* PLUMB_PACK_H */
