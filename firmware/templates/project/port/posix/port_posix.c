/* port.h on Linux/macOS: libmosquitto for MQTT, one file per key for storage, stderr for the
 * log. It runs the generated firmware as a real device on a workstation or a gateway PC. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "port.h"
#include "port_posix.h"

/* ------------------------------------------------------------------------------- clock */

uint64_t port_clock_epoch_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)(ts.tv_nsec / 1000000);
}

uint64_t port_clock_monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)(ts.tv_nsec / 1000000);
}

static void sleep_ms(uint32_t ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000u;
  ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
  nanosleep(&ts, NULL);
}

/* -------------------------------------------------------------------------------- log */

static int log_level = PORT_LOG_INFO;
static const char *const LEVELS[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void port_posix_set_log_level(int level) { log_level = level; }

void port_log(int level, const char *fmt, ...) {
  va_list ap;
  char stamp[32];
  uint64_t now = port_clock_epoch_ms();
  time_t secs = (time_t)(now / 1000u);
  struct tm tm;
  if (level > log_level) return;
  gmtime_r(&secs, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(stderr, "%s.%03uZ %-5s ", stamp, (unsigned)(now % 1000u), LEVELS[level < 0 ? 0 : level > 3 ? 3 : level]);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
}

/* ---------------------------------------------------------------------------- storage */

static char state_dir[512] = "state";

int port_posix_set_state_dir(const char *dir) {
  if (strlen(dir) >= sizeof state_dir - 40) return -1;
  strcpy(state_dir, dir);
  if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) return -1;
  return 0;
}

static int key_path(char *out, size_t cap, const char *key, const char *suffix) {
  const char *k;
  for (k = key; *k; k++) {
    if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '.' || *k == '_' || *k == '-')) return -1;
  }
  if (key[0] == '.' || key[0] == '\0') return -1;
  return snprintf(out, cap, "%s/%s%s", state_dir, key, suffix) < (int)cap ? 0 : -1;
}

int port_storage_read(const char *key, void *buf, size_t cap, size_t *len) {
  char path[600];
  FILE *f;
  size_t n;
  if (key_path(path, sizeof path, key, "") < 0 || (f = fopen(path, "rb")) == NULL) return -1;
  n = fread(buf, 1, cap, f);
  fclose(f);
  if (len) *len = n;
  return 0;
}

/* Written to a temporary file and renamed: a power cut leaves the old value or the new one. */
int port_storage_write(const char *key, const void *buf, size_t len) {
  char path[600], tmp[600];
  int fd;
  if (key_path(path, sizeof path, key, "") < 0 || key_path(tmp, sizeof tmp, key, ".tmp") < 0) return -1;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return -1;
  if (write(fd, buf, len) != (ssize_t)len || fsync(fd) < 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return rename(tmp, path) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------------- MQTT */

static struct mosquitto *mosq;
static port_mqtt_config config;
static port_mqtt_events events;
static int connected;
static int lost;
static uint64_t retry_at;
static uint32_t backoff_ms;

static void on_connect(struct mosquitto *m, void *obj, int rc) {
  (void)m;
  (void)obj;
  if (rc != 0) {
    port_log(PORT_LOG_ERROR, "broker %s:%u refused the connection: %s", config.host, (unsigned)config.port, mosquitto_connack_string(rc));
    lost = 1;
    return;
  }
  connected = 1;
  backoff_ms = 0;
  events.on_connected(events.ctx);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
  (void)m;
  (void)obj;
  (void)rc;
  lost = 1;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
  (void)m;
  (void)obj;
  events.on_message(events.ctx, msg->topic, msg->payload, (size_t)msg->payloadlen);
}

static void on_publish(struct mosquitto *m, void *obj, int mid) {
  (void)m;
  (void)obj;
  events.on_published(events.ctx, mid);
}

/* Back-off from 0.5 s doubling to 5 s, with jitter: a broker restart is not met by every
 * device of a site in the same second. */
static void schedule_retry(void) {
  backoff_ms = backoff_ms ? (backoff_ms * 2 > 5000u ? 5000u : backoff_ms * 2) : 500u;
  retry_at = port_clock_monotonic_ms() + backoff_ms - backoff_ms / 5u + (uint64_t)(rand() % (int)(backoff_ms / 5u * 2u + 1u));
}

/* The port forgets what it had not delivered (the core resends it from its buffer), so a
 * dropped connection takes the client with it and the next attempt starts clean. */
static void drop_connection(const char *why) {
  if (connected) {
    connected = 0;
    port_log(PORT_LOG_WARN, "connection to %s:%u lost: %s", config.host, (unsigned)config.port, why);
    events.on_disconnected(events.ctx);
  }
  if (mosq) {
    mosquitto_destroy(mosq);
    mosq = NULL;
  }
  lost = 0;
  schedule_retry();
}

static void try_connect(void) {
  int rc;
  mosq = mosquitto_new(config.client_id, false, NULL);
  if (!mosq) {
    port_log(PORT_LOG_ERROR, "mosquitto_new failed");
    schedule_retry();
    return;
  }
  mosquitto_connect_callback_set(mosq, on_connect);
  mosquitto_disconnect_callback_set(mosq, on_disconnect);
  mosquitto_message_callback_set(mosq, on_message);
  mosquitto_publish_callback_set(mosq, on_publish);
  mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_max_inflight_messages_set(mosq, 20);
  mosquitto_username_pw_set(mosq, config.username, config.password);
  rc = mosquitto_connect(mosq, config.host, config.port, config.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    port_log(PORT_LOG_WARN, "broker %s:%u unreachable: %s", config.host, (unsigned)config.port, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    mosquitto_destroy(mosq);
    mosq = NULL;
    schedule_retry();
  }
}

int port_mqtt_start(const port_mqtt_config *c, const port_mqtt_events *e) {
  config = *c;
  events = *e;
  srand((unsigned)port_clock_epoch_ms());
  mosquitto_lib_init();
  retry_at = 0;
  return 0;
}

int port_mqtt_publish(const char *topic, const void *payload, size_t len, int qos, int retain, int *msg_id) {
  int rc;
  if (!connected || !mosq) return -1;
  rc = mosquitto_publish(mosq, msg_id, topic, (int)len, payload, qos, retain ? true : false);
  if (rc != MOSQ_ERR_SUCCESS) {
    port_log(PORT_LOG_WARN, "publish on %s failed: %s", topic, mosquitto_strerror(rc));
    return -1;
  }
  return 0;
}

int port_mqtt_subscribe(const char *topic, int qos) {
  if (!connected || !mosq) return -1;
  return mosquitto_subscribe(mosq, NULL, topic, qos) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

void port_mqtt_poll(uint32_t timeout_ms) {
  int rc;
  if (!mosq) {
    uint64_t now = port_clock_monotonic_ms();
    if (now < retry_at) {
      uint64_t left = retry_at - now;
      sleep_ms(left < timeout_ms ? (uint32_t)left : timeout_ms);
      return;
    }
    try_connect();
    if (!mosq) return;
  }
  rc = mosquitto_loop(mosq, (int)timeout_ms, 1);
  if (rc != MOSQ_ERR_SUCCESS || lost) drop_connection(rc != MOSQ_ERR_SUCCESS ? mosquitto_strerror(rc) : "closed by the broker");
}

void port_mqtt_stop(void) {
  if (mosq) {
    if (connected) mosquitto_disconnect(mosq);
    mosquitto_loop(mosq, 100, 1);
    mosquitto_destroy(mosq);
    mosq = NULL;
  }
  connected = 0;
  mosquitto_lib_cleanup();
}
