/* A bounded JSON writer (payloads) and a small tokenizer (commands). No allocation: the caller
 * owns every buffer. */
#ifndef FB_JSON_H
#define FB_JSON_H

#include <stddef.h>

#define FB_JSON_MAX_DEPTH 6

typedef struct {
  char *buf;
  size_t cap;
  size_t len;
  int overflow;
  int depth;
  unsigned char first[FB_JSON_MAX_DEPTH]; /* no member written yet at this depth */
} fb_json_writer;

void fb_jw_init(fb_json_writer *w, char *buf, size_t cap);
void fb_jw_begin_object(fb_json_writer *w);
void fb_jw_end_object(fb_json_writer *w);
void fb_jw_key(fb_json_writer *w, const char *key);
void fb_jw_string(fb_json_writer *w, const char *s);
/* Numbers: `digits` significant digits; a NaN or infinity (not JSON) is written as null. */
void fb_jw_number(fb_json_writer *w, double v, int digits);
/* Epoch seconds with milliseconds: 1795000000.250 */
void fb_jw_epoch(fb_json_writer *w, unsigned long seconds, unsigned ms);
void fb_jw_uint(fb_json_writer *w, unsigned long v);
void fb_jw_bool(fb_json_writer *w, int v);
/* The length written, or -1 when it did not fit (the buffer then holds no usable JSON). */
int fb_jw_finish(fb_json_writer *w);

typedef enum { FB_JT_OBJECT, FB_JT_ARRAY, FB_JT_STRING, FB_JT_PRIMITIVE } fb_jtype;

typedef struct {
  fb_jtype type;
  int start; /* strings: after the opening quote */
  int end;   /* strings: at the closing quote */
  int size;  /* objects: members; arrays: elements */
  int next;  /* the index after this token and its descendants */
} fb_jtok;

/* Tokenizes one JSON document; returns the number of tokens, or -1 (invalid JSON or more than
 * max tokens). Token 0 is the root. */
int fb_json_parse(const char *js, size_t len, fb_jtok *toks, int max);
/* The index of the value of `key` in the object at token `obj`, or -1. */
int fb_json_member(const char *js, const fb_jtok *toks, int obj, const char *key);
/* A string token, unescaped into out; returns its length, or -1 (not a string, bad escape, too long). */
int fb_json_string(const char *js, const fb_jtok *t, char *out, size_t cap);
/* A number token; returns 0, or -1 when it is not a JSON number. */
int fb_json_number(const char *js, const fb_jtok *t, double *out);
/* A true/false token; returns 0, or -1. */
int fb_json_bool(const char *js, const fb_jtok *t, int *out);

#endif
