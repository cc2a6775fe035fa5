/* Shim for the syntax check only (see README.md): the queue calls port/esp-idf uses (in FreeRTOS
 * they are macros over xQueueGeneric*; the call shapes are the same). */
#ifndef SHIM_FREERTOS_QUEUE_H
#define SHIM_FREERTOS_QUEUE_H
#include "freertos/FreeRTOS.h"
typedef struct QueueDefinition *QueueHandle_t;
QueueHandle_t xQueueCreate(UBaseType_t length, UBaseType_t item_size);
BaseType_t xQueueSend(QueueHandle_t queue, const void *item, TickType_t wait);
BaseType_t xQueueReceive(QueueHandle_t queue, void *buffer, TickType_t wait);
#endif
