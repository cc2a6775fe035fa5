/* The shapes of the product tables (fb_product.c, generated from the catalog). */
#ifndef FB_TYPES_H
#define FB_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *name; /* on the wire: snake_case with the unit as suffix */
  const char *unit;
  double min; /* typical range (the catalog's), used by the bench simulation */
  double max;
} fb_metric_def;

typedef enum { FB_PARAM_NUMBER, FB_PARAM_INTEGER, FB_PARAM_BOOLEAN, FB_PARAM_STRING } fb_param_type;

typedef struct {
  const char *name; /* the JSON key */
  fb_param_type type;
  uint8_t required;
  uint8_t has_min;
  uint8_t has_max;
  double min;
  double max;
  uint16_t max_length; /* strings: longest value accepted */
  const char *unit;
} fb_param_def;

typedef struct {
  const char *action;
  const fb_param_def *params;
  uint8_t param_count;
} fb_command_def;

#endif
