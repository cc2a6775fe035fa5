/* Shim for the syntax check only (see README.md). */
#ifndef SHIM_ESP_TIMER_H
#define SHIM_ESP_TIMER_H
#include <stdint.h>
/* Microseconds since boot. */
int64_t esp_timer_get_time(void);
#endif
