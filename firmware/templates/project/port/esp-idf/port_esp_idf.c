/* port.h on ESP-IDF (5.1+): esp-mqtt for MQTT, NVS for storage, esp_log, esp_timer and the
 * SNTP-set system clock. esp-mqtt calls back on its own task: events are queued and handed to
 * the core on the app's task, inside port_mqtt_poll(), as port.h promises. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "esp_err.h"
#include "esp_log.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "mqtt_client.h"
#include "nvs.h"

#include "fb_config.h"
#include "port.h"

static const char *TAG = "fleetbook";

/* ------------------------------------------------------------------------------- clock */

uint64_t port_clock_epoch_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  if (tv.tv_sec < 946684800) return 0; /* not set by SNTP yet */
  return (uint64_t)tv.tv_sec * 1000u + (uint64_t)(tv.tv_usec / 1000);
}

uint64_t port_clock_monotonic_ms(void) { return (uint64_t)(esp_timer_get_time() / 1000); }

/* -------------------------------------------------------------------------------- log */

void port_log(int level, const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  switch (level) {
    case PORT_LOG_ERROR: ESP_LOGE(TAG, "%s", line); break;
    case PORT_LOG_WARN: ESP_LOGW(TAG, "%s", line); break;
    case PORT_LOG_INFO: ESP_LOGI(TAG, "%s", line); break;
    default: ESP_LOGD(TAG, "%s", line); break;
  }
}

/* ---------------------------------------------------------------------------- storage */

static nvs_handle_t store;
static int store_open;

/* NVS keys are at most 15 characters: longer ones become k + a 32-bit FNV-1a hash. */
static void nvs_key(char out[16], const char *key) {
  uint32_t h = 2166136261u;
  const char *k;
  if (strlen(key) <= 15) {
    strcpy(out, key);
    return;
  }
  for (k = key; *k; k++) h = (h ^ (uint8_t)*k) * 16777619u;
  snprintf(out, 16, "k%08lx", (unsigned long)h);
}

static int open_store(void) {
  if (!store_open && nvs_open("fleetbook", NVS_READWRITE, &store) == ESP_OK) store_open = 1;
  return store_open ? 0 : -1;
}

int port_storage_read(const char *key, void *buf, size_t cap, size_t *len) {
  char k[16];
  size_t n = cap;
  if (open_store() < 0) return -1;
  nvs_key(k, key);
  if (nvs_get_blob(store, k, buf, &n) != ESP_OK) return -1;
  if (len) *len = n;
  return 0;
}

int port_storage_write(const char *key, const void *buf, size_t len) {
  char k[16];
  if (open_store() < 0) return -1;
  nvs_key(k, key);
  if (nvs_set_blob(store, k, buf, len) != ESP_OK) return -1;
  return nvs_commit(store) == ESP_OK ? 0 : -1;
}

/* ------------------------------------------------------------------------------- MQTT */

#define QUEUE_DEPTH 6

typedef struct {
  int32_t id;
  int msg_id;
  uint16_t len;
  char topic[FB_TOPIC_MAX];
  char data[FB_CMD_PAYLOAD_MAX];
} mqtt_item;

static esp_mqtt_client_handle_t client;
static QueueHandle_t queue;
static port_mqtt_events events;
static int connected;

/* On esp-mqtt's task: copy what the core needs and queue it. */
static void on_event(void *arg, esp_event_base_t base, int32_t event_id, void *event_data) {
  static mqtt_item item; /* only this task writes it; the queue copies it */
  esp_mqtt_event_handle_t e = (esp_mqtt_event_handle_t)event_data;
  (void)arg;
  (void)base;
  if (event_id != MQTT_EVENT_CONNECTED && event_id != MQTT_EVENT_DISCONNECTED && event_id != MQTT_EVENT_PUBLISHED && event_id != MQTT_EVENT_DATA) return;
  item.id = event_id;
  item.msg_id = e->msg_id;
  item.len = 0;
  item.topic[0] = '\0';
  if (event_id == MQTT_EVENT_DATA) {
    if (e->total_data_len > (int)sizeof item.data || e->data_len != e->total_data_len || e->topic_len >= (int)sizeof item.topic) {
      ESP_LOGW(TAG, "message of %d bytes dropped: larger than FB_CMD_PAYLOAD_MAX", e->total_data_len);
      return;
    }
    memcpy(item.topic, e->topic, (size_t)e->topic_len);
    item.topic[e->topic_len] = '\0';
    memcpy(item.data, e->data, (size_t)e->data_len);
    item.len = (uint16_t)e->data_len;
  }
  if (xQueueSend(queue, &item, 0) != pdTRUE) ESP_LOGW(TAG, "event %ld dropped: queue full", (long)event_id);
}

int port_mqtt_start(const port_mqtt_config *c, const port_mqtt_events *e) {
  esp_mqtt_client_config_t cfg;
  events = *e;
  queue = xQueueCreate(QUEUE_DEPTH, sizeof(mqtt_item));
  if (!queue) return -1;
  memset(&cfg, 0, sizeof cfg);
  cfg.broker.address.hostname = c->host;
  cfg.broker.address.port = c->port;
  cfg.broker.address.transport = MQTT_TRANSPORT_OVER_TCP;
  cfg.credentials.client_id = c->client_id;
  cfg.credentials.username = c->username;
  cfg.credentials.authentication.password = c->password;
  cfg.session.keepalive = c->keepalive_s;
  cfg.session.disable_clean_session = true; /* commands queued while offline still arrive; expiry guards them */
  cfg.network.reconnect_timeout_ms = 5000;
  client = esp_mqtt_client_init(&cfg);
  if (!client) return -1;
  esp_mqtt_client_register_event(client, MQTT_EVENT_ANY, on_event, NULL);
  return esp_mqtt_client_start(client) == ESP_OK ? 0 : -1;
}

int port_mqtt_publish(const char *topic, const void *payload, size_t len, int qos, int retain, int *msg_id) {
  int id;
  if (!connected) return -1;
  id = esp_mqtt_client_publish(client, topic, (const char *)payload, (int)len, qos, retain);
  if (id < 0) return -1;
  *msg_id = id;
  return 0;
}

int port_mqtt_subscribe(const char *topic, int qos) {
  if (!connected) return -1;
  return esp_mqtt_client_subscribe(client, topic, qos) < 0 ? -1 : 0;
}

void port_mqtt_poll(uint32_t timeout_ms) {
  static mqtt_item item;
  TickType_t wait = pdMS_TO_TICKS(timeout_ms);
  while (xQueueReceive(queue, &item, wait) == pdTRUE) {
    wait = 0;
    switch (item.id) {
      case MQTT_EVENT_CONNECTED:
        connected = 1;
        events.on_connected(events.ctx);
        break;
      case MQTT_EVENT_DISCONNECTED:
        if (connected) {
          connected = 0;
          events.on_disconnected(events.ctx);
        }
        break;
      case MQTT_EVENT_PUBLISHED:
        events.on_published(events.ctx, item.msg_id);
        break;
      case MQTT_EVENT_DATA:
        events.on_message(events.ctx, item.topic, item.data, item.len);
        break;
      default:
        break;
    }
  }
}

void port_mqtt_stop(void) {
  if (client) {
    esp_mqtt_client_stop(client);
    esp_mqtt_client_destroy(client);
    client = NULL;
  }
  connected = 0;
}
