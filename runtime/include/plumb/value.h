/* Plumb runtime value model: the one in-memory representation that compiled
 * rules read and runtime helpers produce.
 *
 * Contract
 * - Every value is a 16-byte PlumbSlot {tag, len, bits}. tag == PLUMB_ABSENT
 *   means "absent" (JSON null and a missing key are the same for typed reads).
 * - The layout of a slot is decided by its tag alone; compiled code knows the
 *   static type and therefore which tag to expect, dynamic `json` values
 *   inspect the tag.
 *     BOOL      bits = 0/1
 *     INT       bits = int64
 *     FLOAT     bits = IEEE double (memcpy)
 *     STRING    bits = const char* (UTF-8, not NUL-terminated), len = bytes
 *     TIMESTAMP bits = int64 microseconds since the Unix epoch (UTC)
 *     DURATION  bits = int64 microseconds
 *     IP, CIDR  bits = const PlumbNet*
 *     LIST      bits = const PlumbSlot* items, len = count
 *     RECORD    bits = const PlumbSlot* fields in schema order, len = count
 *     MAP       bits = const PlumbSlot* pairs (key STRING, value), len = pairs
 *     OBJECT    like MAP, for dynamic json objects (values any tag)
 *     NULL      JSON null inside a dynamic json value only
 * - Memory a slot points to is owned by an arena (per worker thread, reset per
 *   configuration item) or by the loaded pack (constants); slots never own.
 * - Plain C so that generated code, the pack ABI and embedders share it.
 */
#ifndef PLUMB_VALUE_H
#define PLUMB_VALUE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum PlumbTag {
  PLUMB_ABSENT = 0,
  PLUMB_NULL = 1,
  PLUMB_BOOL = 2,
  PLUMB_INT = 3,
  PLUMB_FLOAT = 4,
  PLUMB_STRING = 5,
  PLUMB_TIMESTAMP = 6,
  PLUMB_DURATION = 7,
  PLUMB_IP = 8,
  PLUMB_CIDR = 9,
  PLUMB_LIST = 10,
  PLUMB_RECORD = 11,
  PLUMB_MAP = 12,
  PLUMB_OBJECT = 13
};

typedef struct PlumbSlot {
  uint32_t tag;
  uint32_t len;
  uint64_t bits;
} PlumbSlot;

/* An IPv4 or IPv6 address, or a CIDR block (prefix = -1 style not used: an
 * address is a CIDR with prefix 32/128 but keeps tag IP). IPv4 addresses are
 * stored in addr[0..3]. */
typedef struct PlumbNet {
  uint8_t family; /* 4 or 6 */
  uint8_t prefix; /* prefix length; 32 or 128 for a plain address */
  uint8_t addr[16];
} PlumbNet;

#ifdef __cplusplus
}
#endif

#endif /* PLUMB_VALUE_H */
