/* contracts.md: cloud → device on …/cmd: {cmd_id, action, params, expires_at}. The parser checks
 * the action against the product's commands, each param against its type and range, and refuses
 * a command whose expires_at has passed: a stale "start" must never reach a pump. */
#ifndef FB_COMMAND_H
#define FB_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "fb_config.h"
#include "fb_product.h"

typedef struct {
  uint8_t present;
  double number; /* number, integer and boolean (0 or 1) params */
  char text[FB_CMD_STRING_MAX]; /* string params */
} fb_param_value;

typedef struct {
  char cmd_id[FB_CMD_ID_MAX];
  char action[FB_ACTION_MAX];
  int command; /* index into fb_commands; -1 when unknown */
  double expires_at;
  fb_param_value params[FB_CMD_MAX_PARAMS]; /* in the order of the command's params */
} fb_command;

typedef enum {
  FB_CMD_OK = 0,
  FB_CMD_NO_ID,          /* no usable cmd_id: nothing can be answered */
  FB_CMD_INVALID,        /* not JSON, or a field of the wrong type */
  FB_CMD_EXPIRED,        /* expires_at has passed */
  FB_CMD_UNKNOWN_ACTION, /* not one of the product's commands */
  FB_CMD_BAD_PARAM       /* unknown, missing, mistyped or out of range */
} fb_cmd_verdict;

/* Parses and checks one command message against the clock (`now_s`, epoch seconds). On any
 * verdict but FB_CMD_OK, `detail` says why (it goes into the failed cmd/result). Not reentrant:
 * the tokens live in static storage. */
fb_cmd_verdict fb_command_parse(const char *json, size_t len, double now_s, fb_command *cmd, char *detail, size_t detail_cap);

/* A param of a parsed command by its index in the command's definition. */
const fb_param_value *fb_command_param(const fb_command *cmd, size_t index);

#endif
