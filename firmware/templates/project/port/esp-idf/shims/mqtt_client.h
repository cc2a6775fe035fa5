/* Shim for the syntax check only (see README.md): the esp-mqtt (ESP-IDF 5.x) types and calls
 * port/esp-idf uses. Config fields not used by the port are left out. */
#ifndef SHIM_MQTT_CLIENT_H
#define SHIM_MQTT_CLIENT_H
#include <stdbool.h>
#include <stdint.h>
#include "esp_err.h"

typedef const char *esp_event_base_t;
typedef void (*esp_event_handler_t)(void *event_handler_arg, esp_event_base_t event_base, int32_t event_id, void *event_data);

typedef struct esp_mqtt_client *esp_mqtt_client_handle_t;

typedef enum esp_mqtt_event_id_t {
  MQTT_EVENT_ANY = -1,
  MQTT_EVENT_ERROR = 0,
  MQTT_EVENT_CONNECTED,
  MQTT_EVENT_DISCONNECTED,
  MQTT_EVENT_SUBSCRIBED,
  MQTT_EVENT_UNSUBSCRIBED,
  MQTT_EVENT_PUBLISHED,
  MQTT_EVENT_DATA,
  MQTT_EVENT_BEFORE_CONNECT,
  MQTT_EVENT_DELETED,
} esp_mqtt_event_id_t;

typedef enum esp_mqtt_transport_t {
  MQTT_TRANSPORT_UNKNOWN = 0,
  MQTT_TRANSPORT_OVER_TCP,
  MQTT_TRANSPORT_OVER_SSL,
  MQTT_TRANSPORT_OVER_WS,
  MQTT_TRANSPORT_OVER_WSS,
} esp_mqtt_transport_t;

typedef struct esp_mqtt_event_t {
  esp_mqtt_event_id_t event_id;
  esp_mqtt_client_handle_t client;
  char *data;
  int data_len;
  int total_data_len;
  int current_data_offset;
  char *topic;
  int topic_len;
  int msg_id;
  int session_present;
  bool retain;
  int qos;
  bool dup;
} esp_mqtt_event_t;
typedef esp_mqtt_event_t *esp_mqtt_event_handle_t;

typedef struct esp_mqtt_client_config_t {
  struct broker_t {
    struct address_t {
      const char *uri;
      const char *hostname;
      esp_mqtt_transport_t transport;
      const char *path;
      uint32_t port;
    } address;
  } broker;
  struct credentials_t {
    const char *username;
    const char *client_id;
    bool set_null_client_id;
    struct authentication_t {
      const char *password;
    } authentication;
  } credentials;
  struct session_t {
    int keepalive;
    bool disable_clean_session;
    bool disable_keepalive;
  } session;
  struct network_t {
    int reconnect_timeout_ms;
    int timeout_ms;
    int refresh_connection_after_ms;
    bool disable_auto_reconnect;
  } network;
} esp_mqtt_client_config_t;

esp_mqtt_client_handle_t esp_mqtt_client_init(const esp_mqtt_client_config_t *config);
esp_err_t esp_mqtt_client_register_event(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t event, esp_event_handler_t event_handler, void *event_handler_arg);
esp_err_t esp_mqtt_client_start(esp_mqtt_client_handle_t client);
esp_err_t esp_mqtt_client_stop(esp_mqtt_client_handle_t client);
esp_err_t esp_mqtt_client_destroy(esp_mqtt_client_handle_t client);
int esp_mqtt_client_publish(esp_mqtt_client_handle_t client, const char *topic, const char *data, int len, int qos, int retain);
int esp_mqtt_client_subscribe_single(esp_mqtt_client_handle_t client, const char *topic, int qos);
/* In ESP-IDF 5.1+ a _Generic macro over _single and _multiple; the port passes one topic. */
#define esp_mqtt_client_subscribe(client, topic, qos) esp_mqtt_client_subscribe_single(client, topic, qos)
#endif
