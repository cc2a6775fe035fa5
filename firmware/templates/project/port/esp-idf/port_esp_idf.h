/* What the ESP-IDF entry point needs from the board (board.c). */
#ifndef PORT_ESP_IDF_H
#define PORT_ESP_IDF_H

/* Brings up Wi-Fi or the modem and starts SNTP; returns 0 when the network is up, else -1. */
int port_board_network_up(void);

#endif
