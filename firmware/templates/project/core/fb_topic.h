/* contracts.md: fleetbook/v1/{site_id}/{device_id}/{kind}. Brokers may change, topics do not. */
#ifndef FB_TOPIC_H
#define FB_TOPIC_H

#include <stddef.h>

typedef enum { FB_TOPIC_TELEMETRY, FB_TOPIC_HEARTBEAT, FB_TOPIC_STATE, FB_TOPIC_CMD, FB_TOPIC_CMD_RESULT } fb_topic_kind;

/* A usable id: 1..FB_ID_MAX-1 characters, none of them '/', '+', '#' or a control character. */
int fb_topic_id_ok(const char *id);

/* Writes the topic into out (NUL-terminated); returns its length, or -1 when an id is unusable
 * or the topic does not fit. */
int fb_topic_build(char *out, size_t cap, const char *site_id, const char *device_id, fb_topic_kind kind);

#endif
