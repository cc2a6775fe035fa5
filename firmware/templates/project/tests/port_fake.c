#include "port_fake.h"

#include <math.h>
#include <string.h>

uint64_t fake_epoch_ms;
uint64_t fake_mono_ms;
int fake_connected;
fake_publish fake_published[FAKE_MAX_PUBLISHED];
int fake_published_count;
char fake_subscribed[FB_TOPIC_MAX];
port_mqtt_events fake_events;

static int next_mid;

#define STORAGE_KEYS 16
static struct {
  char key[32];
  unsigned char data[256];
  size_t len;
} storage[STORAGE_KEYS];

void fake_reset(void) {
  fake_epoch_ms = 1795000000250ULL;
  fake_mono_ms = 1000;
  fake_connected = 0;
  fake_published_count = 0;
  fake_subscribed[0] = '\0';
  next_mid = 0;
  memset(storage, 0, sizeof storage);
  memset(&fake_events, 0, sizeof fake_events);
}

int fake_count(int from, const char *suffix) {
  int i, n = 0;
  size_t s = strlen(suffix);
  for (i = from; i < fake_published_count; i++) {
    size_t t = strlen(fake_published[i].topic);
    if (t >= s && strcmp(fake_published[i].topic + t - s, suffix) == 0) n++;
  }
  return n;
}

const fake_publish *fake_nth(int from, const char *suffix, int n) {
  int i;
  size_t s = strlen(suffix);
  for (i = from; i < fake_published_count; i++) {
    size_t t = strlen(fake_published[i].topic);
    if (t >= s && strcmp(fake_published[i].topic + t - s, suffix) == 0 && n-- == 0) return &fake_published[i];
  }
  return NULL;
}

uint64_t port_clock_epoch_ms(void) { return fake_epoch_ms; }
uint64_t port_clock_monotonic_ms(void) { return fake_mono_ms; }

int port_mqtt_start(const port_mqtt_config *config, const port_mqtt_events *events) {
  (void)config;
  fake_events = *events;
  return 0;
}

int port_mqtt_publish(const char *topic, const void *payload, size_t len, int qos, int retain, int *msg_id) {
  fake_publish *p;
  (void)qos;
  if (!fake_connected || fake_published_count >= FAKE_MAX_PUBLISHED || len >= FB_PAYLOAD_MAX) return -1;
  p = &fake_published[fake_published_count++];
  strncpy(p->topic, topic, sizeof p->topic - 1);
  memcpy(p->payload, payload, len);
  p->payload[len] = '\0';
  p->retain = retain;
  p->mid = ++next_mid;
  *msg_id = p->mid;
  return 0;
}

int port_mqtt_subscribe(const char *topic, int qos) {
  (void)qos;
  strncpy(fake_subscribed, topic, sizeof fake_subscribed - 1);
  return fake_connected ? 0 : -1;
}

void port_mqtt_poll(uint32_t timeout_ms) { fake_mono_ms += timeout_ms; }
void port_mqtt_stop(void) {}

int port_storage_read(const char *key, void *buf, size_t cap, size_t *len) {
  int i;
  for (i = 0; i < STORAGE_KEYS; i++) {
    if (storage[i].key[0] && strcmp(storage[i].key, key) == 0) {
      size_t n = storage[i].len < cap ? storage[i].len : cap;
      memcpy(buf, storage[i].data, n);
      if (len) *len = n;
      return 0;
    }
  }
  return -1;
}

int port_storage_write(const char *key, const void *buf, size_t len) {
  int i, free_slot = -1;
  if (len > sizeof storage[0].data || strlen(key) >= sizeof storage[0].key) return -1;
  for (i = 0; i < STORAGE_KEYS; i++) {
    if (storage[i].key[0] && strcmp(storage[i].key, key) == 0) break;
    if (!storage[i].key[0] && free_slot < 0) free_slot = i;
  }
  if (i == STORAGE_KEYS) i = free_slot;
  if (i < 0) return -1;
  strcpy(storage[i].key, key);
  memcpy(storage[i].data, buf, len);
  storage[i].len = len;
  return 0;
}

void port_log(int level, const char *fmt, ...) {
  (void)level;
  (void)fmt;
}

void port_board_read(float *values, size_t count, int running) {
  size_t i;
  (void)running;
  for (i = 0; i < count; i++) values[i] = (float)i;
}
