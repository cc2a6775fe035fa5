#include "fb_payload.h"

#include <math.h>
#include <stdio.h>

#include "fb_product.h"

/* A float holds about 7 significant digits: print no more than it knows. */
#define METRIC_DIGITS 7

int fb_msg_id(char *out, size_t cap, uint32_t epoch, uint32_t seq) {
  int n = snprintf(out, cap, "%08lx-%lu", (unsigned long)epoch, (unsigned long)seq);
  return (n < 0 || (size_t)n >= cap) ? -1 : n;
}

int fb_encode_telemetry(char *out, size_t cap, const fb_reading *r, uint32_t seq, uint32_t id_epoch) {
  fb_json_writer w;
  char id[32];
  size_t i;
  if (fb_msg_id(id, sizeof id, id_epoch, seq) < 0 || r->status >= FB_STATUS_COUNT) return -1;
  fb_jw_init(&w, out, cap);
  fb_jw_begin_object(&w);
  fb_jw_key(&w, "schema_version");
  fb_jw_uint(&w, 1);
  fb_jw_key(&w, "msg_id");
  fb_jw_string(&w, id);
  fb_jw_key(&w, "ts");
  fb_jw_epoch(&w, r->ts_s, r->ts_ms);
  fb_jw_key(&w, "status");
  fb_jw_string(&w, fb_statuses[r->status]);
  fb_jw_key(&w, "metrics");
  fb_jw_begin_object(&w);
  for (i = 0; i < FB_METRIC_COUNT; i++) {
    if (!isfinite(r->values[i])) continue;
    fb_jw_key(&w, fb_metrics[i].name);
    fb_jw_number(&w, (double)r->values[i], METRIC_DIGITS);
  }
  fb_jw_end_object(&w);
  fb_jw_end_object(&w);
  return fb_jw_finish(&w);
}

int fb_encode_heartbeat(char *out, size_t cap, uint64_t now_ms, uint32_t uptime_s) {
  fb_json_writer w;
  fb_jw_init(&w, out, cap);
  fb_jw_begin_object(&w);
  fb_jw_key(&w, "schema_version");
  fb_jw_uint(&w, 1);
  fb_jw_key(&w, "ts");
  fb_jw_epoch(&w, (unsigned long)(now_ms / 1000u), (unsigned)(now_ms % 1000u));
  fb_jw_key(&w, "uptime_s");
  fb_jw_uint(&w, uptime_s);
  fb_jw_key(&w, "fw");
  fb_jw_string(&w, FB_FIRMWARE_VERSION);
  fb_jw_end_object(&w);
  return fb_jw_finish(&w);
}

int fb_encode_state(char *out, size_t cap, uint64_t now_ms, const char *status, const fb_ring *ring, fb_report_fn report, void *ctx) {
  fb_json_writer w;
  fb_jw_init(&w, out, cap);
  fb_jw_begin_object(&w);
  fb_jw_key(&w, "schema_version");
  fb_jw_uint(&w, 1);
  fb_jw_key(&w, "ts");
  fb_jw_epoch(&w, (unsigned long)(now_ms / 1000u), (unsigned)(now_ms % 1000u));
  fb_jw_key(&w, "fw");
  fb_jw_string(&w, FB_FIRMWARE_VERSION);
  fb_jw_key(&w, "reported");
  fb_jw_begin_object(&w);
  if (report) report(&w, ctx);
  fb_jw_key(&w, "status");
  fb_jw_string(&w, status);
  fb_jw_key(&w, "buffer");
  fb_jw_begin_object(&w);
  fb_jw_key(&w, "capacity");
  fb_jw_uint(&w, FB_RING_CAPACITY);
  fb_jw_key(&w, "queued");
  fb_jw_uint(&w, (unsigned long)fb_ring_count(ring));
  fb_jw_key(&w, "dropped");
  fb_jw_uint(&w, ring->dropped);
  fb_jw_end_object(&w);
  fb_jw_end_object(&w);
  fb_jw_end_object(&w);
  return fb_jw_finish(&w);
}

int fb_encode_cmd_result(char *out, size_t cap, const char *cmd_id, const char *status, const char *detail) {
  fb_json_writer w;
  fb_jw_init(&w, out, cap);
  fb_jw_begin_object(&w);
  fb_jw_key(&w, "schema_version");
  fb_jw_uint(&w, 1);
  fb_jw_key(&w, "cmd_id");
  fb_jw_string(&w, cmd_id);
  fb_jw_key(&w, "status");
  fb_jw_string(&w, status);
  if (detail && detail[0]) {
    fb_jw_key(&w, "detail");
    fb_jw_string(&w, detail);
  }
  fb_jw_end_object(&w);
  return fb_jw_finish(&w);
}
