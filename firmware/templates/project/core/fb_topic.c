#include "fb_topic.h"

#include <stdio.h>
#include <string.h>

#include "fb_config.h"

static const char *const KINDS[] = {"telemetry", "heartbeat", "state", "cmd", "cmd/result"};

int fb_topic_id_ok(const char *id) {
  size_t n;
  if (id == NULL) return 0;
  n = strlen(id);
  if (n == 0 || n >= FB_ID_MAX) return 0;
  for (; *id; id++) {
    unsigned char c = (unsigned char)*id;
    if (c <= 0x20 || c == 0x7f || c == '/' || c == '+' || c == '#') return 0;
  }
  return 1;
}

int fb_topic_build(char *out, size_t cap, const char *site_id, const char *device_id, fb_topic_kind kind) {
  int n;
  if (out == NULL || cap == 0 || (unsigned)kind > FB_TOPIC_CMD_RESULT) return -1;
  out[0] = '\0';
  if (!fb_topic_id_ok(site_id) || !fb_topic_id_ok(device_id)) return -1;
  n = snprintf(out, cap, "fleetbook/v1/%s/%s/%s", site_id, device_id, KINDS[kind]);
  if (n < 0 || (size_t)n >= cap) {
    out[0] = '\0';
    return -1;
  }
  return n;
}
