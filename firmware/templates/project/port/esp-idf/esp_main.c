/* The ESP-IDF entry point: the device's identity from NVS (namespace fb_identity, written at
 * provisioning: see README.md), the network, then app_run() on this task. */
#include <stdint.h>
#include <string.h>

#include "esp_err.h"
#include "esp_log.h"
#include "nvs.h"
#include "nvs_flash.h"

#include "app.h"
#include "fb_config.h"
#include "port.h"
#include "port_esp_idf.h"

static char site[FB_ID_MAX];
static char device[FB_ID_MAX];
static char token[128];
static char host[64];

static int read_str(nvs_handle_t h, const char *key, char *out, size_t cap) {
  size_t n = cap;
  if (nvs_get_str(h, key, out, &n) != ESP_OK) {
    port_log(PORT_LOG_ERROR, "identity: %s missing from NVS namespace fb_identity", key);
    return -1;
  }
  return 0;
}

void app_main(void) {
  nvs_handle_t h;
  uint16_t port = 1883;
  app_config config;
  esp_err_t err = nvs_flash_init();
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    nvs_flash_erase();
    nvs_flash_init();
  }
  if (nvs_open("fb_identity", NVS_READONLY, &h) != ESP_OK) {
    port_log(PORT_LOG_ERROR, "no device identity: provision NVS namespace fb_identity (site, device, token, host, port)");
    return;
  }
  if (read_str(h, "site", site, sizeof site) < 0 || read_str(h, "device", device, sizeof device) < 0 || read_str(h, "token", token, sizeof token) < 0 ||
      read_str(h, "host", host, sizeof host) < 0) {
    nvs_close(h);
    return;
  }
  nvs_get_u16(h, "port", &port);
  nvs_close(h);

  /* Network up and the clock set (SNTP) before any reading: see board.c. */
  if (port_board_network_up() < 0) {
    port_log(PORT_LOG_ERROR, "network did not come up");
    return;
  }
  memset(&config, 0, sizeof config);
  config.host = host;
  config.port = port;
  config.site_id = site;
  config.device_id = device;
  config.password = token;
  app_run(&config);
}
