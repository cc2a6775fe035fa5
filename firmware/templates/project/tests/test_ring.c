/* The offline buffer: order, wrap-around, drop-oldest with its counter, consecutive msg_ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fb_ring.h"

static fb_ring ring;

static fb_reading reading(uint32_t ts) {
  fb_reading r;
  memset(&r, 0, sizeof r);
  r.ts_s = ts;
  r.values[0] = (float)ts;
  return r;
}

static void push(uint32_t seq) {
  fb_reading r = reading(1795000000u + seq);
  fb_ring_push(&ring, &r, seq);
}

static void test_keeps_readings_in_order(void **state) {
  uint32_t seq, i;
  (void)state;
  fb_ring_init(&ring);
  for (i = 1; i <= 5; i++) push(i);
  assert_int_equal(fb_ring_count(&ring), 5);
  for (i = 0; i < 5; i++) {
    const fb_reading *r = fb_ring_peek(&ring, i, &seq);
    assert_non_null(r);
    assert_int_equal(seq, i + 1);
    assert_int_equal(r->ts_s, 1795000000u + i + 1);
  }
  assert_null(fb_ring_peek(&ring, 5, &seq));
}

static void test_wraps_around(void **state) {
  uint32_t seq, i, next = 1;
  (void)state;
  fb_ring_init(&ring);
  /* Push and pop past the end of the storage several times: order holds across the seam. */
  for (i = 0; i < FB_RING_CAPACITY * 3 + 7; i++) {
    push(next++);
    if (fb_ring_count(&ring) > FB_RING_CAPACITY / 2) fb_ring_pop(&ring, 3);
  }
  assert_int_equal(ring.dropped, 0);
  for (i = 0; i < fb_ring_count(&ring); i++) {
    const fb_reading *r = fb_ring_peek(&ring, i, &seq);
    assert_int_equal(seq, next - (uint32_t)fb_ring_count(&ring) + i);
    assert_int_equal(r->ts_s, 1795000000u + seq);
  }
}

static void test_drops_the_oldest_and_counts(void **state) {
  uint32_t seq, i;
  (void)state;
  fb_ring_init(&ring);
  for (i = 1; i <= FB_RING_CAPACITY; i++) push(i);
  assert_int_equal(ring.dropped, 0);
  for (i = FB_RING_CAPACITY + 1; i <= FB_RING_CAPACITY + 10; i++) {
    fb_reading r = reading(1795000000u + i);
    assert_int_equal(fb_ring_push(&ring, &r, i), 1);
  }
  assert_int_equal(ring.dropped, 10);
  assert_int_equal(fb_ring_count(&ring), FB_RING_CAPACITY);
  /* The oldest left is the 11th; the newest is the last pushed; nothing in between is lost. */
  assert_int_equal(fb_ring_peek(&ring, 0, &seq)->ts_s, 1795000000u + 11);
  assert_int_equal(seq, 11);
  assert_int_equal(fb_ring_peek(&ring, FB_RING_CAPACITY - 1, &seq)->ts_s, 1795000000u + FB_RING_CAPACITY + 10);
  assert_int_equal(seq, FB_RING_CAPACITY + 10);
}

static void test_pop_removes_the_oldest(void **state) {
  uint32_t seq;
  (void)state;
  fb_ring_init(&ring);
  push(7);
  push(8);
  push(9);
  fb_ring_pop(&ring, 2);
  assert_int_equal(fb_ring_count(&ring), 1);
  assert_int_equal(fb_ring_peek(&ring, 0, &seq)->ts_s, 1795000009u);
  assert_int_equal(seq, 9);
  fb_ring_pop(&ring, 5); /* more than there is: empties it */
  assert_int_equal(fb_ring_count(&ring), 0);
  push(42); /* an empty buffer takes the next counter value as its first */
  fb_ring_peek(&ring, 0, &seq);
  assert_int_equal(seq, 42);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keeps_readings_in_order),
      cmocka_unit_test(test_wraps_around),
      cmocka_unit_test(test_drops_the_oldest_and_counts),
      cmocka_unit_test(test_pop_removes_the_oldest),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
