#include "fb_command.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fb_json.h"

static fb_jtok toks[FB_JSON_TOKENS];

static int cmd_id_ok(const char *id) {
  size_t n = strlen(id);
  size_t i;
  if (n < 5 || n > 68 || strncmp(id, "cmd_", 4) != 0) return 0;
  for (i = 4; i < n; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return 0;
  }
  return 1;
}

/* "a, b, c" into out. */
static void names(char *out, size_t cap, int command) {
  size_t len = 0;
  int i;
  int count = command < 0 ? FB_COMMAND_COUNT : fb_commands[command].param_count;
  out[0] = '\0';
  for (i = 0; i < count; i++) {
    const char *name = command < 0 ? fb_commands[i].action : fb_commands[command].params[i].name;
    int n = snprintf(out + len, cap - len, "%s%s", i ? ", " : "", name);
    if (n < 0 || (size_t)n >= cap - len) return;
    len += (size_t)n;
  }
}

static fb_cmd_verdict param_value(const char *js, const fb_jtok *t, const fb_param_def *def, fb_param_value *out, char *detail, size_t cap) {
  const char *unit = def->unit ? def->unit : "";
  switch (def->type) {
    case FB_PARAM_BOOLEAN: {
      int b;
      if (fb_json_bool(js, t, &b) < 0) {
        snprintf(detail, cap, "param %s: expected true or false", def->name);
        return FB_CMD_BAD_PARAM;
      }
      out->number = b;
      break;
    }
    case FB_PARAM_STRING:
      if (t->type != FB_JT_STRING) {
        snprintf(detail, cap, "param %s: expected a string", def->name);
        return FB_CMD_BAD_PARAM;
      }
      if (fb_json_string(js, t, out->text, sizeof out->text) < 0 || strlen(out->text) > def->max_length) {
        snprintf(detail, cap, "param %s: expected a string of at most %u characters", def->name, (unsigned)def->max_length);
        return FB_CMD_BAD_PARAM;
      }
      break;
    case FB_PARAM_NUMBER:
    case FB_PARAM_INTEGER:
      if (fb_json_number(js, t, &out->number) < 0) {
        snprintf(detail, cap, "param %s: expected a number", def->name);
        return FB_CMD_BAD_PARAM;
      }
      if (def->type == FB_PARAM_INTEGER && out->number != floor(out->number)) {
        snprintf(detail, cap, "param %s: expected a whole number, got %g", def->name, out->number);
        return FB_CMD_BAD_PARAM;
      }
      if ((def->has_min && out->number < def->min) || (def->has_max && out->number > def->max)) {
        if (def->has_min && def->has_max) {
          snprintf(detail, cap, "%s %g is out of range: expected %g to %g%s%s", def->name, out->number, def->min, def->max, unit[0] ? " " : "", unit);
        } else if (def->has_min) {
          snprintf(detail, cap, "%s %g is out of range: expected at least %g%s%s", def->name, out->number, def->min, unit[0] ? " " : "", unit);
        } else {
          snprintf(detail, cap, "%s %g is out of range: expected at most %g%s%s", def->name, out->number, def->max, unit[0] ? " " : "", unit);
        }
        return FB_CMD_BAD_PARAM;
      }
      break;
  }
  out->present = 1;
  return FB_CMD_OK;
}

fb_cmd_verdict fb_command_parse(const char *json, size_t len, double now_s, fb_command *cmd, char *detail, size_t cap) {
  int n, t, i, k;
  double expires;
  char list[FB_DETAIL_MAX];
  memset(cmd, 0, sizeof *cmd);
  cmd->command = -1;
  detail[0] = '\0';

  n = fb_json_parse(json, len, toks, FB_JSON_TOKENS);
  if (n < 1 || toks[0].type != FB_JT_OBJECT) {
    snprintf(detail, cap, "not a JSON object");
    return FB_CMD_NO_ID;
  }
  t = fb_json_member(json, toks, 0, "cmd_id");
  if (t < 0 || fb_json_string(json, &toks[t], cmd->cmd_id, sizeof cmd->cmd_id) < 0 || !cmd_id_ok(cmd->cmd_id)) {
    cmd->cmd_id[0] = '\0';
    snprintf(detail, cap, "no usable cmd_id (expected cmd_...)");
    return FB_CMD_NO_ID;
  }

  t = fb_json_member(json, toks, 0, "action");
  if (t < 0 || fb_json_string(json, &toks[t], cmd->action, sizeof cmd->action) < 0) {
    snprintf(detail, cap, "action missing or not a string");
    return FB_CMD_INVALID;
  }
  t = fb_json_member(json, toks, 0, "expires_at");
  if (t < 0 || fb_json_number(json, &toks[t], &expires) < 0) {
    snprintf(detail, cap, "expires_at missing or not a number: refused");
    return FB_CMD_INVALID;
  }
  cmd->expires_at = expires;
  if (now_s > expires) {
    snprintf(detail, cap, "expired at %.0f, %.0f s before it arrived: refused", expires, now_s - expires);
    return FB_CMD_EXPIRED;
  }

  for (i = 0; i < FB_COMMAND_COUNT; i++) {
    if (strcmp(fb_commands[i].action, cmd->action) == 0) cmd->command = i;
  }
  if (cmd->command < 0) {
    names(list, sizeof list, -1);
    if (FB_COMMAND_COUNT == 0) snprintf(detail, cap, "unknown action %s: this device takes no commands", cmd->action);
    else snprintf(detail, cap, "unknown action %s: expected one of %s", cmd->action, list);
    return FB_CMD_UNKNOWN_ACTION;
  }

  {
    const fb_command_def *def = &fb_commands[cmd->command];
    int params = fb_json_member(json, toks, 0, "params");
    if (params >= 0 && toks[params].type != FB_JT_OBJECT) {
      snprintf(detail, cap, "params: expected an object");
      return FB_CMD_INVALID;
    }
    if (params >= 0) {
      int key = params + 1;
      for (k = 0; k < toks[params].size; k++) {
        char name[FB_ACTION_MAX];
        int found = -1;
        if (fb_json_string(json, &toks[key], name, sizeof name) >= 0) {
          for (i = 0; i < def->param_count; i++) {
            if (strcmp(def->params[i].name, name) == 0) found = i;
          }
        }
        if (found < 0) {
          names(list, sizeof list, cmd->command);
          if (def->param_count == 0) snprintf(detail, cap, "unexpected param %.64s: %s takes none", fb_json_string(json, &toks[key], name, sizeof name) >= 0 ? name : "?", def->action);
          else snprintf(detail, cap, "unexpected param %.64s: expected %s", fb_json_string(json, &toks[key], name, sizeof name) >= 0 ? name : "?", list);
          return FB_CMD_BAD_PARAM;
        }
        if (param_value(json, &toks[key + 1], &def->params[found], &cmd->params[found], detail, cap) != FB_CMD_OK) return FB_CMD_BAD_PARAM;
        key = toks[key + 1].next;
      }
    }
    for (i = 0; i < def->param_count; i++) {
      if (def->params[i].required && !cmd->params[i].present) {
        snprintf(detail, cap, "missing param %s", def->params[i].name);
        return FB_CMD_BAD_PARAM;
      }
    }
  }
  return FB_CMD_OK;
}

const fb_param_value *fb_command_param(const fb_command *cmd, size_t index) {
  if (cmd->command < 0 || index >= fb_commands[cmd->command].param_count) return NULL;
  return &cmd->params[index];
}
