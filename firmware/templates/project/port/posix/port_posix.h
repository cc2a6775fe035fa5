/* Settings of the POSIX port, made by posix_main.c from the command line. */
#ifndef PORT_POSIX_H
#define PORT_POSIX_H

/* Where port_storage_* keeps its files (created if missing); returns 0 or -1. */
int port_posix_set_state_dir(const char *dir);
/* PORT_LOG_ERROR … PORT_LOG_DEBUG */
void port_posix_set_log_level(int level);

#endif
