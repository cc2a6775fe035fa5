/* Sizes of everything the core keeps. All storage is static: the core never allocates. */
#ifndef FB_CONFIG_H
#define FB_CONFIG_H

/* Readings kept while the broker is unreachable; the oldest is dropped (and counted) when full. */
#ifndef FB_RING_CAPACITY
#define FB_RING_CAPACITY 256
#endif

/* A site or device id: a prefix and a url-safe body of at most 64 characters (contracts: ids). */
#define FB_ID_MAX 72
/* fleetbook/v1/{site_id}/{device_id}/cmd/result */
#define FB_TOPIC_MAX 192
/* One encoded message (telemetry, heartbeat, state, cmd/result). */
#ifndef FB_PAYLOAD_MAX
#define FB_PAYLOAD_MAX 1024
#endif
/* A received command message. */
#ifndef FB_CMD_PAYLOAD_MAX
#define FB_CMD_PAYLOAD_MAX 2048
#endif
/* cmd_ + at most 64 characters */
#define FB_CMD_ID_MAX 72
#define FB_ACTION_MAX 65
#define FB_DETAIL_MAX 200
/* Tokens of a command's JSON: the message, its params and their values. */
#define FB_JSON_TOKENS 64
/* Commands remembered to drop a QoS 1 redelivery instead of applying it twice. */
#define FB_SEEN_COMMANDS 8
/* Telemetry messages published and not yet acknowledged (QoS 1). */
#define FB_INFLIGHT_MAX 8
/* The msg_id counter is written to storage once per this many messages (flash wear). */
#define FB_MSG_ID_BLOCK 64

#endif
