/*
 * model.h: the running configuration, as plain immutable data.
 *
 * config_load() builds one struct model from app.json and devices.json after
 * validating both whole; the engine then only reads it.  Cross references are
 * array indices (a device names its connector by index), resolved once by the
 * loader, so nothing downstream looks ids up by string on a hot path.
 * A config reload builds a new model and swaps the pointer; nobody edits one.
 */
#ifndef JOPE_MODEL_H
#define JOPE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compliance/approval.h"
#include "plant/alarm.h"
#include "plant/maintenance.h"

#define MODEL_ID_MAX 64     /* ids: [A-Za-z0-9_.-], 1..63 chars */
#define MODEL_NAME_MAX 128
#define MODEL_UNIT_MAX 16
#define MODEL_TEXT_MAX 256

enum connector_kind { CONNECTOR_TCP, CONNECTOR_RTU };

/* A communication line: one TCP endpoint or one serial port (rule 2). */
struct connector {
	char id[MODEL_ID_MAX];
	enum connector_kind kind;
	char host[MODEL_NAME_MAX];  /* tcp */
	int port;                   /* tcp, 1..65535 */
	char serial[MODEL_NAME_MAX];/* rtu: /dev/ttyUSB0 */
	int baud;                   /* rtu */
	char parity;                /* rtu: 'N', 'E' or 'O' */
	int data_bits;              /* rtu: 7 or 8 */
	int stop_bits;              /* rtu: 1 or 2 */
	int timeout_ms;             /* response timeout, default 1000 */
	int64_t max_hold_ms;        /* most a device may hold the line while
	                               others wait; 0 = no limit (rule 4 as is) */
	int rs485;                  /* rtu: switch the port to RS-485 mode */
	enum rts_mode { RTS_NONE, RTS_UP, RTS_DOWN } rts;  /* rtu: RTS control */
	int inter_frame_delay_ms;   /* rtu: silence added between frames */
};

/* A logical device: one Modbus unit on one line. */
struct device {
	char id[MODEL_ID_MAX];
	char name[MODEL_NAME_MAX];
	size_t connector;           /* index into model.connectors */
	int unit_id;                /* 0..247 (tcp may use 255) */
	int max_gap;                /* registers a merged read may skip, 0..124;
	                               default 0: never read across a gap */
	int clock_address;          /* holding registers of the device clock:
	                               uint32 Unix seconds (ABCD) at it, uint16
	                               milliseconds at +2; -1 = no clock */
};

enum modbus_table {
	TABLE_COIL,                 /* "coil", 0x, 1 bit */
	TABLE_DISCRETE_INPUT,       /* "discrete_input", 1x, 1 bit */
	TABLE_INPUT_REGISTER,       /* "input_register", 3x, 16 bit */
	TABLE_HOLDING_REGISTER      /* "holding_register", 4x, 16 bit */
};

enum value_type {
	VALUE_BOOL,                 /* "bool": coil / discrete input, or reg != 0 */
	VALUE_U16, VALUE_I16,       /* "uint16", "int16": one register */
	VALUE_U32, VALUE_I32,       /* "uint32", "int32": two registers */
	VALUE_F32,                  /* "float32": two registers, IEEE 754 */
	VALUE_U64, VALUE_I64,       /* "uint64", "int64": four registers */
	VALUE_F64                   /* "float64": four registers, IEEE 754 */
};

/*
 * Byte order of a multi-register value, named by where the bytes A (most
 * significant) .. D land in the registers as transmitted:
 * "ABCD" big-endian (Modbus default), "CDAB" word-swapped,
 * "BADC" byte-swapped, "DCBA" little-endian.  For 16-bit values only the
 * first pair matters: AB normal, BA swapped.  64-bit values extend the same
 * pattern to four registers: ABCD = registers in big-endian word order with
 * big-endian bytes, CDAB = word order reversed, BADC = bytes swapped in
 * each register, DCBA = fully little-endian.
 */
enum byte_order { ORDER_ABCD, ORDER_CDAB, ORDER_BADC, ORDER_DCBA };

/*
 * What the simulator serves for a point (ignored by the console):
 * value(t) = base + amplitude * wave(t / period_s + phase) + noise * N(0,1),
 * wave is sine, square (SMB port switching), sawtooth or constant.
 */
enum sim_wave { SIM_CONSTANT, SIM_SINE, SIM_SQUARE, SIM_SAWTOOTH };
struct sim_profile {
	enum sim_wave wave;
	double base, amplitude, period_s, phase, noise;
};

/* A data point: one process value of one device. */
struct point {
	char id[MODEL_ID_MAX];      /* unique over the whole plant */
	char name[MODEL_NAME_MAX];
	size_t device;              /* index into model.devices */
	enum modbus_table table;
	int address;                /* 0..65535, last register must fit too */
	enum value_type type;
	enum byte_order order;
	double scale;               /* engineering = raw * scale + offset */
	double offset;
	char unit[MODEL_UNIT_MAX];
	int writable;               /* setpoint: may be written (holding
	                               register or coil only) */
	struct sim_profile sim;
	bool has_alarms;            /* devices.json "alarms" given */
	struct alarm_limits alarms; /* HH/H/L/LL, deadband, delay */
};

/*
 * A spectrum: pixels values of one type in consecutive registers of one
 * device (a Raman gateway's input registers).  Read in chunks of at most
 * 125 registers that never split a pixel.
 */
struct spectrum {
	char id[MODEL_ID_MAX];
	size_t device;              /* index into model.devices */
	enum modbus_table table;    /* input_register or holding_register */
	int address;
	int pixels;                 /* 1..16384; the last register must fit */
	enum value_type type;       /* uint16, int16, float32 (default) */
	enum byte_order order;
};

/*
 * A recipe (devices.json "recipes"): what a batch runs.  run_ms is one
 * SMB run (cycle): a graceful stop finishes the run in progress.
 */
struct recipe {
	char id[MODEL_ID_MAX];
	char name[MODEL_NAME_MAX];
	char version[32];
	int64_t run_ms;             /* > 0 */
	int64_t expected_ms;        /* the whole batch, > 0 */
	size_t *points;             /* the points that matter: indices into
	                               model.points, shown on the batch screen */
	size_t npoints;
};

/* A periodic event: every period_ms (+ phase_ms) collect these points. */
struct periodic_event {
	char id[MODEL_ID_MAX];
	int64_t period_ms;          /* >= 100 */
	int64_t phase_ms;           /* 0 <= phase < period */
	size_t *points;             /* indices into model.points */
	size_t npoints;
	size_t *spectra;            /* indices into model.spectra */
	size_t nspectra;
};

struct executor_defaults {
	int64_t keep_alive_ms;      /* -n, default 10000 */
	int64_t guard_ms;           /* -s, default 20000 */
	int retries;                /* -r, default 3 */
	int64_t hard_error_ms;      /* -d, default 300000 */
	int threads;                /* -t, default 512 */
};

/* app.json "historian": where and how the uploader forwards the spool. */
struct historian_config {
	char password_file[MODEL_TEXT_MAX]; /* "" = PGPASSWORD/PGPASSFILE */
	int64_t batch_rows;         /* samples per upload transaction */
	int64_t retry_min_ms;       /* reconnect backoff, doubling ... */
	int64_t retry_max_ms;       /* ... up to this */
	int64_t timeout_ms;         /* connect and each request */
	int retention_years;        /* samples kept in the historian */
};

/* app.json "inference": the link to the inference host (inference/). */
struct inference_config {
	char model[MODEL_ID_MAX];   /* model asked for predictions */
	int64_t timeout_ms;         /* a reply later than this is lost */
	int64_t heartbeat_ms;       /* heartbeat interval */
	double target_p95_ms;       /* p95 above it: degraded */
	int latency_window;         /* round trips in the percentiles */
	int queue_max;              /* spectra waiting for a predict */
};

/* app.json "storage": the spool. */
struct storage_config {
	bool sync_full;             /* "durability": "full" (default) or "normal" */
	int64_t retention_ms;       /* purge older records, default 90 days */
	int64_t max_bytes;          /* largest spool file, 0 = the disk */
	int64_t min_free_bytes;     /* alarm below this free disk space */
};

/* app.json "compliance": passwords and e-signatures. */
struct compliance_config {
	int max_failures;           /* failed logins before a lock-out, 5 */
	int64_t lockout_ms;         /* length of a lock-out, 15 min */
	int kdf;                    /* enum ks_kdf for new passwords */
};

struct app_config {
	char site[MODEL_NAME_MAX];
	char console_id[MODEL_ID_MAX];
	char language[16];          /* "", "en", "zh_TW" (empty: from locale) */
	char theme[16];             /* "dark", "light", "mono" */
	char inference_endpoint[MODEL_TEXT_MAX];  /* "" = not configured */
	char historian_conninfo[MODEL_TEXT_MAX];  /* "" = local store only */
	char storage_path[MODEL_TEXT_MAX];        /* spool file; relative to state dir */
	struct historian_config historian;
	struct inference_config inference;
	struct storage_config storage;
	struct compliance_config compliance;
	struct approval_policy signatures;  /* who signs what (4-eyes) */
	struct executor_defaults executor;
};

struct model {
	struct app_config app;
	struct connector *connectors;
	size_t nconnectors;
	struct device *devices;
	size_t ndevices;
	struct point *points;
	size_t npoints;
	struct spectrum *spectra;
	size_t nspectra;
	struct periodic_event *events;
	size_t nevents;
	struct recipe *recipes;             /* devices.json "recipes" */
	size_t nrecipes;
	struct maint_window *maintenance;   /* app.json "maintenance" */
	size_t nmaintenance;
};

void model_free(struct model *m);

/* Index of the element with this id, or -1. */
long model_find_connector(const struct model *m, const char *id);
long model_find_device(const struct model *m, const char *id);
long model_find_point(const struct model *m, const char *id);
long model_find_recipe(const struct model *m, const char *id);
long model_find_spectrum(const struct model *m, const char *id);

/* Number of 16-bit registers (or bits, for bit tables) a point occupies. */
int point_width(const struct point *p);
/* Registers of one value of type t (1, 2 or 4). */
int value_type_width(enum value_type t);

/* Names used in the JSON files and in logs. */
const char *modbus_table_name(enum modbus_table t);
const char *value_type_name(enum value_type t);
const char *byte_order_name(enum byte_order o);

#endif
