/* The product application: what the device does between the core (contract) and the port
 * (platform). Entry points (port/posix/posix_main.c, port/esp-idf/esp_main.c) fill an
 * app_config and call app_run(). */
#ifndef APP_H
#define APP_H

#include <stdint.h>

typedef struct {
  const char *host;
  uint16_t port;
  const char *site_id;
  const char *device_id;
  const char *password; /* the device token */
  uint32_t telemetry_interval_s;
  uint32_t heartbeat_interval_s;
  uint32_t run_for_s;        /* 0: until *stop */
  volatile const int *stop;  /* set by a signal handler or a task to end the loop */
} app_config;

/* Runs the device until *stop (or run_for_s); returns the process exit code. */
int app_run(const app_config *config);

#endif
