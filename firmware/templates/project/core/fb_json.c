#include "fb_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------ writer */

static void put(fb_json_writer *w, const char *s, size_t n) {
  if (w->overflow) return;
  if (w->len + n >= w->cap) {
    w->overflow = 1;
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  w->buf[w->len] = '\0';
}

static void puts_(fb_json_writer *w, const char *s) { put(w, s, strlen(s)); }

/* A value goes after its key; only a member (key) needs the comma. */
static void member(fb_json_writer *w) {
  if (w->depth <= 0) return;
  if (!w->first[w->depth]) put(w, ",", 1);
  w->first[w->depth] = 0;
}

void fb_jw_init(fb_json_writer *w, char *buf, size_t cap) {
  memset(w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
  if (cap > 0) buf[0] = '\0';
  else w->overflow = 1;
}

void fb_jw_begin_object(fb_json_writer *w) {
  put(w, "{", 1);
  if (w->depth + 1 >= FB_JSON_MAX_DEPTH) {
    w->overflow = 1;
    return;
  }
  w->depth++;
  w->first[w->depth] = 1;
}

void fb_jw_end_object(fb_json_writer *w) {
  put(w, "}", 1);
  if (w->depth > 0) w->depth--;
}

void fb_jw_key(fb_json_writer *w, const char *key) {
  member(w);
  fb_jw_string(w, key);
  put(w, ":", 1);
}

void fb_jw_string(fb_json_writer *w, const char *s) {
  put(w, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[8];
    switch (c) {
      case '"': puts_(w, "\\\""); break;
      case '\\': puts_(w, "\\\\"); break;
      case '\n': puts_(w, "\\n"); break;
      case '\r': puts_(w, "\\r"); break;
      case '\t': puts_(w, "\\t"); break;
      default:
        if (c < 0x20) {
          snprintf(esc, sizeof esc, "\\u%04x", c);
          puts_(w, esc);
        } else {
          put(w, (const char *)s, 1);
        }
    }
  }
  put(w, "\"", 1);
}

void fb_jw_number(fb_json_writer *w, double v, int digits) {
  char num[40];
  if (!isfinite(v)) {
    puts_(w, "null");
    return;
  }
  snprintf(num, sizeof num, "%.*g", digits, v);
  puts_(w, num);
}

void fb_jw_epoch(fb_json_writer *w, unsigned long seconds, unsigned ms) {
  char num[32];
  snprintf(num, sizeof num, "%lu.%03u", seconds, ms % 1000u);
  puts_(w, num);
}

void fb_jw_uint(fb_json_writer *w, unsigned long v) {
  char num[24];
  snprintf(num, sizeof num, "%lu", v);
  puts_(w, num);
}

void fb_jw_bool(fb_json_writer *w, int v) { puts_(w, v ? "true" : "false"); }

int fb_jw_finish(fb_json_writer *w) {
  if (w->overflow || w->depth != 0) return -1;
  return (int)w->len;
}

/* ---------------------------------------------------------------------------- tokenizer */

typedef struct {
  const char *js;
  size_t len;
  size_t pos;
  fb_jtok *toks;
  int max;
  int n;
} parser;

static void skip_ws(parser *p) {
  while (p->pos < p->len && (p->js[p->pos] == ' ' || p->js[p->pos] == '\t' || p->js[p->pos] == '\n' || p->js[p->pos] == '\r')) p->pos++;
}

static int token(parser *p, fb_jtype type, size_t start) {
  fb_jtok *t;
  if (p->n >= p->max) return -1;
  t = &p->toks[p->n];
  t->type = type;
  t->start = (int)start;
  t->end = (int)start;
  t->size = 0;
  t->next = p->n + 1;
  return p->n++;
}

static int parse_string(parser *p) {
  int t;
  p->pos++; /* opening quote */
  t = token(p, FB_JT_STRING, p->pos);
  if (t < 0) return -1;
  while (p->pos < p->len) {
    unsigned char c = (unsigned char)p->js[p->pos];
    if (c == '"') {
      p->toks[t].end = (int)p->pos;
      p->pos++;
      return t;
    }
    if (c < 0x20) return -1;
    if (c == '\\') {
      p->pos++;
      if (p->pos >= p->len) return -1;
      if (strchr("\"\\/bfnrtu", p->js[p->pos]) == NULL) return -1;
    }
    p->pos++;
  }
  return -1;
}

static int parse_value(parser *p, int depth);

static int parse_container(parser *p, int depth, int object) {
  int t = token(p, object ? FB_JT_OBJECT : FB_JT_ARRAY, p->pos);
  char close = object ? '}' : ']';
  if (t < 0 || depth >= FB_JSON_MAX_DEPTH) return -1;
  p->pos++;
  skip_ws(p);
  if (p->pos < p->len && p->js[p->pos] == close) {
    p->pos++;
    p->toks[t].next = p->n;
    return t;
  }
  for (;;) {
    skip_ws(p);
    if (object) {
      if (p->pos >= p->len || p->js[p->pos] != '"' || parse_string(p) < 0) return -1;
      skip_ws(p);
      if (p->pos >= p->len || p->js[p->pos] != ':') return -1;
      p->pos++;
    }
    if (parse_value(p, depth + 1) < 0) return -1;
    p->toks[t].size++;
    skip_ws(p);
    if (p->pos >= p->len) return -1;
    if (p->js[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->js[p->pos] != close) return -1;
    p->pos++;
    p->toks[t].next = p->n;
    return t;
  }
}

static int parse_value(parser *p, int depth) {
  char c;
  size_t start;
  int t;
  skip_ws(p);
  if (p->pos >= p->len) return -1;
  c = p->js[p->pos];
  if (c == '{') return parse_container(p, depth, 1);
  if (c == '[') return parse_container(p, depth, 0);
  if (c == '"') return parse_string(p);
  if (!(c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n')) return -1;
  start = p->pos;
  while (p->pos < p->len && strchr(" \t\r\n,]}", p->js[p->pos]) == NULL) p->pos++;
  t = token(p, FB_JT_PRIMITIVE, start);
  if (t < 0) return -1;
  p->toks[t].end = (int)p->pos;
  if (c == 't' || c == 'f' || c == 'n') {
    size_t n = p->pos - start;
    const char *s = p->js + start;
    if (!((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) || (n == 4 && memcmp(s, "null", 4) == 0))) return -1;
  } else {
    double ignored;
    if (fb_json_number(p->js, &p->toks[t], &ignored) < 0) return -1;
  }
  return t;
}

int fb_json_parse(const char *js, size_t len, fb_jtok *toks, int max) {
  parser p;
  p.js = js;
  p.len = len;
  p.pos = 0;
  p.toks = toks;
  p.max = max;
  p.n = 0;
  if (parse_value(&p, 0) < 0) return -1;
  skip_ws(&p);
  if (p.pos != p.len) return -1;
  return p.n;
}

int fb_json_member(const char *js, const fb_jtok *toks, int obj, const char *key) {
  int i = obj + 1;
  int k;
  size_t klen = strlen(key);
  if (toks[obj].type != FB_JT_OBJECT) return -1;
  for (k = 0; k < toks[obj].size; k++) {
    const fb_jtok *name = &toks[i];
    /* Keys with escapes never match a plain key: our keys have none. */
    if ((size_t)(name->end - name->start) == klen && memcmp(js + name->start, key, klen) == 0) return i + 1;
    i = toks[i + 1].next;
  }
  return -1;
}

static void utf8(char *out, size_t cap, size_t *len, unsigned long cp, int *ok) {
  unsigned char b[4];
  size_t n, i;
  if (cp < 0x80) {
    b[0] = (unsigned char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (unsigned char)(0xC0 | (cp >> 6));
    b[1] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (unsigned char)(0xE0 | (cp >> 12));
    b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (unsigned char)(0xF0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  if (*len + n >= cap) {
    *ok = 0;
    return;
  }
  for (i = 0; i < n; i++) out[(*len)++] = (char)b[i];
}

static int hex4(const char *s, unsigned long *out) {
  int i;
  unsigned long v = 0;
  for (i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned long)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned long)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned long)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

int fb_json_string(const char *js, const fb_jtok *t, char *out, size_t cap) {
  int i;
  size_t len = 0;
  int ok = 1;
  if (t->type != FB_JT_STRING || cap == 0) return -1;
  for (i = t->start; i < t->end && ok; i++) {
    char c = js[i];
    if (c != '\\') {
      if (len + 1 >= cap) return -1;
      out[len++] = c;
      continue;
    }
    c = js[++i];
    switch (c) {
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'u': {
        unsigned long cp, lo;
        if (i + 4 >= t->end || hex4(js + i + 1, &cp) < 0) return -1;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < t->end && js[i + 1] == '\\' && js[i + 2] == 'u' && hex4(js + i + 3, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          i += 6;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
          cp = 0xFFFD; /* a lone surrogate */
        }
        utf8(out, cap, &len, cp, &ok);
        continue;
      }
      default: break; /* " \ / stand for themselves */
    }
    if (len + 1 >= cap) return -1;
    out[len++] = c;
  }
  if (!ok) return -1;
  out[len] = '\0';
  return (int)len;
}

int fb_json_number(const char *js, const fb_jtok *t, double *out) {
  char buf[40];
  const char *s = js + t->start;
  size_t n = (size_t)(t->end - t->start);
  size_t i = 0;
  char *end;
  if (t->type != FB_JT_PRIMITIVE || n == 0 || n >= sizeof buf) return -1;
  /* JSON's grammar, stricter than strtod's: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  if (s[i] == '-') i++;
  if (i < n && s[i] == '0') i++;
  else if (i < n && s[i] >= '1' && s[i] <= '9') while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  else return -1;
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return -1;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return -1;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  }
  if (i != n) return -1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  *out = strtod(buf, &end);
  return isfinite(*out) ? 0 : -1;
}

int fb_json_bool(const char *js, const fb_jtok *t, int *out) {
  if (t->type != FB_JT_PRIMITIVE) return -1;
  if (t->end - t->start == 4 && memcmp(js + t->start, "true", 4) == 0) *out = 1;
  else if (t->end - t->start == 5 && memcmp(js + t->start, "false", 5) == 0) *out = 0;
  else return -1;
  return 0;
}
