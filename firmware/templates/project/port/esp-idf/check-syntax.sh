#!/bin/sh
# Checks this ESP-IDF port with the host's gcc against the header shims in shims/ (not ESP-IDF:
# see shims/README.md). It proves the port is valid C against the API it calls; only
# `idf.py build` proves it builds for a chip.
set -e
cd "$(dirname "$0")"
${CC:-gcc} -std=gnu99 -fsyntax-only -Wall -Wextra -Werror -DFB_RING_CAPACITY=256 \
  -Ishims -I. -I.. -I../../core -I../../app \
  port_esp_idf.c board.c esp_main.c ../../app/main.c
echo "port/esp-idf: syntax OK against the shims (gcc -fsyntax-only)"
