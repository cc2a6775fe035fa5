/* contracts.md, payload v1: telemetry, heartbeat, state and cmd/result, encoded into a caller's
 * buffer. Each returns the length written, or -1 when the message does not fit. */
#ifndef FB_PAYLOAD_H
#define FB_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "fb_json.h"
#include "fb_ring.h"

/* msg_id: the counter's epoch (when this device's counter storage was created, hex) and the
 * counter: "65f1a2b0-1042". A device whose storage is wiped gets a new epoch, so its new ids
 * never collide with ids the ingest already stored (it would drop them as repeats). */
int fb_msg_id(char *out, size_t cap, uint32_t epoch, uint32_t seq);

/* {"schema_version":1,"msg_id":…,"ts":…,"status":…,"metrics":{…}}; unmeasured (NAN) metrics are left out. */
int fb_encode_telemetry(char *out, size_t cap, const fb_reading *r, uint32_t seq, uint32_t id_epoch);

/* {"schema_version":1,"ts":…,"uptime_s":…,"fw":…} */
int fb_encode_heartbeat(char *out, size_t cap, uint64_t now_ms, uint32_t uptime_s);

/* Writes the members of `reported` (the app's settings). */
typedef void (*fb_report_fn)(fb_json_writer *w, void *ctx);

/* {"schema_version":1,"ts":…,"fw":…,"reported":{<app>,"status":…,"buffer":{capacity,queued,dropped}}} */
int fb_encode_state(char *out, size_t cap, uint64_t now_ms, const char *status, const fb_ring *ring, fb_report_fn report, void *ctx);

/* {"schema_version":1,"cmd_id":…,"status":"accepted"|"done"|"failed","detail":…} (detail optional) */
int fb_encode_cmd_result(char *out, size_t cap, const char *cmd_id, const char *status, const char *detail);

#endif
