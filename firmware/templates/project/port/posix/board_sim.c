/* The bench board: plausible readings for every metric of the product, inside the catalog's
 * typical range (fb_metrics[].min/max), moving slowly. Replace it with real sensor reads when
 * the POSIX build runs on hardware (a gateway PC with Modbus, a Raspberry Pi…). */
#include <math.h>

#include "fb_product.h"
#include "port.h"

void port_board_read(float *values, size_t count, int running) {
  double t = (double)port_clock_monotonic_ms() / 1000.0;
  size_t i;
  (void)running;
  for (i = 0; i < count && i < FB_METRIC_COUNT; i++) {
    double lo = fb_metrics[i].min, hi = fb_metrics[i].max;
    values[i] = (float)((lo + hi) / 2.0 + (hi - lo) / 4.0 * sin(t / 60.0 + (double)i));
  }
}
