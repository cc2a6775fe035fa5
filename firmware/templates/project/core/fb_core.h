/* The device side of the contract: topics, heartbeats, retained state, store-and-forward of
 * readings, commands with expiry and their results. One instance, driven from one thread:
 * the app records readings and calls fb_core_tick(); the port delivers MQTT events through
 * fb_core_mqtt_events(). No allocation: everything lives in the fb_core the app owns. */
#ifndef FB_CORE_H
#define FB_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "fb_command.h"
#include "fb_config.h"
#include "fb_json.h"
#include "fb_ring.h"
#include "port.h"

typedef struct fb_core fb_core;

typedef struct {
  /* Applies a command that passed every check. Returns 0 (→ done) or -1 (→ failed); `detail`
   * tells the operator what happened either way. */
  int (*on_command)(fb_core *core, const fb_command *cmd, char *detail, size_t cap, void *ctx);
  /* Writes the app's members of the retained state's `reported` (its settings). */
  void (*report_state)(fb_json_writer *w, void *ctx);
  void *ctx;
} fb_app_hooks;

typedef struct {
  const char *site_id;
  const char *device_id;
  uint32_t heartbeat_interval_s;
} fb_identity;

typedef struct {
  uint32_t recorded;  /* readings taken */
  uint32_t sent;      /* telemetry publishes, resends included */
  uint32_t acked;     /* readings acknowledged by the broker (and removed from the buffer) */
  uint32_t heartbeats;
  uint32_t commands_done;
  uint32_t commands_failed;  /* applied and failed */
  uint32_t commands_refused; /* expired, unknown action, bad params */
} fb_stats;

struct fb_core {
  char site_id[FB_ID_MAX];
  char device_id[FB_ID_MAX];
  uint32_t heartbeat_interval_s;
  fb_app_hooks app;
  fb_ring ring;
  /* The oldest `inflight` readings are published and await their PUBACK. */
  int inflight_mid[FB_INFLIGHT_MAX];
  uint8_t inflight_acked[FB_INFLIGHT_MAX];
  size_t inflight;
  int connected;
  int state_dirty;
  uint8_t status;
  uint64_t boot_ms;
  uint64_t next_heartbeat_ms;
  /* msg_id = <id_epoch>-<seq>; seq is persisted a block ahead (see fb_config.h). */
  int counter_ready;
  uint32_t id_epoch;
  uint32_t next_seq;
  uint32_t reserved_until;
  char seen[FB_SEEN_COMMANDS][FB_CMD_ID_MAX];
  size_t seen_next;
  int clock_warned;
  fb_stats stats;
  fb_command cmd;
  char topic[FB_TOPIC_MAX];
  char payload[FB_PAYLOAD_MAX];
};

/* Returns 0, or -1 when an id cannot be used in a topic. */
int fb_core_init(fb_core *c, const fb_identity *id, const fb_app_hooks *app, uint8_t initial_status);
/* The callbacks to hand to port_mqtt_start(). */
port_mqtt_events fb_core_mqtt_events(fb_core *c);
/* Takes a reading now (values in FB_METRIC_* order, NAN = not measured): buffered, and sent at
 * once when connected. Returns 0, or -1 when the clock is not set (a reading without a true ts
 * would be worse than none). */
int fb_core_record(fb_core *c, const float *values, uint8_t status);
/* The run status changed (start/stop): the retained state is published again. */
void fb_core_set_status(fb_core *c, uint8_t status);
/* The app's settings changed: the retained state is published again. */
void fb_core_state_changed(fb_core *c);
/* Heartbeats, state and the buffer's next messages: call it often (every poll). */
void fb_core_tick(fb_core *c);

#endif
