#include "fb_core.h"

#include <stdio.h>
#include <string.h>

#include "fb_payload.h"
#include "fb_topic.h"

#define COUNTER_KEY "fb.msgseq"
/* 2000-01-01: a clock before it has not been set (the ingest refuses such ts too). */
#define EPOCH_MIN_MS 946684800000ULL

static void publish_state(fb_core *c);

static int topic(fb_core *c, fb_topic_kind kind) { return fb_topic_build(c->topic, sizeof c->topic, c->site_id, c->device_id, kind); }

static int publish(fb_core *c, fb_topic_kind kind, int len, int retain, int *mid) {
  int ignored;
  if (len < 0) {
    port_log(PORT_LOG_ERROR, "message too large for FB_PAYLOAD_MAX (%u): not sent", (unsigned)FB_PAYLOAD_MAX);
    return -1;
  }
  if (topic(c, kind) < 0) return -1;
  return port_mqtt_publish(c->topic, c->payload, (size_t)len, 1, retain, mid ? mid : &ignored);
}

int fb_core_init(fb_core *c, const fb_identity *id, const fb_app_hooks *app, uint8_t initial_status) {
  memset(c, 0, sizeof *c);
  if (!fb_topic_id_ok(id->site_id) || !fb_topic_id_ok(id->device_id)) return -1;
  strcpy(c->site_id, id->site_id);
  strcpy(c->device_id, id->device_id);
  c->heartbeat_interval_s = id->heartbeat_interval_s ? id->heartbeat_interval_s : FB_HEARTBEAT_INTERVAL_S;
  if (app) c->app = *app;
  c->status = initial_status < FB_STATUS_COUNT ? initial_status : 0;
  c->boot_ms = port_clock_monotonic_ms();
  fb_ring_init(&c->ring);
  return 0;
}

/* ------------------------------------------------------------------------ msg_id counter */

static void counter_save(fb_core *c) {
  uint32_t stored[2];
  stored[0] = c->id_epoch;
  stored[1] = c->reserved_until;
  if (port_storage_write(COUNTER_KEY, stored, sizeof stored) < 0) port_log(PORT_LOG_ERROR, "msg_id counter not saved: ids may repeat after a reboot");
}

/* Lazily, at the first reading: the epoch of a new counter is the (set) clock. */
static void counter_init(fb_core *c, uint64_t now_ms) {
  uint32_t stored[2];
  size_t len = 0;
  if (port_storage_read(COUNTER_KEY, stored, sizeof stored, &len) == 0 && len == sizeof stored && stored[0] != 0) {
    c->id_epoch = stored[0];
    c->next_seq = stored[1]; /* ids up to here may have been used before the reboot */
  } else {
    c->id_epoch = (uint32_t)(now_ms / 1000u);
    c->next_seq = 1;
  }
  c->reserved_until = c->next_seq + FB_MSG_ID_BLOCK;
  counter_save(c);
  c->counter_ready = 1;
}

static uint32_t counter_next(fb_core *c) {
  uint32_t seq = c->next_seq++;
  if (c->next_seq >= c->reserved_until) {
    c->reserved_until += FB_MSG_ID_BLOCK;
    counter_save(c);
  }
  return seq;
}

/* ------------------------------------------------------------------- store-and-forward */

/* Publishes buffered readings after those in flight, oldest first, up to FB_INFLIGHT_MAX. */
static void flush(fb_core *c) {
  while (c->connected && c->inflight < FB_INFLIGHT_MAX && c->inflight < fb_ring_count(&c->ring)) {
    uint32_t seq;
    int mid = 0;
    const fb_reading *r = fb_ring_peek(&c->ring, c->inflight, &seq);
    if (publish(c, FB_TOPIC_TELEMETRY, fb_encode_telemetry(c->payload, sizeof c->payload, r, seq, c->id_epoch), 0, &mid) < 0) return;
    c->inflight_mid[c->inflight] = mid;
    c->inflight_acked[c->inflight] = 0;
    c->inflight++;
    c->stats.sent++;
  }
}

/* Forgets the first n in-flight entries (acknowledged, or dropped from a full buffer). */
static void inflight_shift(fb_core *c, size_t n) {
  size_t i;
  if (n > c->inflight) n = c->inflight;
  for (i = n; i < c->inflight; i++) {
    c->inflight_mid[i - n] = c->inflight_mid[i];
    c->inflight_acked[i - n] = c->inflight_acked[i];
  }
  c->inflight -= n;
}

int fb_core_record(fb_core *c, const float *values, uint8_t status) {
  fb_reading r;
  uint32_t seq;
  uint64_t now = port_clock_epoch_ms();
  if (now < EPOCH_MIN_MS) {
    if (!c->clock_warned) port_log(PORT_LOG_WARN, "clock not set: readings are not taken until it is (a reading needs its true ts)");
    c->clock_warned = 1;
    return -1;
  }
  if (!c->counter_ready) counter_init(c, now);
  memset(&r, 0, sizeof r);
  r.ts_s = (uint32_t)(now / 1000u);
  r.ts_ms = (uint16_t)(now % 1000u);
  r.status = status < FB_STATUS_COUNT ? status : 0;
  memcpy(r.values, values, sizeof r.values);
  seq = counter_next(c);
  if (fb_ring_push(&c->ring, &r, seq)) {
    /* The oldest reading is gone; if it was in flight, its PUBACK no longer matters. */
    if (c->inflight > 0) inflight_shift(c, 1);
    port_log(PORT_LOG_WARN, "buffer full (%u readings): oldest dropped, %lu dropped since boot", (unsigned)FB_RING_CAPACITY, (unsigned long)c->ring.dropped);
  }
  c->stats.recorded++;
  port_log(PORT_LOG_INFO, "reading seq=%lu ts=%lu.%03u queued=%u", (unsigned long)seq, (unsigned long)r.ts_s, (unsigned)r.ts_ms, (unsigned)fb_ring_count(&c->ring));
  flush(c);
  return 0;
}

/* --------------------------------------------------------------------------- commands */

static int seen_before(fb_core *c, const char *cmd_id) {
  size_t i;
  for (i = 0; i < FB_SEEN_COMMANDS; i++) {
    if (strcmp(c->seen[i], cmd_id) == 0) return 1;
  }
  strcpy(c->seen[c->seen_next], cmd_id);
  c->seen_next = (c->seen_next + 1) % FB_SEEN_COMMANDS;
  return 0;
}

static void result(fb_core *c, const char *cmd_id, const char *status, const char *detail) {
  if (publish(c, FB_TOPIC_CMD_RESULT, fb_encode_cmd_result(c->payload, sizeof c->payload, cmd_id, status, detail), 0, NULL) < 0) {
    port_log(PORT_LOG_WARN, "%s: result %s not sent", cmd_id, status);
  }
}

static void on_command(fb_core *c, const void *payload, size_t len) {
  char detail[FB_DETAIL_MAX];
  uint64_t now = port_clock_epoch_ms();
  fb_cmd_verdict verdict;
  if (len > FB_CMD_PAYLOAD_MAX) {
    port_log(PORT_LOG_WARN, "command of %u bytes ignored (FB_CMD_PAYLOAD_MAX %u)", (unsigned)len, (unsigned)FB_CMD_PAYLOAD_MAX);
    return;
  }
  verdict = fb_command_parse((const char *)payload, len, (double)now / 1000.0, &c->cmd, detail, sizeof detail);
  if (verdict == FB_CMD_NO_ID) {
    port_log(PORT_LOG_WARN, "command ignored: %s", detail);
    return;
  }
  if (seen_before(c, c->cmd.cmd_id)) {
    port_log(PORT_LOG_INFO, "%s: repeated delivery ignored", c->cmd.cmd_id);
    return;
  }
  if (verdict == FB_CMD_OK && now < EPOCH_MIN_MS) {
    verdict = FB_CMD_EXPIRED;
    snprintf(detail, sizeof detail, "clock not set: expires_at cannot be checked: refused");
  }
  if (verdict != FB_CMD_OK) {
    c->stats.commands_refused++;
    port_log(PORT_LOG_WARN, "%s %s refused: %s", c->cmd.cmd_id, c->cmd.action, detail);
    result(c, c->cmd.cmd_id, "failed", detail);
    return;
  }
  result(c, c->cmd.cmd_id, "accepted", NULL);
  detail[0] = '\0';
  if (c->app.on_command && c->app.on_command(c, &c->cmd, detail, sizeof detail, c->app.ctx) == 0) {
    c->stats.commands_done++;
    port_log(PORT_LOG_INFO, "%s %s done: %s", c->cmd.cmd_id, c->cmd.action, detail);
    result(c, c->cmd.cmd_id, "done", detail);
  } else {
    c->stats.commands_failed++;
    if (!detail[0]) snprintf(detail, sizeof detail, "%s failed", c->cmd.action);
    port_log(PORT_LOG_WARN, "%s %s failed: %s", c->cmd.cmd_id, c->cmd.action, detail);
    result(c, c->cmd.cmd_id, "failed", detail);
  }
  /* A command may change a setting or the run status: say so at once. */
  publish_state(c);
}

/* ------------------------------------------------------------------------ MQTT events */

static void heartbeat(fb_core *c, uint64_t mono) {
  uint32_t uptime = (uint32_t)((mono - c->boot_ms) / 1000u);
  uint64_t now = port_clock_epoch_ms();
  c->next_heartbeat_ms = mono + (uint64_t)c->heartbeat_interval_s * 1000u;
  if (now < EPOCH_MIN_MS) return;
  if (publish(c, FB_TOPIC_HEARTBEAT, fb_encode_heartbeat(c->payload, sizeof c->payload, now, uptime), 0, NULL) == 0) c->stats.heartbeats++;
}

static void publish_state(fb_core *c) {
  uint64_t now = port_clock_epoch_ms();
  if (!c->connected || now < EPOCH_MIN_MS) {
    c->state_dirty = 1;
    return;
  }
  if (publish(c, FB_TOPIC_STATE, fb_encode_state(c->payload, sizeof c->payload, now, fb_statuses[c->status], &c->ring, c->app.report_state, c->app.ctx), 1, NULL) == 0) {
    c->state_dirty = 0;
  }
}

static void on_connected(void *ctx) {
  fb_core *c = (fb_core *)ctx;
  c->connected = 1;
  c->inflight = 0;
  port_log(PORT_LOG_INFO, "connected as %s at %s; %u readings buffered", c->device_id, c->site_id, (unsigned)fb_ring_count(&c->ring));
  if (topic(c, FB_TOPIC_CMD) >= 0 && port_mqtt_subscribe(c->topic, 1) < 0) port_log(PORT_LOG_ERROR, "subscribe %s failed", c->topic);
  publish_state(c);
  heartbeat(c, port_clock_monotonic_ms());
  flush(c);
}

static void on_disconnected(void *ctx) {
  fb_core *c = (fb_core *)ctx;
  if (c->connected) port_log(PORT_LOG_WARN, "disconnected; buffering readings (%u queued)", (unsigned)fb_ring_count(&c->ring));
  c->connected = 0;
  /* What was in flight is sent again, in order, after the next connect. */
  c->inflight = 0;
}

static void on_message(void *ctx, const char *t, const void *payload, size_t len) {
  fb_core *c = (fb_core *)ctx;
  if (topic(c, FB_TOPIC_CMD) < 0 || strcmp(t, c->topic) != 0) {
    port_log(PORT_LOG_WARN, "message on %s ignored: not this device's cmd topic", t);
    return;
  }
  on_command(c, payload, len);
}

static void on_published(void *ctx, int mid) {
  fb_core *c = (fb_core *)ctx;
  size_t i, done = 0;
  for (i = 0; i < c->inflight; i++) {
    if (c->inflight_mid[i] == mid) c->inflight_acked[i] = 1;
  }
  /* Readings leave the buffer in order: only an acknowledged prefix is removed. */
  while (done < c->inflight && c->inflight_acked[done]) done++;
  if (done) {
    fb_ring_pop(&c->ring, done);
    inflight_shift(c, done);
    c->stats.acked += (uint32_t)done;
  }
  flush(c);
}

port_mqtt_events fb_core_mqtt_events(fb_core *c) {
  port_mqtt_events e;
  e.on_connected = on_connected;
  e.on_disconnected = on_disconnected;
  e.on_message = on_message;
  e.on_published = on_published;
  e.ctx = c;
  return e;
}

void fb_core_set_status(fb_core *c, uint8_t status) {
  if (status >= FB_STATUS_COUNT || status == c->status) return;
  c->status = status;
  publish_state(c);
}

void fb_core_state_changed(fb_core *c) { publish_state(c); }

void fb_core_tick(fb_core *c) {
  uint64_t mono = port_clock_monotonic_ms();
  if (!c->connected) return;
  if (mono >= c->next_heartbeat_ms) heartbeat(c, mono);
  if (c->state_dirty) publish_state(c);
  flush(c);
}
