/* The offline buffer (store-and-forward): readings taken while the broker is unreachable wait
 * here, oldest first, and are sent later in order with their original ts. When it is full the
 * oldest reading is dropped and counted. Static storage: FB_RING_CAPACITY readings. */
#ifndef FB_RING_H
#define FB_RING_H

#include <stddef.h>
#include <stdint.h>

#include "fb_config.h"
#include "fb_product.h"

/* A reading's msg_id counter value is not stored: readings enter in counter order and leave
 * from the front, so the buffer holds consecutive values from first_seq on (4 bytes a reading
 * saved: 1 KB at 256 readings). */
typedef struct {
  uint32_t ts_s; /* epoch seconds when it was measured */
  uint16_t ts_ms;
  uint8_t status; /* index into fb_statuses */
  uint8_t reserved;
  float values[FB_METRIC_COUNT]; /* NAN: not measured this time */
} fb_reading;

typedef struct {
  fb_reading items[FB_RING_CAPACITY];
  size_t head;  /* index of the oldest reading */
  size_t count;
  uint32_t first_seq; /* the msg_id counter value of the oldest reading */
  uint32_t dropped;   /* readings lost to a full buffer since boot */
} fb_ring;

void fb_ring_init(fb_ring *r);
size_t fb_ring_count(const fb_ring *r);
/* Appends a reading taken with counter value `seq` (the previous one's plus one); returns 1 when
 * the oldest was dropped to make room, else 0. */
int fb_ring_push(fb_ring *r, const fb_reading *reading, uint32_t seq);
/* The i-th oldest reading (0 = oldest) and its counter value, or NULL. */
const fb_reading *fb_ring_peek(const fb_ring *r, size_t i, uint32_t *seq);
/* Removes the n oldest readings (sent and acknowledged). */
void fb_ring_pop(fb_ring *r, size_t n);

#endif
