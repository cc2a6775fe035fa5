/* Prints one message of each kind, one per line as `<kind> <json>`, so the firmware test layer
 * can check the encoder's output against the contract's own zod schemas (data-api/src/contracts/mqtt.ts). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fb_payload.h"

static void report(fb_json_writer *w, void *ctx) {
  (void)ctx;
  fb_jw_key(w, "note");
  fb_jw_string(w, "quotes \" and \\ and \n newlines");
}

int main(void) {
  static char out[FB_PAYLOAD_MAX];
  static fb_ring ring;
  fb_reading r;
  size_t i;
  memset(&r, 0, sizeof r);
  r.ts_s = 1795000000u;
  r.ts_ms = 5;
  for (i = 0; i < FB_METRIC_COUNT; i++) r.values[i] = (float)((fb_metrics[i].min + fb_metrics[i].max) / 2.0);
  for (i = 0; i < FB_STATUS_COUNT; i++) {
    r.status = (uint8_t)i;
    if (fb_encode_telemetry(out, sizeof out, &r, 4294967295u, 0xffffffffu) < 0) return 1;
    printf("telemetry %s\n", out);
  }
  r.values[0] = NAN;
  if (fb_encode_telemetry(out, sizeof out, &r, 1, 1) < 0) return 1;
  printf("telemetry %s\n", out);
  if (fb_encode_heartbeat(out, sizeof out, 1795000060999ULL, 4000000000u) < 0) return 1;
  printf("heartbeat %s\n", out);
  fb_ring_init(&ring);
  fb_ring_push(&ring, &r, 1);
  if (fb_encode_state(out, sizeof out, 1795000000000ULL, fb_statuses[0], &ring, report, NULL) < 0) return 1;
  printf("state %s\n", out);
  if (fb_encode_cmd_result(out, sizeof out, "cmd_01J8ZQ.x-y", "failed", "setpoint_bar 12 is out of range: expected 0.5 to 8 bar") < 0) return 1;
  printf("cmd_result %s\n", out);
  if (fb_encode_cmd_result(out, sizeof out, "cmd_1", "accepted", NULL) < 0) return 1;
  printf("cmd_result %s\n", out);
  return 0;
}
