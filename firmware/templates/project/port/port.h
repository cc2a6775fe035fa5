/* What a platform provides to the core: a clock, an MQTT client, persistent storage, a log, and
 * the product's sensors. port/posix/ implements it with libmosquitto and files; port/esp-idf/
 * with esp-mqtt and NVS. The core calls these from one thread only, and the MQTT client hands
 * its events back on that thread, from inside port_mqtt_poll(). */
#ifndef PORT_H
#define PORT_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------------- clock */

/* Wall-clock time, epoch milliseconds; 0 while the clock is not set yet (before SNTP). */
uint64_t port_clock_epoch_ms(void);
/* Milliseconds since boot; never goes backwards. */
uint64_t port_clock_monotonic_ms(void);

/* -------------------------------------------------------------------------------- MQTT */

typedef struct {
  const char *host;
  uint16_t port;
  const char *client_id; /* the device id */
  const char *username;  /* the device id */
  const char *password;  /* the device token (fleetbook device token <id>) */
  uint16_t keepalive_s;
} port_mqtt_config;

/* Called from inside port_mqtt_poll(), on the core's thread. */
typedef struct {
  void (*on_connected)(void *ctx);
  /* The connection is gone: whatever was published and not acknowledged is dropped by the port;
   * the core sends it again from its buffer after the next on_connected. */
  void (*on_disconnected)(void *ctx);
  void (*on_message)(void *ctx, const char *topic, const void *payload, size_t len);
  /* A QoS 1 publish was acknowledged by the broker (PUBACK). */
  void (*on_published)(void *ctx, int msg_id);
  void *ctx;
} port_mqtt_events;

/* Starts connecting (and reconnecting, with back-off) in the background of port_mqtt_poll(). */
int port_mqtt_start(const port_mqtt_config *config, const port_mqtt_events *events);
/* Publishes while connected; returns 0 and the message id, or -1 (not connected, queue full). */
int port_mqtt_publish(const char *topic, const void *payload, size_t len, int qos, int retain, int *msg_id);
int port_mqtt_subscribe(const char *topic, int qos);
/* Does the network work for up to timeout_ms, delivering events. */
void port_mqtt_poll(uint32_t timeout_ms);
void port_mqtt_stop(void);

/* ---------------------------------------------------------------------------- storage */

/* Small named values that survive a reboot (the msg_id counter, settings). Keys are short ASCII.
 * read: 0 and the length, or -1 when the key was never written. write: 0, or -1. */
int port_storage_read(const char *key, void *buf, size_t cap, size_t *len);
int port_storage_write(const char *key, const void *buf, size_t len);

/* -------------------------------------------------------------------------------- log */

enum { PORT_LOG_ERROR, PORT_LOG_WARN, PORT_LOG_INFO, PORT_LOG_DEBUG };
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void port_log(int level, const char *fmt, ...);

/* ----------------------------------------------------------------------------- board */

/* Reads the product's sensors into values[0..count-1] (FB_METRIC_* order); NAN for a metric
 * not measured this time. `running` says whether the app runs its actuator (pump, …). */
void port_board_read(float *values, size_t count, int running);

#endif
