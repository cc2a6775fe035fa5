/* The POSIX entry point: the device's identity and broker from the command line, then app_run().
 * The token is read from a file or FLEETBOOK_DEVICE_TOKEN, never from argv (ps shows argv). */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "fb_product.h"
#include "port.h"
#include "port_posix.h"

static volatile int stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void usage(FILE *to, const char *argv0) {
  fprintf(to,
          "%s: the %s %s device (firmware %s)\n"
          "usage: %s --site <site_id> --device <device_id> [options]\n"
          "  --host <host>          MQTT broker (default 127.0.0.1)\n"
          "  --port <port>          MQTT port (default 1883)\n"
          "  --token-file <path>    the device token (fleetbook device token <device_id>);\n"
          "                         or set FLEETBOOK_DEVICE_TOKEN\n"
          "  --state-dir <dir>      persistent storage (default ./state)\n"
          "  --interval <s>         seconds between readings (default %u)\n"
          "  --heartbeat <s>        seconds between heartbeats (default %u, the catalog's)\n"
          "  --run-for <s>          stop after this many seconds (default: until SIGINT/SIGTERM)\n"
          "  --log-level <level>    error | warn | info | debug (default info)\n",
          argv0, FB_PRODUCT_CODE, FB_PRODUCT_VERSION, FB_FIRMWARE_VERSION, argv0, (unsigned)FB_TELEMETRY_INTERVAL_S, (unsigned)FB_HEARTBEAT_INTERVAL_S);
}

static int number(const char *flag, const char *value, unsigned long max, unsigned long *out) {
  char *end;
  unsigned long v = strtoul(value, &end, 10);
  if (*value == '\0' || *end != '\0' || v > max) {
    fprintf(stderr, "%s: expected a whole number up to %lu, got \"%s\"\n", flag, max, value);
    return -1;
  }
  *out = v;
  return 0;
}

static char token[512];

static int read_token(const char *path) {
  FILE *f = fopen(path, "r");
  size_t n;
  if (!f) {
    fprintf(stderr, "--token-file: cannot read %s\n", path);
    return -1;
  }
  n = fread(token, 1, sizeof token - 1, f);
  fclose(f);
  token[n] = '\0';
  while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' ')) token[--n] = '\0';
  return 0;
}

int main(int argc, char **argv) {
  app_config config;
  unsigned long v;
  const char *state_dir = "state";
  const char *env_token = getenv("FLEETBOOK_DEVICE_TOKEN");
  int i;
  struct sigaction sa;

  memset(&config, 0, sizeof config);
  config.host = "127.0.0.1";
  config.port = 1883;
  if (env_token) {
    strncpy(token, env_token, sizeof token - 1);
  }
  for (i = 1; i < argc; i++) {
    const char *flag = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
      usage(stdout, argv[0]);
      return 0;
    }
    if (!value) {
      fprintf(stderr, "%s: expected a value\n", flag);
      return 2;
    }
    i++;
    if (strcmp(flag, "--host") == 0) config.host = value;
    else if (strcmp(flag, "--port") == 0) {
      if (number(flag, value, 65535, &v) < 0) return 2;
      config.port = (uint16_t)v;
    } else if (strcmp(flag, "--site") == 0) config.site_id = value;
    else if (strcmp(flag, "--device") == 0) config.device_id = value;
    else if (strcmp(flag, "--token-file") == 0) {
      if (read_token(value) < 0) return 2;
    } else if (strcmp(flag, "--state-dir") == 0) state_dir = value;
    else if (strcmp(flag, "--interval") == 0) {
      if (number(flag, value, 86400, &v) < 0 || v == 0) return 2;
      config.telemetry_interval_s = (uint32_t)v;
    } else if (strcmp(flag, "--heartbeat") == 0) {
      if (number(flag, value, 86400, &v) < 0 || v == 0) return 2;
      config.heartbeat_interval_s = (uint32_t)v;
    } else if (strcmp(flag, "--run-for") == 0) {
      if (number(flag, value, 31536000, &v) < 0) return 2;
      config.run_for_s = (uint32_t)v;
    } else if (strcmp(flag, "--log-level") == 0) {
      static const char *const names[] = {"error", "warn", "info", "debug"};
      int level;
      for (level = 0; level < 4 && strcmp(names[level], value) != 0; level++) {
      }
      if (level == 4) {
        fprintf(stderr, "--log-level: expected error, warn, info or debug, got \"%s\"\n", value);
        return 2;
      }
      port_posix_set_log_level(level);
    } else {
      fprintf(stderr, "unknown option %s (see --help)\n", flag);
      return 2;
    }
  }
  if (!config.site_id || !config.device_id) {
    usage(stderr, argv[0]);
    return 2;
  }
  if (!token[0]) {
    fprintf(stderr, "no device token: pass --token-file or set FLEETBOOK_DEVICE_TOKEN (issue one with `fleetbook device token %s`)\n", config.device_id);
    return 2;
  }
  config.password = token;
  if (port_posix_set_state_dir(state_dir) < 0) {
    fprintf(stderr, "--state-dir: cannot use %s\n", state_dir);
    return 2;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  config.stop = &stop_requested;
  return app_run(&config);
}
