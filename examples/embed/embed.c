/* Embedding a Plumb rule pack in a C program.
 *
 *   plumb build ../rules/network.plumb -o network.so
 *   ./embed network.so sample_cis.ndjson [RULE.PARAM=VALUE ...]
 *
 * Loads the pack through libplumb_runtime's C API (plumb/pack.h), sets the
 * parameters given, evaluates every CI of the NDJSON file, then one CI held
 * in memory, and prints one line per evaluation. Exit status: 0 when every
 * evaluation is COMPLIANT or NOT_APPLICABLE, 1 otherwise, 2 on an error. */
#include <plumb/pack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct Counts {
  long evaluations, non_compliant, input_errors;
};

static int Print(const PlumbEvaluation* r, void* user) {
  struct Counts* c = (struct Counts*)user;
  if (r->kind == PLUMB_RESULT_INPUT_ERROR) {
    c->input_errors++;
    printf("INPUT_ERROR %s %s: %s\n", r->source, r->locator, r->annotation);
    return 0;
  }
  c->evaluations++;
  if (strcmp(r->compliance, "COMPLIANT") != 0 && strcmp(r->compliance, "NOT_APPLICABLE") != 0)
    c->non_compliant++;
  printf("%s %s %s %s", r->compliance, r->rule, r->resource_type, r->resource_id);
  if (r->annotation[0]) printf(": %s", r->annotation);
  printf("\n");
  return 0; /* non-zero would stop this call's results */
}

static char* ReadFile(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0, k;
  char* buf = malloc(cap);
  while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *len = n;
  return buf;
}

static const char kVolume[] =
    "{\"version\": \"1.3\", \"accountId\": \"123456789012\", \"configurationItemCaptureTime\": "
    "\"2024-05-02T11:00:00.000Z\", \"configurationItemStatus\": \"OK\", \"resourceType\": "
    "\"AWS::EC2::Volume\", "
    "\"resourceId\": \"vol-0fedcba9876543210\", \"awsRegion\": \"eu-west-1\", \"tags\": {}, "
    "\"relationships\": [], "
    "\"configuration\": {\"volumeId\": \"vol-0fedcba9876543210\", \"size\": 8, \"encrypted\": true}, "
    "\"supplementaryConfiguration\": {}}";

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s PACK.so CIS.ndjson [RULE.PARAM=VALUE ...]\n", argv[0]);
    return 2;
  }
  char* err = NULL;
  PlumbPack* pack = plumb_pack_open(argv[1], &err);
  if (!pack) {
    fprintf(stderr, "embed: %s\n", err);
    plumb_free(err);
    return 2;
  }
  printf("pack %s: %zu rule(s)\n", plumb_pack_name(pack), plumb_pack_rule_count(pack));
  for (int i = 3; i < argc; ++i) {
    char rule[256], name[256];
    const char* dot = strchr(argv[i], '.');
    const char* eq = strchr(argv[i], '=');
    if (!dot || !eq || dot > eq || dot - argv[i] >= 256 || eq - dot - 1 >= 256) {
      fprintf(stderr, "embed: parameters are RULE.PARAM=VALUE, found %s\n", argv[i]);
      plumb_pack_close(pack);
      return 2;
    }
    snprintf(rule, sizeof rule, "%.*s", (int)(dot - argv[i]), argv[i]);
    snprintf(name, sizeof name, "%.*s", (int)(eq - dot - 1), dot + 1);
    if (plumb_pack_set_param(pack, rule, name, eq + 1, &err) != 0) {
      fprintf(stderr, "embed: %s\n", err);
      plumb_free(err);
      plumb_pack_close(pack);
      return 2;
    }
  }
  size_t len = 0;
  char* data = ReadFile(argv[2], &len);
  if (!data) {
    fprintf(stderr, "embed: cannot read %s\n", argv[2]);
    plumb_pack_close(pack);
    return 2;
  }
  struct Counts counts = {0, 0, 0};
  long n = plumb_pack_eval_buffer(pack, data, len, Print, &counts, &err);
  free(data);
  if (n >= 0) n = plumb_pack_eval_json(pack, kVolume, strlen(kVolume), Print, &counts, &err);
  if (n < 0) {
    fprintf(stderr, "embed: %s\n", err);
    plumb_free(err);
    plumb_pack_close(pack);
    return 2;
  }
  printf("%ld evaluation(s), %ld not compliant, %ld input error(s)\n", counts.evaluations,
         counts.non_compliant, counts.input_errors);
  plumb_pack_close(pack);
  return counts.non_compliant || counts.input_errors ? 1 : 0;
}
