/* A fake platform for the core's unit tests: a clock the test sets, publishes recorded in
 * memory, storage in memory. The real ports are exercised by the device tests (a real broker). */
#ifndef PORT_FAKE_H
#define PORT_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "fb_config.h"
#include "port.h"

#define FAKE_MAX_PUBLISHED 1024

typedef struct {
  char topic[FB_TOPIC_MAX];
  char payload[FB_PAYLOAD_MAX];
  int retain;
  int mid;
} fake_publish;

extern uint64_t fake_epoch_ms;
extern uint64_t fake_mono_ms;
extern int fake_connected;
extern fake_publish fake_published[FAKE_MAX_PUBLISHED];
extern int fake_published_count;
extern char fake_subscribed[FB_TOPIC_MAX];
extern port_mqtt_events fake_events;

void fake_reset(void);
/* Publishes recorded since index `from` whose topic ends with `suffix`. */
int fake_count(int from, const char *suffix);
/* The n-th (0-based) publish since `from` whose topic ends with `suffix`, or NULL. */
const fake_publish *fake_nth(int from, const char *suffix, int n);

#endif
