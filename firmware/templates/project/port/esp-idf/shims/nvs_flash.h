/* Shim for the syntax check only (see README.md). */
#ifndef SHIM_NVS_FLASH_H
#define SHIM_NVS_FLASH_H
#include "esp_err.h"
esp_err_t nvs_flash_init(void);
esp_err_t nvs_flash_erase(void);
#endif
