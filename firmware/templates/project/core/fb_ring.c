#include "fb_ring.h"

#include <string.h>

void fb_ring_init(fb_ring *r) { memset(r, 0, sizeof *r); }

size_t fb_ring_count(const fb_ring *r) { return r->count; }

int fb_ring_push(fb_ring *r, const fb_reading *reading, uint32_t seq) {
  int dropped = 0;
  if (r->count == 0) {
    r->head = 0;
    r->first_seq = seq;
  } else if (r->count == FB_RING_CAPACITY) {
    r->head = (r->head + 1) % FB_RING_CAPACITY;
    r->count--;
    r->first_seq++;
    r->dropped++;
    dropped = 1;
  }
  r->items[(r->head + r->count) % FB_RING_CAPACITY] = *reading;
  r->count++;
  return dropped;
}

const fb_reading *fb_ring_peek(const fb_ring *r, size_t i, uint32_t *seq) {
  if (i >= r->count) return NULL;
  if (seq) *seq = r->first_seq + (uint32_t)i;
  return &r->items[(r->head + i) % FB_RING_CAPACITY];
}

void fb_ring_pop(fb_ring *r, size_t n) {
  if (n > r->count) n = r->count;
  r->head = (r->head + n) % FB_RING_CAPACITY;
  r->count -= n;
  r->first_seq += (uint32_t)n;
}
