/*
 * test_config.c: the specification of the configuration loader.
 *
 * Each error class has a table of small edits to one valid devices.json (or
 * whole app.json texts); every edit must yield exactly one error, at the
 * exact file, line, column and JSON path, with the exact message.  The
 * positions were counted independently of the code under test (by code
 * point, as jsonpos.h defines columns).  Fixtures are written with ' for "
 * so that they read like the JSON they are; they go to a fresh mkdtemp(3)
 * directory per case.  jsonpos has its own tests first, since every
 * position below depends on it.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/jsonpos.h"
#include "core/util.h"

struct mutation {
	const char *from, *to;      /* edit to base_devices */
	int line, column;
	const char *path, *message;
};

struct app_case {
	const char *app;            /* whole app.json */
	int line, column;
	const char *path, *message;
};

#define IDMSG "invalid id: use 1 to 63 characters from A-Z a-z 0-9 _ . -"
#define PWMSG "must not contain a password: give it in password_file, " \
	"PGPASSFILE or PGPASSWORD"

static const char app_ok[] = "{'site': 'Plant', 'console_id': 'c-1'}\n";

static const char base_devices[] =
    "{\n"
    "  'connectors': [\n"
    "    {'id': 'tcp1', 'kind': 'tcp', 'host': '10.0.0.1', 'port': 502},\n"
    "    {'id': 'rtu1', 'kind': 'rtu', 'serial': '/dev/ttyUSB0', 'baud': 19200}\n"
    "  ],\n"
    "  'devices': [\n"
    "    {'id': 'pump', 'connector': 'tcp1', 'unit_id': 1},\n"
    "    {'id': 'tic1', 'connector': 'rtu1', 'unit_id': 1},\n"
    "    {'id': 'tic2', 'name': 'Oven 2', 'connector': 'rtu1', 'unit_id': 2}\n"
    "  ],\n"
    "  'points': [\n"
    "    {'id': 'flow', 'device': 'pump', 'table': 'input_register', 'address': 0, 'type': 'float32'},\n"
    "    {'id': 't1', 'device': 'tic1', 'table': 'holding_register', 'address': 10, 'type': 'int16', 'scale': 0.1, 'unit': '°C'},\n"
    "    {'id': 't2', 'device': 'tic2', 'table': 'holding_register', 'address': 10, 'type': 'int16', 'scale': 0.1, 'unit': '°C'},\n"
    "    {'id': 'run', 'device': 'pump', 'table': 'coil', 'address': 3, 'type': 'bool'}\n"
    "  ],\n"
    "  'events': [\n"
    "    {'id': 'fast', 'period_ms': 1000, 'points': ['flow', 'run']},\n"
    "    {'id': 'slow', 'period_ms': 5000, 'phase_ms': 250, 'devices': ['tic1', 'tic2']}\n"
    "  ]\n"
    "}\n";

static const struct mutation unknown_cases[] = {
	{ "'unit_id': 2}",
	    "'unit_id': 2, 'colour': 'red'}",
	    9, 73, "$.devices[2].colour", "unknown key \"colour\"" },
	{ "'type': 'bool'}",
	    "'type': 'bool', 'sim': {'wave': 'square', 'perod_s': 120}}",
	    15, 110, "$.points[3].sim.perod_s", "unknown key \"perod_s\" (did you mean \"period_s\"?)" },
	{ "  'events': [",
	    "  'event': [",
	    17, 3, "$.event", "unknown key \"event\" (did you mean \"events\"?)" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': 8, 'colour': 1}\n  ],\n  'events': [",
	    18, 67, "$.spectra[0].colour", "unknown key \"colour\"" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': 8, 'pixel': 1}\n  ],\n  'events': [",
	    18, 67, "$.spectra[0].pixel", "unknown key \"pixel\" (did you mean \"pixels\"?)" },
};

static const struct mutation type_cases[] = {
	{ "'port': 502",
	    "'port': '502'",
	    3, 63, "$.connectors[0].port", "expected an integer, got a string" },
	{ "'address': 0,",
	    "'address': 0.5,",
	    12, 76, "$.points[0].address", "expected an integer, got a number" },
	{ "'scale': 0.1",
	    "'scale': true",
	    13, 106, "$.points[1].scale", "expected a number, got a boolean" },
	{ "'devices': ['tic1', 'tic2']",
	    "'devices': 'tic1'",
	    19, 67, "$.events[1].devices", "expected an array, got a string" },
	{ "{'id': 'slow', 'period_ms': 5000, 'phase_ms': 250, 'devices': ['tic1', 'tic2']}",
	    "null",
	    19, 5, "$.events[1]", "expected an object, got null" },
	{ "'name': 'Oven 2'",
	    "'name': 2",
	    9, 28, "$.devices[2].name", "expected a string, got an integer" },
	{ "'type': 'bool'}",
	    "'type': 'bool', 'writable': 1}",
	    15, 96, "$.points[3].writable", "expected a boolean, got an integer" },
	{ "  'events': [",
	    "  'spectra': {},\n  'events': [",
	    17, 14, "$.spectra", "expected an array, got an object" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': '8'}\n  ],\n  'events': [",
	    18, 64, "$.spectra[0].pixels", "expected an integer, got a string" },
	{ "'points': ['flow', 'run']",
	    "'points': ['flow', 'run'], 'spectra': 'flow'",
	    18, 77, "$.events[0].spectra", "expected an array, got a string" },
	{ "'unit_id': 1}",
	    "'unit_id': 1, 'max_gap': '2'}",
	    7, 66, "$.devices[0].max_gap", "expected an integer, got a string" },
};

static const struct mutation missing_cases[] = {
	{ "{'id': 'pump', 'connector': 'tcp1', 'unit_id': 1}",
	    "{'id': 'pump', 'connector': 'tcp1'}",
	    7, 5, "$.devices[0]", "missing required key \"unit_id\"" },
	{ "'host': '10.0.0.1', ",
	    "",
	    3, 5, "$.connectors[0]", "missing required key \"host\"" },
	{ "'serial': '/dev/ttyUSB0', ",
	    "",
	    4, 5, "$.connectors[1]", "missing required key \"serial\"" },
	{ "{'id': 'run', 'device': 'pump', 'table': 'coil', ",
	    "{'id': 'run', 'device': 'pump', ",
	    15, 5, "$.points[3]", "missing required key \"table\"" },
	{ "{'id': 'slow', ",
	    "{",
	    19, 5, "$.events[1]", "missing required key \"id\"" },
	{ "{'id': 'fast', 'period_ms': 1000, 'points': ['flow', 'run']}",
	    "{'id': 'fast', 'period_ms': 1000}",
	    18, 5, "$.events[0]", "missing required key \"points\", \"devices\" or \"spectra\"" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100}\n  ],\n  'events': [",
	    18, 5, "$.spectra[0]", "missing required key \"pixels\"" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'address': 100, 'pixels': 8}\n  ],\n  'events': [",
	    18, 5, "$.spectra[0]", "missing required key \"device\"" },
};

static const struct mutation dangling_cases[] = {
	{ "'connector': 'tcp1'",
	    "'connector': 'tcp9'",
	    7, 33, "$.devices[0].connector", "unknown connector \"tcp9\"" },
	{ "'device': 'pump', 'table': 'input_register'",
	    "'device': 'pumpX', 'table': 'input_register'",
	    12, 30, "$.points[0].device", "unknown device \"pumpX\"" },
	{ "['flow', 'run']",
	    "['flow', 'walk']",
	    18, 58, "$.events[0].points[1]", "unknown point \"walk\"" },
	{ "['tic1', 'tic2']",
	    "['tic1', 'tic3']",
	    19, 76, "$.events[1].devices[1]", "unknown device \"tic3\"" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'raman', 'address': 100, 'pixels': 8}\n  ],\n  'events': [",
	    18, 30, "$.spectra[0].device", "unknown device \"raman\"" },
	{ "['flow', 'run']",
	    "['flow', 'run'], 'spectra': ['walk']",
	    18, 78, "$.events[0].spectra[0]", "unknown spectrum \"walk\"" },
	{ "['flow', 'run']",
	    "['flow', 'run'], 'spectra': ['run']",
	    18, 78, "$.events[0].spectra[0]", "unknown spectrum \"run\"" },
};

static const struct mutation duplicate_cases[] = {
	{ "'baud': 19200}",
	    "'baud': 19200},\n    {'id': 'tcp1', 'kind': 'tcp', 'host': 'h', 'port': 1}",
	    5, 12, "$.connectors[2].id", "duplicate connector id \"tcp1\" (first at line 3)" },
	{ "'unit_id': 2}",
	    "'unit_id': 2},\n    {'id': 'pump', 'connector': 'tcp1', 'unit_id': 3}",
	    10, 12, "$.devices[3].id", "duplicate device id \"pump\" (first at line 7)" },
	{ "'type': 'bool'}",
	    "'type': 'bool'},\n    {'id': 'flow', 'device': 'tic2', 'table': 'coil', 'address': 4, 'type': 'bool'}",
	    16, 12, "$.points[4].id", "duplicate point id \"flow\" (first at line 12)" },
	{ "'devices': ['tic1', 'tic2']}",
	    "'devices': ['tic1', 'tic2']},\n    {'id': 'fast', 'period_ms': 2000, 'points': ['t1']}",
	    20, 12, "$.events[2].id", "duplicate event id \"fast\" (first at line 18)" },
	{ "'connector': 'tcp1', 'unit_id': 1}",
	    "'connector': 'tcp1', 'unit_id': 1, 'unit_id': 4}",
	    7, 55, "$.devices[0].unit_id", "duplicate key (first at line 7, column 41)" },
	/* One physical line must be one connector (rule 2). */
	{ "'baud': 19200}",
	    "'baud': 19200},\n    {'id': 'tcp2', 'kind': 'tcp', 'host': '10.0.0.1', 'port': 502}",
	    5, 63, "$.connectors[2].port",
	    "connector \"tcp2\" is the same line as connector \"tcp1\"; put both lines' devices under one connector" },
	{ "'baud': 19200}",
	    "'baud': 19200},\n    {'id': 'rtu2', 'kind': 'rtu', 'serial': '/dev/ttyUSB0', 'baud': 9600}",
	    5, 45, "$.connectors[2].serial",
	    "connector \"rtu2\" is the same line as connector \"rtu1\"; put both lines' devices under one connector" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': 8},\n    {'id': 'spec', 'device': 'pump', 'address': 200, 'pixels': 8}\n  ],\n  'events': [",
	    19, 12, "$.spectra[1].id", "duplicate spectrum id \"spec\" (first at line 18)" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'flow', 'device': 'pump', 'address': 100, 'pixels': 8}\n  ],\n  'events': [",
	    18, 12, "$.spectra[0].id", "spectrum id \"flow\" is already a point id (line 12)" },
};

static const struct mutation range_cases[] = {
	{ "'address': 0, 'type': 'float32'",
	    "'address': 65535, 'type': 'float32'",
	    12, 76, "$.points[0].address", "a float32 at 65535 ends at register 65536, past 65535" },
	{ "'address': 10, 'type': 'int16'",
	    "'address': 65536, 'type': 'int16'",
	    13, 76, "$.points[1].address", "65536 is out of range (0..65535)" },
	{ "'address': 10, 'type': 'int16'",
	    "'address': -1, 'type': 'int16'",
	    13, 76, "$.points[1].address", "-1 is out of range (0..65535)" },
	{ "'unit_id': 2}",
	    "'unit_id': 248}",
	    9, 70, "$.devices[2].unit_id", "unit id is out of range (0..247, or 255 on tcp)" },
	{ "'unit_id': 2}",
	    "'unit_id': 255}",
	    9, 70, "$.devices[2].unit_id", "unit id 255 is only valid on a tcp connector" },
	{ "'unit_id': 2}",
	    "'unit_id': 256}",
	    9, 70, "$.devices[2].unit_id", "256 is out of range (0..255)" },
	{ "'port': 502",
	    "'port': 0",
	    3, 63, "$.connectors[0].port", "0 is out of range (1..65535)" },
	{ "'port': 502",
	    "'port': 65536",
	    3, 63, "$.connectors[0].port", "65536 is out of range (1..65535)" },
	{ "'period_ms': 1000",
	    "'period_ms': 99",
	    18, 33, "$.events[0].period_ms", "99 is out of range (100..604800000)" },
	{ "'phase_ms': 250",
	    "'phase_ms': 5000",
	    19, 51, "$.events[1].phase_ms", "5000 is out of range (0..4999)" },
	{ "'phase_ms': 250",
	    "'phase_ms': -1",
	    19, 51, "$.events[1].phase_ms", "-1 is out of range (0..4999)" },
	{ "'baud': 19200",
	    "'baud': 0",
	    4, 69, "$.connectors[1].baud", "0 is out of range (1..2147483647)" },
	{ "'baud': 19200",
	    "'baud': 19200, 'data_bits': 9",
	    4, 89, "$.connectors[1].data_bits", "9 is out of range (7..8)" },
	{ "'baud': 19200",
	    "'baud': 19200, 'stop_bits': 3",
	    4, 89, "$.connectors[1].stop_bits", "3 is out of range (1..2)" },
	{ "'port': 502",
	    "'port': 502, 'timeout_ms': 0",
	    3, 82, "$.connectors[0].timeout_ms", "0 is out of range (1..60000)" },
	{ "'table': 'coil', 'address': 3",
	    "'table': 'holding_register', 'address': 3",
	    15, 88, "$.points[3].type", "bool is only allowed on coil and discrete_input tables" },
	{ "'address': 3, 'type': 'bool'",
	    "'address': 3, 'type': 'uint16'",
	    15, 76, "$.points[3].type", "a coil table holds only bool values" },
	{ "'type': 'bool'}",
	    "'type': 'bool', 'sim': {'phase': 1.5}}",
	    15, 101, "$.points[3].sim.phase", "1.5 is out of range (0..1)" },
	{ "'type': 'bool'}",
	    "'type': 'bool', 'sim': {'period_s': 0}}",
	    15, 104, "$.points[3].sim.period_s", "0 is out of range (0.001..1e+09)" },
	{ "'scale': 0.1",
	    "'scale': 0",
	    13, 106, "$.points[1].scale", "must not be 0" },
	{ "'host': '10.0.0.1'",
	    "'host': ''",
	    3, 43, "$.connectors[0].host", "must not be empty" },
	{ "'port': 502}",
	    "'port': 502, 'baud': 9600}",
	    3, 68, "$.connectors[0].baud", "\"baud\" does not apply to a tcp connector" },
	{ "'baud': 19200}",
	    "'baud': 19200, 'port': 502}",
	    4, 76, "$.connectors[1].port", "\"port\" does not apply to a rtu connector" },
	{ "'unit_id': 1}",
	    "'unit_id': 1, 'max_gap': 125}",
	    7, 66, "$.devices[0].max_gap", "125 is out of range (0..124)" },
	{ "'unit_id': 1}",
	    "'unit_id': 1, 'max_gap': -1}",
	    7, 66, "$.devices[0].max_gap", "-1 is out of range (0..124)" },
	{ "'unit_id': 2}",
	    "'unit_id': 2, 'clock_address': 65534}",
	    9, 90, "$.devices[2].clock_address", "65534 is out of range (0..65533)" },
	{ "'unit_id': 2}",
	    "'unit_id': 2, 'clock_address': -1}",
	    9, 90, "$.devices[2].clock_address", "-1 is out of range (0..65533)" },
	{ "'address': 0, 'type': 'float32'",
	    "'address': 65533, 'type': 'float64'",
	    12, 76, "$.points[0].address", "a float64 at 65533 ends at register 65536, past 65535" },
	{ "'address': 0, 'type': 'float32'",
	    "'address': 0, 'type': 'float32', 'writable': true",
	    12, 110, "$.points[0].writable", "cannot be written: the table is input_register; only holding_register and coil points are writable" },
	{ "'type': 'bool'}",
	    "'type': 'bool'},\n    {'id': 'alarm', 'device': 'pump', 'table': 'discrete_input', 'address': 0, 'type': 'bool', 'writable': true}",
	    16, 108, "$.points[4].writable", "cannot be written: the table is discrete_input; only holding_register and coil points are writable" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': 0}\n  ],\n  'events': [",
	    18, 64, "$.spectra[0].pixels", "0 is out of range (1..16384)" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': 16385}\n  ],\n  'events': [",
	    18, 64, "$.spectra[0].pixels", "16385 is out of range (1..16384)" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 65000, 'pixels': 300}\n  ],\n  'events': [",
	    18, 49, "$.spectra[0].address", "300 float32 pixels at 65000 end at register 65599, past 65535" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 65000, 'pixels': 537, 'type': 'int16'}\n  ],\n  'events': [",
	    18, 49, "$.spectra[0].address", "537 int16 pixels at 65000 end at register 65536, past 65535" },
	{ "'points': ['flow', 'run']",
	    "'spectra': []",
	    18, 5, "$.events[0]", "selects no points and no spectra" },
};

static const struct mutation enum_cases[] = {
	{ "'table': 'input_register'",
	    "'table': 'holding'",
	    12, 47, "$.points[0].table", "\"holding\" is not one of \"coil\", \"discrete_input\", \"input_register\", \"holding_register\"" },
	{ "'type': 'float32'",
	    "'type': 'float32', 'byte_order': 'ABDC'",
	    12, 112, "$.points[0].byte_order", "\"ABDC\" is not one of \"ABCD\", \"CDAB\", \"BADC\", \"DCBA\"" },
	{ "'kind': 'tcp'",
	    "'kind': 'udp'",
	    3, 28, "$.connectors[0].kind", "\"udp\" is not one of \"tcp\", \"rtu\"" },
	{ "'baud': 19200",
	    "'baud': 19200, 'parity': 'X'",
	    4, 86, "$.connectors[1].parity", "\"X\" is not one of \"N\", \"E\", \"O\"" },
	{ "'type': 'bool'}",
	    "'type': 'bool', 'sim': {'wave': 'triangle'}}",
	    15, 100, "$.points[3].sim.wave", "\"triangle\" is not one of \"constant\", \"sine\", \"square\", \"sawtooth\"" },
	{ "'type': 'float32'",
	    "'type': 'float'",
	    12, 87, "$.points[0].type", "\"float\" is not one of \"bool\", \"uint16\", \"int16\", \"uint32\", \"int32\", \"float32\", \"uint64\", \"int64\", \"float64\"" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': 8, 'type': 'float64'}\n  ],\n  'events': [",
	    18, 75, "$.spectra[0].type", "\"float64\" is not one of \"uint16\", \"int16\", \"float32\"" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': 8, 'table': 'coil'}\n  ],\n  'events': [",
	    18, 76, "$.spectra[0].table", "\"coil\" is not one of \"input_register\", \"holding_register\"" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': 8, 'byte_order': 'ABDC'}\n  ],\n  'events': [",
	    18, 81, "$.spectra[0].byte_order", "\"ABDC\" is not one of \"ABCD\", \"CDAB\", \"BADC\", \"DCBA\"" },
};

static const struct mutation id_cases[] = {
	{ "'id': 'fast'",
	    "'id': 'fast/1'",
	    18, 12, "$.events[0].id", "invalid id: use 1 to 63 characters from A-Z a-z 0-9 _ . -" },
	{ "'id': 't1'",
	    "'id': 't 1'",
	    13, 12, "$.points[1].id", "invalid id: use 1 to 63 characters from A-Z a-z 0-9 _ . -" },
	{ "'id': 'slow'",
	    "'id': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'",
	    19, 12, "$.events[1].id", "invalid id: use 1 to 63 characters from A-Z a-z 0-9 _ . -" },
	{ "'id': 'slow'",
	    "'id': ''",
	    19, 12, "$.events[1].id", "invalid id: use 1 to 63 characters from A-Z a-z 0-9 _ . -" },
	{ "'id': 'slow'",
	    "'id': 'slöw'",
	    19, 12, "$.events[1].id", "invalid id: use 1 to 63 characters from A-Z a-z 0-9 _ . -" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec 1', 'device': 'pump', 'address': 100, 'pixels': 8}\n  ],\n  'events': [",
	    18, 12, "$.spectra[0].id", "invalid id: use 1 to 63 characters from A-Z a-z 0-9 _ . -" },
};

static const struct app_case app_unknown_cases[] = {
	{ "{'site': 'Plant', 'console_id': 'c-1', 'langauge': 'en'}",
	    1, 40, "$.langauge", "unknown key \"langauge\" (did you mean \"language\"?)" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'historian': {'conninfo': '',\n  'sslmode': 'require'}}",
	    2, 3, "$.historian.sslmode", "unknown key \"sslmode\"" },
};

static const struct app_case app_type_cases[] = {
	{ "{'site': 'Plant', 'console_id': 'c-1', 'executor': {'threads': 2.5}}",
	    1, 64, "$.executor.threads", "expected an integer, got a number" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'storage': 'spool.db'}",
	    1, 51, "$.storage", "expected an object, got a string" },
	{ "{'site': 42, 'console_id': 'c-1'}",
	    1, 10, "$.site", "expected a string, got an integer" },
	{ "[\n  'site'\n]",
	    1, 1, "$", "expected an object, got an array" },
};

static const struct app_case app_missing_cases[] = {
	{ "{'site': 'Plant'}",
	    1, 1, "$", "missing required key \"console_id\"" },
	{ "\n  {'console_id': 'c-1'}",
	    2, 3, "$", "missing required key \"site\"" },
};

static const struct app_case app_range_cases[] = {
	{ "{'site': 'Plant', 'console_id': 'c-1', 'executor': {'retries': 0}}",
	    1, 64, "$.executor.retries", "0 is out of range (1..100)" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'executor': {'keep_alive_s': 0}}",
	    1, 69, "$.executor.keep_alive_s", "0 is out of range (0.001..604800)" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'executor': {'guard_s': -5}}",
	    1, 64, "$.executor.guard_s", "-5 is out of range (0.001..604800)" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'executor': {'threads': 4097}}",
	    1, 64, "$.executor.threads", "4097 is out of range (1..4096)" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'storage': {'spool': ''}}",
	    1, 61, "$.storage.spool", "must not be empty" },
	{ "{'site': '', 'console_id': 'c-1'}",
	    1, 10, "$.site", "must not be empty" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'inference': {'endpoint': 'inference:5555'}}",
	    1, 66, "$.inference.endpoint", "not a ZeroMQ endpoint (tcp://host:port or ipc://path)" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'inference': {'endpoint': 'tcp://inference.local'}}",
	    1, 66, "$.inference.endpoint", "not a ZeroMQ endpoint (tcp://host:port or ipc://path)" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'inference': {'timeout_ms': 5}}",
	    1, 68, "$.inference.timeout_ms", "5 is out of range (10..60000)" },
};

static const struct app_case app_enum_cases[] = {
	{ "{'site': 'Plant', 'console_id': 'c-1', 'theme': 'pink'}",
	    1, 49, "$.theme", "\"pink\" is not one of \"dark\", \"light\", \"mono\"" },
	{ "{'site': 'Plant', 'console_id': 'c-1', 'language': 'de'}",
	    1, 52, "$.language", "\"de\" is not one of \"\", \"en\", \"zh_TW\", \"sk\"" },
};

static const struct app_case app_id_cases[] = {
	{ "{'site': 'Plant', 'console_id': 'c 1'}",
	    1, 33, "$.console_id", "invalid id: use 1 to 63 characters from A-Z a-z 0-9 _ . -" },
	{ "{'site': 'Plant', 'console_id': 7}",
	    1, 33, "$.console_id", "expected a string, got an integer" },
};

/* "alarms" of a point: its keys, their types and ranges, and the limits as
   a whole (alarm_limits_check's reasons, at the object). */
static const struct mutation alarm_cases[] = {
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'h': 5, 'delay_ms': 500}}",
	    12, 117, "$.points[0].alarms.delay_ms", "unknown key \"delay_ms\" (did you mean \"delay_s\"?)" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'H': 5}}",
	    12, 109, "$.points[0].alarms.H", "unknown key \"H\" (did you mean \"h\"?)" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': [5]}",
	    12, 108, "$.points[0].alarms", "expected an object, got an array" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'hh': '9'}}",
	    12, 115, "$.points[0].alarms.hh", "expected a number, got a string" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'l': null}}",
	    12, 114, "$.points[0].alarms.l", "expected a number, got null" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'h': 5, 'delay_s': true}}",
	    12, 128, "$.points[0].alarms.delay_s", "expected a number, got a boolean" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'deadband': 0.5, 'delay_s': 2}}",
	    12, 108, "$.points[0].alarms", "no alarm limit: give at least one of \"hh\", \"h\", \"l\", \"ll\"" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {}}",
	    12, 108, "$.points[0].alarms", "no alarm limit: give at least one of \"hh\", \"h\", \"l\", \"ll\"" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'h': 5, 'deadband': -0.5}}",
	    12, 129, "$.points[0].alarms.deadband", "must not be negative" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'h': 5, 'delay_s': -1}}",
	    12, 128, "$.points[0].alarms.delay_s", "-1 is out of range (0..3600)" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'h': 5, 'delay_s': 3600.5}}",
	    12, 128, "$.points[0].alarms.delay_s", "3600.5 is out of range (0..3600)" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'hh': 10, 'h': 12}}",
	    12, 108, "$.points[0].alarms", "the H limit must not be above the HH limit" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'l': 2, 'll': 3}}",
	    12, 108, "$.points[0].alarms", "the LL limit must not be above the L limit" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'l': 5, 'h': 5}}",
	    12, 108, "$.points[0].alarms", "every low alarm limit must be below every high alarm limit" },
	{ "'address': 0, 'type': 'float32'}",
	    "'address': 0, 'type': 'float32', 'alarms': {'ll': 8, 'hh': 7}}",
	    12, 108, "$.points[0].alarms", "every low alarm limit must be below every high alarm limit" },
	{ "'type': 'bool'}",
	    "'type': 'bool', 'alarms': {'h': 1}}",
	    15, 94, "$.points[3].alarms", "a bool point cannot have alarm limits" },
	{ "  'events': [",
	    "  'spectra': [\n    {'id': 'spec', 'device': 'pump', 'address': 100, 'pixels': 8, 'alarms': {'h': 5}}\n  ],\n  'events': [",
	    18, 67, "$.spectra[0].alarms", "alarm limits apply to points, not to spectra" },
};

/* "recipes": every class of error, located. */
static const struct mutation recipe_cases[] = {
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 1, 'run_mins': 2, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 86, "$.recipes[0].run_mins", "unknown key \"run_mins\" (did you mean \"run_min\"?)" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 5, "$.recipes[0]", "missing required key \"version\"" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'version': '3', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 5, "$.recipes[0]", "missing required key \"name\"" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 5, "$.recipes[0]", "missing required key \"run_min\"" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 1}\n  ],\n  'events': [",
	    18, 5, "$.recipes[0]", "missing required key \"points\"" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': 3, 'run_min': 2, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 50, "$.recipes[0].version", "expected a string, got an integer" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': '1', 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 83, "$.recipes[0].expected_h", "expected a number, got a string" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 1, 'points': 'flow'}\n  ],\n  'events': [",
	    18, 96, "$.recipes[0].points", "expected an array, got a string" },
	{ "  'events': [",
	    "  'recipes': [\n    'racemate'\n  ],\n  'events': [",
	    18, 5, "$.recipes[0]", "expected an object, got a string" },
	{ "  'events': [",
	    "  'recipes': {},\n  'events': [",
	    17, 14, "$.recipes", "expected an array, got an object" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 0, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 66, "$.recipes[0].run_min", "0 is out of range (more than 0, at most 1440)" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': -12.5, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 66, "$.recipes[0].run_min", "-12.5 is out of range (more than 0, at most 1440)" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 8761, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 83, "$.recipes[0].expected_h", "8761 is out of range (more than 0, at most 8760)" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 90, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 84, "$.recipes[0].expected_h", "a batch cannot be shorter than one run (run_min)" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': '', 'version': '3', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 27, "$.recipes[0].name", "must not be empty" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': 'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 50, "$.recipes[0].version", "too long (at most 31 bytes)" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac/1', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    18, 12, "$.recipes[0].id", IDMSG },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 1, 'points': []}\n  ],\n  'events': [",
	    18, 96, "$.recipes[0].points", "a recipe needs at least one point" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 'walk']}\n  ],\n  'events': [",
	    18, 105, "$.recipes[0].points[1]", "unknown point \"walk\"" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 2]}\n  ],\n  'events': [",
	    18, 105, "$.recipes[0].points[1]", "expected a string, got an integer" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 't1', 'flow']}\n  ],\n  'events': [",
	    18, 111, "$.recipes[0].points[2]", "point \"flow\" is listed twice (first at line 18, column 97)" },
	{ "  'events': [",
	    "  'recipes': [\n    {'id': 'rac', 'name': 'Racemate', 'version': '3', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 't1']},\n    {'id': 'rac', 'name': 'Racemate', 'version': '4', 'run_min': 2, 'expected_h': 1, 'points': ['flow', 't1']}\n  ],\n  'events': [",
	    19, 12, "$.recipes[1].id", "duplicate recipe id \"rac\" (first at line 18)" },
};

/* app.json "maintenance": the keys here; the window's own rules are
   maint_window_from_json's, reported at the entry with its message. */
static const struct app_case app_maintenance_cases[] = {
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T10:00:00Z', 'announced_by': 'sam', 'reason': 'Column repacking'}]}",
	    3, 68, "$.maintenance[0].announced_by", "unknown key \"announced_by\"" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T10:00:00Z', 'reasons': 'Column repacking'}]}",
	    3, 68, "$.maintenance[0].reasons", "unknown key \"reasons\" (did you mean \"reason\"?)" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': {}}",
	    2, 17, "$.maintenance", "expected an array, got an object" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  '2026-11-22T06:00:00Z']}",
	    3, 3, "$.maintenance[0]", "expected an object, got a string" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T10:00:00Z'}]}",
	    3, 3, "$.maintenance[0]", "\"reason\" is missing" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T10:00:00Z', 'reason': ''}]}",
	    3, 3, "$.maintenance[0]", "\"reason\" is empty" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T10:00:00Z', 'reason': 7}]}",
	    3, 3, "$.maintenance[0]", "\"reason\" must be a string" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T10:00:00Z', 'reason': 'Column repacking'},\n  {'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T10:00:00', 'reason': 'Column repacking'}]}",
	    4, 3, "$.maintenance[1]", "\"end\": \"2026-11-22T10:00:00\" has no time zone: write it in UTC, ending in Z" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'start': '2026-11-22T06:00:00+01:00', 'end': '2026-11-22T10:00:00Z', 'reason': 'Column repacking'}]}",
	    3, 3, "$.maintenance[0]", "\"start\": \"2026-11-22T06:00:00+01:00\" has a UTC offset: write it in UTC, ending in Z" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T05:00:00Z', 'reason': 'Column repacking'}]}",
	    3, 3, "$.maintenance[0]", "\"end\" (2026-11-22T05:00:00Z) is not after \"start\" (2026-11-22T06:00:00Z)" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'id': 'bad id', 'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T10:00:00Z', 'reason': 'Column repacking'}]}",
	    3, 3, "$.maintenance[0]", "\"id\" must be 1 to 39 characters of A-Z a-z 0-9 . _ : -" },
	{ "{'site': 'Plant', 'console_id': 'c-1',\n 'maintenance': [\n  {'id': 'mw-1', 'start': '2026-11-22T06:00:00Z', 'end': '2026-11-22T10:00:00Z', 'reason': 'Column repacking'},\n  {'id': 'mw-1', 'start': '2026-11-29T06:00:00Z', 'end': '2026-11-29T10:00:00Z', 'reason': 'Column repacking'}]}",
	    4, 3, "$.maintenance[1]", "duplicate maintenance window id \"mw-1\" (first at line 3)" },
};

/* --- helpers ------------------------------------------------------------------ */

struct run {
	char dir[256];
	struct config_errors errs;
	struct model *m;
	int rc;
};

/* Fixture text to JSON: ' becomes ". */
static char *
to_json(const char *text)
{
	char *s = xstrdup(text), *p;

	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static char *
replace_once(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t head, n;
	char *s;

	if (at == NULL)
		fail_msg("fixture edit not found: %s", from);
	head = (size_t)(at - text);
	n = strlen(text) - strlen(from) + strlen(to) + 1;
	s = xmalloc(n);
	memcpy(s, text, head);
	snprintf(s + head, n - head, "%s%s", to, at + strlen(from));
	return s;
}

static void
write_fixture(const char *dir, const char *name, const char *text)
{
	char path[512], *json = to_json(text);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(json, fp);
	assert_int_equal(fclose(fp), 0);
	free(json);
}

/* Write the given files (NULL: leave it out) and load the directory. */
static void
load(struct run *r, const char *app, const char *devices)
{
	const char *tmp = getenv("TMPDIR");

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s/test_config.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(r->dir));
	if (app != NULL)
		write_fixture(r->dir, "app.json", app);
	if (devices != NULL)
		write_fixture(r->dir, "devices.json", devices);
	r->rc = config_load(r->dir, &r->m, &r->errs);
}

static void
unload(struct run *r)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/app.json", r->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/devices.json", r->dir);
	unlink(path);
	rmdir(r->dir);
	model_free(r->m);
	config_errors_free(&r->errs);
}

static void
dump_errors(const struct config_errors *errs)
{
	size_t k;

	for (k = 0; k < errs->n; k++)
		print_message("  got %s:%d:%d: %s: %s\n", errs->v[k].file,
		    errs->v[k].line, errs->v[k].column, errs->v[k].path,
		    errs->v[k].message);
}

static void
assert_error(const struct config_errors *errs, size_t i, const char *file,
    int line, int column, const char *path, const char *message)
{
	const struct config_error *e;
	const char *base;

	if (i >= errs->n) {
		dump_errors(errs);
		fail_msg("no error #%zu (want %s: %s)", i, path, message);
	}
	e = &errs->v[i];
	base = strrchr(e->file, '/');
	base = base != NULL ? base + 1 : e->file;
	if (strcmp(base, file) != 0 || e->line != line ||
	    e->column != column || strcmp(e->path, path) != 0 ||
	    strcmp(e->message, message) != 0) {
		dump_errors(errs);
		fail_msg("error #%zu: want %s:%d:%d: %s: %s", i, file, line,
		    column, path, message);
	}
}

static void
assert_one_error(struct run *r, const char *file, int line, int column,
    const char *path, const char *message)
{
	assert_int_equal(r->rc, -1);
	assert_null(r->m);
	if (r->errs.n != 1) {
		dump_errors(&r->errs);
		fail_msg("want 1 error (%s: %s), got %zu", path, message,
		    r->errs.n);
	}
	assert_error(&r->errs, 0, file, line, column, path, message);
}

static void
run_mutations(const struct mutation *v, size_t n)
{
	struct run r;
	size_t k;
	char *dev;

	for (k = 0; k < n; k++) {
		dev = replace_once(base_devices, v[k].from, v[k].to);
		load(&r, app_ok, dev);
		assert_one_error(&r, "devices.json", v[k].line, v[k].column,
		    v[k].path, v[k].message);
		unload(&r);
		free(dev);
	}
}

static void
run_app_cases(const struct app_case *v, size_t n)
{
	struct run r;
	size_t k;

	for (k = 0; k < n; k++) {
		load(&r, v[k].app, base_devices);
		assert_one_error(&r, "app.json", v[k].line, v[k].column,
		    v[k].path, v[k].message);
		unload(&r);
	}
}

static void
assert_loads(const char *app, const char *devices, struct run *r)
{
	load(r, app, devices);
	if (r->rc != 0) {
		dump_errors(&r->errs);
		fail_msg("expected a valid configuration");
	}
	assert_non_null(r->m);
	assert_int_equal(r->errs.n, 0);
}

static const struct jsonpos_entry *
find(const struct jsonpos *jp, const char *path, enum jsonpos_kind kind,
    int line, int column)
{
	const struct jsonpos_entry *e = jsonpos_find(jp, path, kind);

	if (e == NULL)
		fail_msg("no %s entry for %s", kind ? "key" : "value", path);
	if (e->line != line || e->column != column)
		fail_msg("%s: want %d:%d, got %d:%d", path, line, column,
		    e->line, e->column);
	return e;
}

/* --- jsonpos ------------------------------------------------------------------------ */

static void
test_jsonpos_nested(void **state)
{
	static const char text[] =
	    "{\n"
	    "  \"a\": [1, [2, {\"b\": null}]],\n"
	    "  \"c\": {\"d\": {}, \"e\": []}\n"
	    "}";
	struct jsonpos jp;

	(void)state;
	memset(&jp, 0, sizeof(jp));
	assert_int_equal(jsonpos_scan(&jp, text, strlen(text)), 0);
	assert_int_equal(jp.n, 15);       /* 10 values, 5 keys */
	find(&jp, "$", JSONPOS_VALUE, 1, 1);
	find(&jp, "$.a", JSONPOS_KEY, 2, 3);
	find(&jp, "$.a", JSONPOS_VALUE, 2, 8);
	find(&jp, "$.a[0]", JSONPOS_VALUE, 2, 9);
	find(&jp, "$.a[1]", JSONPOS_VALUE, 2, 12);
	find(&jp, "$.a[1][0]", JSONPOS_VALUE, 2, 13);
	find(&jp, "$.a[1][1]", JSONPOS_VALUE, 2, 16);
	find(&jp, "$.a[1][1].b", JSONPOS_KEY, 2, 17);
	find(&jp, "$.a[1][1].b", JSONPOS_VALUE, 2, 22);
	find(&jp, "$.c", JSONPOS_KEY, 3, 3);
	find(&jp, "$.c", JSONPOS_VALUE, 3, 8);
	find(&jp, "$.c.d", JSONPOS_KEY, 3, 9);
	find(&jp, "$.c.d", JSONPOS_VALUE, 3, 14);
	find(&jp, "$.c.e", JSONPOS_KEY, 3, 18);
	find(&jp, "$.c.e", JSONPOS_VALUE, 3, 23);
	assert_null(jsonpos_find(&jp, "$.a[2]", JSONPOS_VALUE));
	assert_null(jsonpos_find(&jp, "$.a[1]", JSONPOS_KEY));
	assert_null(jp.err_path);
	jsonpos_free(&jp);
}

static void
test_jsonpos_escapes_and_utf8(void **state)
{
	/* {"k\"\u00e9 x": "ü€😀\t\\", "b": [true, "\ud83d\ude00", 2]} */
	static const char text[] = "{\"k\\\"\\u00e9 x\": \"\xc3\xbc\xe2\x82\xac"
	    "\xf0\x9f\x98\x80\\t\\\\\", \"b\": [true, \"\\ud83d\\ude00\", 2]}";
	/* CR LF ends a line; a tab is one column. */
	static const char crlf[] = "{\r\n\t\"x\":\t1}";
	/* Keys outside [A-Za-z0-9_] are bracketed, as decoded UTF-8. */
	static const char cyr[] = "{\"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\": "
	    "{\"\xe6\x97\xa5\xe6\x9c\xac\": 1}}";
	struct jsonpos jp;

	(void)state;
	memset(&jp, 0, sizeof(jp));
	assert_int_equal(jsonpos_scan(&jp, text, strlen(text)), 0);
	find(&jp, "$[\"k\\\"\xc3\xa9 x\"]", JSONPOS_KEY, 1, 2);
	find(&jp, "$[\"k\\\"\xc3\xa9 x\"]", JSONPOS_VALUE, 1, 17);
	find(&jp, "$.b", JSONPOS_KEY, 1, 28);
	find(&jp, "$.b", JSONPOS_VALUE, 1, 33);
	find(&jp, "$.b[0]", JSONPOS_VALUE, 1, 34);
	find(&jp, "$.b[1]", JSONPOS_VALUE, 1, 40);
	find(&jp, "$.b[2]", JSONPOS_VALUE, 1, 56);
	jsonpos_free(&jp);

	assert_int_equal(jsonpos_scan(&jp, crlf, strlen(crlf)), 0);
	find(&jp, "$.x", JSONPOS_KEY, 2, 2);
	find(&jp, "$.x", JSONPOS_VALUE, 2, 7);
	jsonpos_free(&jp);

	assert_int_equal(jsonpos_scan(&jp, cyr, strlen(cyr)), 0);
	find(&jp, "$[\"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\"]"
	    "[\"\xe6\x97\xa5\xe6\x9c\xac\"]", JSONPOS_KEY, 1, 11);
	find(&jp, "$[\"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\"]"
	    "[\"\xe6\x97\xa5\xe6\x9c\xac\"]", JSONPOS_VALUE, 1, 17);
	jsonpos_free(&jp);
}

static void
test_jsonpos_duplicate_keys(void **state)
{
	static const char text[] = "{\"a\": 1, \"b\": {\"a\": 2}, \"a\": 3}";
	const struct jsonpos_entry *e;
	struct jsonpos jp;
	size_t k, dups = 0;

	(void)state;
	memset(&jp, 0, sizeof(jp));
	assert_int_equal(jsonpos_scan(&jp, text, strlen(text)), 0);
	e = find(&jp, "$.a", JSONPOS_KEY, 1, 25);
	assert_int_equal(e->dup_line, 1);
	assert_int_equal(e->dup_column, 2);
	find(&jp, "$.a", JSONPOS_VALUE, 1, 30);   /* the last wins, as in jansson */
	e = find(&jp, "$.b.a", JSONPOS_KEY, 1, 16);
	assert_int_equal(e->dup_line, 0);        /* another object */
	for (k = 0; k < jp.n; k++)
		dups += jp.v[k].dup_line != 0;
	assert_int_equal(dups, 1);
	jsonpos_free(&jp);
}

static void
test_jsonpos_malformed(void **state)
{
	static const char sample[] = "{\"a\": [1, {\"b\\u00e9\": \"x\\\"y\"}],"
	    "\n \"\xc3\xbc\": [true, null, -1.5e3], \"c\": {}}";
	static const struct {
		const char *text;
		const char *path;
		int line, column;
	} bad[] = {
		{ "{\"a\": [1, 2", "$.a", 1, 12 },
		{ "{\"a\" 1}", "$.a", 1, 6 },
		{ "[1, }", "$[1]", 1, 5 },
		{ "{\"a\": 1,\n \"b\": \"x\\q\"}", "$.b", 2, 10 },
		{ "{} x", "$", 1, 4 },
		{ "", "$", 1, 1 },
	};
	struct jsonpos jp;
	size_t len, k;
	char *copy;

	(void)state;
	/* Every proper prefix fails, without reading past its end. */
	for (len = 0; len < sizeof(sample) - 1; len++) {
		copy = xmalloc(len);
		memcpy(copy, sample, len);
		memset(&jp, 0, sizeof(jp));
		assert_int_equal(jsonpos_scan(&jp, copy, len), -1);
		assert_non_null(jp.err_path);
		jsonpos_free(&jp);
		free(copy);
	}
	memset(&jp, 0, sizeof(jp));
	assert_int_equal(jsonpos_scan(&jp, sample, sizeof(sample) - 1), 0);
	jsonpos_free(&jp);

	for (k = 0; k < ARRAY_LEN(bad); k++) {
		memset(&jp, 0, sizeof(jp));
		assert_int_equal(jsonpos_scan(&jp, bad[k].text,
		    strlen(bad[k].text)), -1);
		assert_string_equal(jp.err_path, bad[k].path);
		assert_int_equal(jp.err_line, bad[k].line);
		assert_int_equal(jp.err_column, bad[k].column);
		jsonpos_free(&jp);
	}
}

static void
test_jsonpos_paths(void **state)
{
	static const char text[] = "{\"a\": [1,\n 22], \"b\": 3}";
	struct jsonpos jp;
	char buf[64];

	(void)state;
	assert_int_equal(jsonpos_path_key(buf, sizeof(buf), "$.a", "b_2"), 7);
	assert_string_equal(buf, "$.a.b_2");
	jsonpos_path_key(buf, sizeof(buf), "$", "x y");
	assert_string_equal(buf, "$[\"x y\"]");
	jsonpos_path_key(buf, sizeof(buf), "$", "q\"\\");
	assert_string_equal(buf, "$[\"q\\\"\\\\\"]");
	jsonpos_path_key(buf, sizeof(buf), "$", "");
	assert_string_equal(buf, "$[\"\"]");
	jsonpos_path_key(buf, sizeof(buf), "$", "a.b");
	assert_string_equal(buf, "$[\"a.b\"]");
	assert_int_equal(jsonpos_path_index(buf, sizeof(buf), "$.p", 12), 7);
	assert_string_equal(buf, "$.p[12]");
	/* Truncation: snprintf semantics. */
	assert_int_equal(jsonpos_path_key(buf, 4, "$.devices", "id"), 12);
	assert_string_equal(buf, "$.d");
	assert_int_equal(jsonpos_path_index(buf, 1, "$", 3), 4);
	assert_string_equal(buf, "");

	memset(&jp, 0, sizeof(jp));
	assert_int_equal(jsonpos_scan(&jp, text, strlen(text)), 0);
	assert_string_equal(jsonpos_path_before(&jp, 1, 1), "$");
	assert_string_equal(jsonpos_path_before(&jp, 1, 8), "$.a[0]");
	assert_string_equal(jsonpos_path_before(&jp, 2, 1), "$.a[0]");
	assert_string_equal(jsonpos_path_before(&jp, 2, 2), "$.a[1]");
	assert_string_equal(jsonpos_path_before(&jp, 9, 1), "$.b");
	jsonpos_free(&jp);
	memset(&jp, 0, sizeof(jp));
	assert_string_equal(jsonpos_path_before(&jp, 1, 1), "$");
}

/* --- valid configurations --------------------------------------------------------- */

static void
test_valid_model(void **state)
{
	const struct model *m;
	struct run r;

	(void)state;
	assert_loads(app_ok, base_devices, &r);
	m = r.m;
	assert_int_equal(m->nconnectors, 2);
	assert_int_equal(m->ndevices, 3);
	assert_int_equal(m->npoints, 4);
	assert_int_equal(m->nevents, 2);

	assert_string_equal(m->app.site, "Plant");
	assert_string_equal(m->app.console_id, "c-1");
	assert_string_equal(m->app.language, "");
	assert_string_equal(m->app.theme, "dark");
	assert_string_equal(m->app.inference_endpoint, "");
	assert_string_equal(m->app.inference.model, "smb-pls");
	assert_int_equal(m->app.inference.timeout_ms, 200);
	assert_int_equal(m->app.inference.heartbeat_ms, 2000);
	assert_int_equal(m->app.inference.latency_window, 1000);
	assert_string_equal(m->app.historian_conninfo, "");
	assert_string_equal(m->app.storage_path, "spool.db");
	assert_int_equal(m->app.executor.keep_alive_ms, 10000);
	assert_int_equal(m->app.executor.guard_ms, 20000);
	assert_int_equal(m->app.executor.retries, 3);
	assert_int_equal(m->app.executor.hard_error_ms, 300000);
	assert_int_equal(m->app.executor.threads, 512);

	assert_int_equal(m->connectors[0].kind, CONNECTOR_TCP);
	assert_string_equal(m->connectors[0].host, "10.0.0.1");
	assert_int_equal(m->connectors[0].port, 502);
	assert_int_equal(m->connectors[0].timeout_ms, 1000);
	assert_int_equal(m->connectors[1].kind, CONNECTOR_RTU);
	assert_string_equal(m->connectors[1].serial, "/dev/ttyUSB0");
	assert_int_equal(m->connectors[1].baud, 19200);
	assert_int_equal(m->connectors[1].parity, 'N');
	assert_int_equal(m->connectors[1].data_bits, 8);
	assert_int_equal(m->connectors[1].stop_bits, 1);
	assert_int_equal(m->connectors[1].timeout_ms, 1000);

	assert_int_equal(m->devices[0].connector, 0);
	assert_int_equal(m->devices[1].connector, 1);
	assert_int_equal(m->devices[2].connector, 1);
	assert_string_equal(m->devices[0].name, "pump");     /* defaults to id */
	assert_string_equal(m->devices[2].name, "Oven 2");
	assert_int_equal(m->devices[2].unit_id, 2);

	assert_int_equal(m->points[0].device, 0);
	assert_int_equal(m->points[0].table, TABLE_INPUT_REGISTER);
	assert_int_equal(m->points[0].type, VALUE_F32);
	assert_int_equal(m->points[0].order, ORDER_ABCD);
	assert_true(m->points[0].scale == 1.0);
	assert_true(m->points[0].offset == 0.0);
	assert_string_equal(m->points[0].unit, "");
	assert_int_equal(m->points[0].sim.wave, SIM_CONSTANT);
	assert_int_equal(m->points[1].device, 1);
	assert_int_equal(m->points[1].address, 10);
	assert_int_equal(m->points[1].type, VALUE_I16);
	assert_true(m->points[1].scale == 0.1);
	assert_string_equal(m->points[1].unit, "\xc2\xb0" "C");
	assert_int_equal(m->points[2].device, 2);
	assert_int_equal(m->points[3].table, TABLE_COIL);
	assert_int_equal(m->points[3].type, VALUE_BOOL);

	assert_int_equal(m->events[0].period_ms, 1000);
	assert_int_equal(m->events[0].phase_ms, 0);
	assert_int_equal(m->events[0].npoints, 2);
	assert_int_equal(m->events[0].points[0], 0);
	assert_int_equal(m->events[0].points[1], 3);
	assert_int_equal(m->events[1].phase_ms, 250);
	assert_int_equal(m->events[1].npoints, 2);       /* tic1 and tic2 */
	assert_int_equal(m->events[1].points[0], 1);
	assert_int_equal(m->events[1].points[1], 2);
	assert_int_equal(m->nspectra, 0);
	assert_int_equal(m->events[0].nspectra, 0);
	assert_int_equal(m->devices[0].max_gap, 0);         /* defaults */
	assert_int_equal(m->devices[0].clock_address, -1);
	assert_int_equal(m->points[1].writable, 0);

	assert_int_equal(model_find_connector(m, "rtu1"), 1);
	assert_int_equal(model_find_device(m, "tic2"), 2);
	assert_int_equal(model_find_point(m, "run"), 3);
	assert_int_equal(model_find_point(m, "nope"), -1);
	assert_int_equal(model_find_device(m, ""), -1);
	assert_int_equal(point_width(&m->points[0]), 2);
	assert_int_equal(point_width(&m->points[1]), 1);
	assert_int_equal(point_width(&m->points[3]), 1);
	assert_string_equal(modbus_table_name(TABLE_DISCRETE_INPUT),
	    "discrete_input");
	assert_string_equal(value_type_name(VALUE_U32), "uint32");
	assert_string_equal(value_type_name(VALUE_U64), "uint64");
	assert_string_equal(value_type_name(VALUE_I64), "int64");
	assert_string_equal(value_type_name(VALUE_F64), "float64");
	assert_int_equal(value_type_width(VALUE_BOOL), 1);
	assert_int_equal(value_type_width(VALUE_I16), 1);
	assert_int_equal(value_type_width(VALUE_F32), 2);
	assert_int_equal(value_type_width(VALUE_U64), 4);
	assert_int_equal(value_type_width(VALUE_F64), 4);
	assert_int_equal(model_find_spectrum(m, "flow"), -1);
	assert_string_equal(byte_order_name(ORDER_CDAB), "CDAB");
	unload(&r);
}

/* Every optional key set, and the edges of the ranges that are still valid. */
static void
test_valid_full(void **state)
{
	static const char app[] =
	    "{'site': 'Plant \xe5\xb7\xa5\xe5\xbb\xa0', 'console_id': 'c.1_A-z',"
	    " 'language': 'zh_TW', 'theme': 'mono',\n"
	    " 'inference': {'endpoint': 'tcp://inference.local:5555'},\n"
	    " 'historian': {'conninfo': 'postgresql://jope@db/jope?sslmode=require'},\n"
	    " 'storage': {'spool': '/var/lib/jope/spool.db'},\n"
	    " 'executor': {'keep_alive_s': 2.5, 'guard_s': 0.5, 'retries': 5,"
	    " 'hard_error_s': 60, 'threads': 8}}";
	static const char id63[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const struct model *m;
	struct run r;
	char *d1, *d2, *d3, *d4, *d5, *d6;

	(void)state;
	d1 = replace_once(base_devices, "'address': 0, 'type': 'float32'",
	    "'address': 65534, 'type': 'float32', 'byte_order': 'DCBA',"
	    " 'offset': -4, 'scale': -2,"
	    " 'sim': {'wave': 'sawtooth', 'base': 1, 'amplitude': 2,"
	    " 'period_s': 120, 'phase': 0.5, 'noise': 0.1}");
	d2 = replace_once(d1, "'connector': 'tcp1', 'unit_id': 1",
	    "'connector': 'tcp1', 'unit_id': 255");
	d3 = replace_once(d2, "'baud': 19200", "'baud': 9600, 'parity': 'E',"
	    " 'data_bits': 7, 'stop_bits': 2, 'timeout_ms': 60000");
	d4 = replace_once(d3, "'devices': ['tic1', 'tic2']",
	    "'points': ['t2'], 'devices': ['tic1', 'tic2']");
	d5 = replace_once(d4, "'phase_ms': 250", "'phase_ms': 4999");
	d6 = replace_once(d5, "'id': 'slow'", "'id': 'aaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'");
	assert_loads(app, d6, &r);
	m = r.m;
	assert_string_equal(m->app.language, "zh_TW");
	assert_string_equal(m->app.theme, "mono");
	assert_string_equal(m->app.inference_endpoint,
	    "tcp://inference.local:5555");
	assert_string_equal(m->app.storage_path, "/var/lib/jope/spool.db");
	assert_int_equal(m->app.executor.keep_alive_ms, 2500);
	assert_int_equal(m->app.executor.guard_ms, 500);
	assert_int_equal(m->app.executor.retries, 5);
	assert_int_equal(m->app.executor.hard_error_ms, 60000);
	assert_int_equal(m->app.executor.threads, 8);
	assert_int_equal(m->points[0].address, 65534);
	assert_int_equal(m->points[0].order, ORDER_DCBA);
	assert_true(m->points[0].scale == -2.0);
	assert_true(m->points[0].offset == -4.0);
	assert_int_equal(m->points[0].sim.wave, SIM_SAWTOOTH);
	assert_true(m->points[0].sim.period_s == 120.0);
	assert_true(m->points[0].sim.phase == 0.5);
	assert_int_equal(m->devices[0].unit_id, 255);
	assert_int_equal(m->connectors[1].parity, 'E');
	assert_int_equal(m->connectors[1].data_bits, 7);
	assert_int_equal(m->connectors[1].stop_bits, 2);
	assert_int_equal(m->connectors[1].timeout_ms, 60000);
	assert_string_equal(m->events[1].id, id63);
	assert_int_equal(m->events[1].phase_ms, 4999);
	assert_int_equal(m->events[1].npoints, 2);       /* t2 only once */
	unload(&r);
	free(d1);
	free(d2);
	free(d3);
	free(d4);
	free(d5);
	free(d6);
}

/* 64-bit types, setpoints, device clocks and gaps, spectra. */
static void
test_valid_extended(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "'address': 0, 'type': 'float32'",
		    "'address': 65532, 'type': 'float64', 'byte_order': 'CDAB'" },
		{ "'connector': 'tcp1', 'unit_id': 1",
		    "'connector': 'tcp1', 'unit_id': 1, 'max_gap': 124,"
		    " 'clock_address': 65533" },
		{ "'unit_id': 2}", "'unit_id': 2, 'max_gap': 0,"
		    " 'clock_address': 0}" },
		{ "'address': 10, 'type': 'int16', 'scale': 0.1, 'unit': '°C'},\n"
		    "    {'id': 't2'",
		    "'address': 10, 'type': 'int16', 'scale': 0.1, 'unit': '°C',"
		    " 'writable': true},\n    {'id': 't2'" },
		{ "'table': 'coil', 'address': 3, 'type': 'bool'}",
		    "'table': 'coil', 'address': 3, 'type': 'bool',"
		    " 'writable': true},\n"
		    "    {'id': 'count', 'device': 'pump', 'table':"
		    " 'input_register', 'address': 20, 'type': 'uint64',"
		    " 'writable': false},\n"
		    "    {'id': 'delta', 'device': 'pump', 'table':"
		    " 'holding_register', 'address': 30, 'type': 'int64'}" },
		{ "  'events': [",
		    "  'spectra': [\n"
		    "    {'id': 'raman', 'name': 'Raman', 'device': 'pump',"
		    " 'address': 1000, 'pixels': 1024},\n"
		    "    {'id': 'run.s', 'device': 'tic1', 'table':"
		    " 'holding_register', 'address': 49152, 'pixels': 16384,"
		    " 'type': 'uint16', 'byte_order': 'BADC'},\n"
		    "    {'id': 'edge', 'device': 'tic2', 'address': 65534,"
		    " 'pixels': 1, 'type': 'int16'}\n"
		    "  ],\n  'events': [" },
		{ "'points': ['flow', 'run']",
		    "'points': ['flow', 'run'], 'spectra': ['edge', 'raman',"
		    " 'edge']" },
		{ "'devices': ['tic1', 'tic2']}",
		    "'devices': ['tic1', 'tic2']},\n"
		    "    {'id': 'spectra', 'period_ms': 2000, 'spectra':"
		    " ['run.s']}" },
	};
	const struct model *m;
	struct run r;
	char *dev = xstrdup(base_devices), *next;

	(void)state;
	for (size_t k = 0; k < ARRAY_LEN(edits); k++) {
		next = replace_once(dev, edits[k].from, edits[k].to);
		free(dev);
		dev = next;
	}
	assert_loads(app_ok, dev, &r);
	m = r.m;
	assert_int_equal(m->points[0].type, VALUE_F64);
	assert_int_equal(m->points[0].order, ORDER_CDAB);
	assert_int_equal(point_width(&m->points[0]), 4);
	assert_int_equal(m->devices[0].max_gap, 124);
	assert_int_equal(m->devices[0].clock_address, 65533);
	assert_int_equal(m->devices[1].clock_address, -1);
	assert_int_equal(m->devices[2].clock_address, 0);
	assert_int_equal(m->points[1].writable, 1);
	assert_int_equal(m->points[2].writable, 0);
	assert_int_equal(m->points[3].writable, 1);
	assert_int_equal(m->points[4].type, VALUE_U64);
	assert_int_equal(m->points[4].writable, 0);
	assert_int_equal(m->points[5].type, VALUE_I64);
	assert_int_equal(point_width(&m->points[5]), 4);

	assert_int_equal(m->nspectra, 3);
	assert_string_equal(m->spectra[0].id, "raman");
	assert_int_equal(m->spectra[0].device, 0);
	assert_int_equal(m->spectra[0].table, TABLE_INPUT_REGISTER);
	assert_int_equal(m->spectra[0].address, 1000);
	assert_int_equal(m->spectra[0].pixels, 1024);
	assert_int_equal(m->spectra[0].type, VALUE_F32);    /* defaults */
	assert_int_equal(m->spectra[0].order, ORDER_ABCD);
	assert_int_equal(m->spectra[1].device, 1);
	assert_int_equal(m->spectra[1].table, TABLE_HOLDING_REGISTER);
	assert_int_equal(m->spectra[1].pixels, 16384);      /* ends at 65535 */
	assert_int_equal(m->spectra[1].type, VALUE_U16);
	assert_int_equal(m->spectra[1].order, ORDER_BADC);
	assert_int_equal(m->spectra[2].type, VALUE_I16);
	assert_int_equal(model_find_spectrum(m, "edge"), 2);
	assert_int_equal(model_find_spectrum(m, "t1"), -1);

	/* Spectra in file order, once each; "devices" selects no spectra. */
	assert_int_equal(m->nevents, 3);
	assert_int_equal(m->events[0].npoints, 2);
	assert_int_equal(m->events[0].nspectra, 2);
	assert_int_equal(m->events[0].spectra[0], 0);
	assert_int_equal(m->events[0].spectra[1], 2);
	assert_int_equal(m->events[1].nspectra, 0);
	assert_int_equal(m->events[2].npoints, 0);          /* spectra only */
	assert_int_equal(m->events[2].nspectra, 1);
	assert_int_equal(m->events[2].spectra[0], 1);
	unload(&r);
	free(dev);
}

/* Alarm limits and recipes, as the model holds them. */
static void
test_valid_alarms_recipes(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "'address': 0, 'type': 'float32'}",
		    "'address': 0, 'type': 'float32',\n"
		    "     'alarms': {'hh': 30, 'h': 27.5, 'l': 5, 'll': -2,"
		    " 'deadband': 0.25, 'delay_s': 2.5}}" },
		/* One limit is enough; equal H and HH are allowed. */
		{ "'scale': 0.1, 'unit': '°C'},\n    {'id': 't2'",
		    "'scale': 0.1, 'unit': '°C', 'alarms': {'h': 80, 'hh': 80}},"
		    "\n    {'id': 't2'" },
		{ "'unit': '°C'},\n    {'id': 'run'",
		    "'unit': '°C', 'alarms': {'ll': -40}},\n    {'id': 'run'" },
		{ "  'events': [",
		    "  'recipes': [\n"
		    "    {'id': 'rac', 'name': 'Racemate separation',"
		    " 'version': '3.1-rc', 'run_min': 12.5, 'expected_h': 36,"
		    " 'points': ['t2', 'flow', 'run']},\n"
		    "    {'id': 'flush', 'name': 'Flush', 'version': '1',"
		    " 'run_min': 0.5, 'expected_h': 0.5, 'points': ['flow']}\n"
		    "  ],\n  'events': [" },
	};
	const struct alarm_limits *a;
	const struct recipe *rc;
	const struct model *m;
	struct run r;
	char *dev = xstrdup(base_devices), *next;

	(void)state;
	for (size_t k = 0; k < ARRAY_LEN(edits); k++) {
		next = replace_once(dev, edits[k].from, edits[k].to);
		free(dev);
		dev = next;
	}
	assert_loads(app_ok, dev, &r);
	m = r.m;
	a = &m->points[0].alarms;
	assert_true(m->points[0].has_alarms);
	assert_true(a->has_hh && a->has_h && a->has_l && a->has_ll);
	assert_true(a->hh == 30.0);
	assert_true(a->h == 27.5);
	assert_true(a->l == 5.0);
	assert_true(a->ll == -2.0);
	assert_true(a->deadband == 0.25);
	assert_int_equal(a->delay_ms, 2500);
	a = &m->points[1].alarms;
	assert_true(m->points[1].has_alarms);
	assert_true(a->has_h && a->has_hh && !a->has_l && !a->has_ll);
	assert_true(a->deadband == 0.0);                /* defaults */
	assert_int_equal(a->delay_ms, 0);
	a = &m->points[2].alarms;
	assert_true(m->points[2].has_alarms);
	assert_true(!a->has_hh && !a->has_h && !a->has_l && a->has_ll);
	assert_true(a->ll == -40.0);
	assert_false(m->points[3].has_alarms);          /* none given */

	assert_int_equal(m->nrecipes, 2);
	rc = &m->recipes[0];
	assert_string_equal(rc->id, "rac");
	assert_string_equal(rc->name, "Racemate separation");
	assert_string_equal(rc->version, "3.1-rc");
	assert_int_equal(rc->run_ms, 750000);
	assert_int_equal(rc->expected_ms, INT64_C(36) * 3600000);
	assert_int_equal(rc->npoints, 3);               /* in its own order */
	assert_int_equal(rc->points[0], 2);
	assert_int_equal(rc->points[1], 0);
	assert_int_equal(rc->points[2], 3);
	rc = &m->recipes[1];
	assert_int_equal(rc->run_ms, 30000);
	assert_int_equal(rc->expected_ms, 1800000);     /* one run and more */
	assert_int_equal(model_find_recipe(m, "flush"), 1);
	assert_int_equal(model_find_recipe(m, "flow"), -1);
	assert_int_equal(m->nmaintenance, 0);
	unload(&r);
	free(dev);

	/* No "recipes": none. */
	assert_loads(app_ok, base_devices, &r);
	assert_int_equal(r.m->nrecipes, 0);
	unload(&r);
}

static const char *
srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d != NULL && *d != '\0' ? d : ".";
}

static struct model *
load_shipped(const char *sub)
{
	struct config_errors errs;
	struct model *m = NULL;
	char dir[1024];

	memset(&errs, 0, sizeof(errs));
	snprintf(dir, sizeof(dir), "%s/%s", srcdir(), sub);
	if (config_load(dir, &m, &errs) != 0) {
		dump_errors(&errs);
		fail_msg("%s does not validate", dir);
	}
	config_errors_free(&errs);
	return m;
}

static void
test_shipped_configs(void **state)
{
	struct model *m;
	size_t k, j, shared = 0;

	(void)state;
	m = load_shipped("config");
	for (k = 0; k < m->nconnectors; k++) {
		size_t users = 0;

		for (j = 0; j < m->ndevices; j++)
			users += m->devices[j].connector == k;
		if (m->connectors[k].kind == CONNECTOR_RTU && users >= 2)
			shared++;
	}
	assert_true(shared >= 1);        /* an RTU line with two devices */
	assert_true(m->nevents >= 1);
	assert_true(m->nrecipes >= 1);
	assert_true(m->recipes[0].npoints >= 1);
	assert_true(m->points[model_find_point(m, "PT-301")].has_alarms);
	assert_int_equal(m->nmaintenance, 0);
	model_free(m);

	/* The demo: each device on its own 127.0.0.1 port, read every second. */
	m = load_shipped("config/demo");
	assert_true(m->ndevices >= 5);
	assert_string_equal(m->app.site, "Jope Demo Plant");
	assert_string_equal(m->app.console_id, "console-demo");
	assert_string_equal(m->app.historian_conninfo, "");
	/* The simulator serves the demo's inference host on loopback. */
	assert_string_equal(m->app.inference_endpoint, "tcp://127.0.0.1:15026");
	assert_string_equal(m->app.inference.model, "smb-pls");
	for (k = 0; k < m->ndevices; k++) {
		const struct connector *c = &m->connectors[m->devices[k].connector];
		int read = 0;

		assert_int_equal(c->kind, CONNECTOR_TCP);
		assert_string_equal(c->host, "127.0.0.1");
		assert_in_range(c->port, 15020, 15029);
		for (j = 0; j < m->ndevices; j++)
			if (j != k)
				assert_int_not_equal(m->devices[j].connector,
				    m->devices[k].connector);
		for (j = 0; j < m->nevents; j++) {
			size_t p;

			for (p = 0; p < m->events[j].npoints; p++)
				if (m->points[m->events[j].points[p]].device ==
				    k && m->events[j].period_ms == 1000)
					read = 1;
		}
		assert_true(read);
	}

	/* Alarms: doc/configuration.md lists them; PT-303's H cycles. */
	k = (size_t)model_find_point(m, "PT-303");
	assert_true(m->points[k].has_alarms);
	assert_true(m->points[k].alarms.has_h && m->points[k].alarms.has_hh);
	assert_false(m->points[k].alarms.has_l || m->points[k].alarms.has_ll);
	assert_true(m->points[k].alarms.h == 18.0);
	assert_true(m->points[k].alarms.hh == 21.0);
	assert_true(m->points[k].alarms.deadband == 0.5);
	assert_int_equal(m->points[k].alarms.delay_ms, 2000);
	assert_false(m->points[model_find_point(m, "P-101.RUN")].has_alarms);
	assert_true(m->points[model_find_point(m, "AT-501.LASER")].has_alarms);

	/* The recipe of the demo: short runs, so that a batch shows them. */
	assert_int_equal(m->nrecipes, 1);
	assert_string_equal(m->recipes[0].id, "racemate-sep");
	assert_string_equal(m->recipes[0].name, "Racemate separation");
	assert_string_equal(m->recipes[0].version, "3");
	assert_int_equal(m->recipes[0].run_ms, 120000);
	assert_int_equal(m->recipes[0].expected_ms, 3600000);
	assert_int_equal(m->recipes[0].npoints, 6);
	assert_int_equal(m->recipes[0].points[0], model_find_point(m, "FT-101"));
	assert_int_equal(m->recipes[0].points[3], model_find_point(m, "FT-104"));
	assert_int_equal(m->recipes[0].points[4], model_find_point(m, "PT-303"));
	assert_int_equal(m->recipes[0].points[5],
	    model_find_point(m, "AT-501.LASER"));
	assert_int_equal(m->nmaintenance, 0);       /* tests add their own */
	model_free(m);
}

/*
 * Where a demo value can be: a square wave sits at base - |amplitude| or
 * base + |amplitude|; a sine or sawtooth anywhere between; plus noise and
 * the rounding of the register (half a scale step).  margin_sd: how many
 * standard deviations of noise count as "never".
 */
static void
sim_extremes(const struct point *p, double margin_sd, double *lo, double *hi)
{
	double amp = p->sim.wave == SIM_CONSTANT ? 0.0 : fabs(p->sim.amplitude);
	double slack = margin_sd * p->sim.noise;

	if (p->type != VALUE_F32 && p->type != VALUE_F64)
		slack += fabs(p->scale) / 2.0;
	*lo = p->sim.base - amp - slack;
	*hi = p->sim.base + amp + slack;
}

/*
 * The demo's alarms do what doc/configuration.md says: no limit of any
 * point is within reach of what the simulator serves (6 sigma), except
 * PT-303's H.  PT-303 is a square wave: its upper level reaches H (by 4
 * sigma) and its lower level clears it (below H - deadband by 4 sigma), so
 * H comes in the second half of every 120 s cycle and goes in the first.
 */
static void
test_demo_alarm_cycle(void **state)
{
	struct model *m;
	size_t k, alarmed = 0;

	(void)state;
	m = load_shipped("config/demo");
	for (k = 0; k < m->npoints; k++) {
		const struct point *p = &m->points[k];
		const struct alarm_limits *a = &p->alarms;
		int cycling = strcmp(p->id, "PT-303") == 0;
		double lo, hi, up, down;

		if (!p->has_alarms)
			continue;
		alarmed++;
		sim_extremes(p, 6.0, &lo, &hi);
		if (a->has_hh)
			assert_true(hi < a->hh);
		if (a->has_h && !cycling)
			assert_true(hi < a->h);
		if (a->has_l)
			assert_true(lo > a->l);
		if (a->has_ll)
			assert_true(lo > a->ll);
		if (!cycling)
			continue;
		assert_int_equal(p->sim.wave, SIM_SQUARE);
		assert_true(p->sim.period_s == 120.0);
		assert_true(p->sim.phase == 0.5);   /* low first: no alarm at 0 s */
		sim_extremes(p, 4.0, &lo, &hi);
		up = p->sim.base + fabs(p->sim.amplitude) - (hi - p->sim.base -
		    fabs(p->sim.amplitude));
		down = p->sim.base - fabs(p->sim.amplitude) + (p->sim.base -
		    fabs(p->sim.amplitude) - lo);
		assert_true(up >= a->h);                 /* raised every cycle */
		assert_true(down < a->h - a->deadband);  /* and cleared */
	}
	assert_true(alarmed >= 8);
	model_free(m);
}

/* --- one test per error class --------------------------------------------------------- */

static void
test_unknown_keys(void **state)
{
	(void)state;
	run_mutations(unknown_cases, ARRAY_LEN(unknown_cases));
	run_app_cases(app_unknown_cases, ARRAY_LEN(app_unknown_cases));
}

static void
test_wrong_types(void **state)
{
	(void)state;
	run_mutations(type_cases, ARRAY_LEN(type_cases));
	run_app_cases(app_type_cases, ARRAY_LEN(app_type_cases));
}

static void
test_missing_keys(void **state)
{
	(void)state;
	run_mutations(missing_cases, ARRAY_LEN(missing_cases));
	run_app_cases(app_missing_cases, ARRAY_LEN(app_missing_cases));
}

static void
test_dangling_references(void **state)
{
	(void)state;
	run_mutations(dangling_cases, ARRAY_LEN(dangling_cases));
}

static void
test_duplicates(void **state)
{
	(void)state;
	run_mutations(duplicate_cases, ARRAY_LEN(duplicate_cases));
}

static void
test_out_of_range(void **state)
{
	(void)state;
	run_mutations(range_cases, ARRAY_LEN(range_cases));
	run_app_cases(app_range_cases, ARRAY_LEN(app_range_cases));
}

static void
test_invalid_enums(void **state)
{
	(void)state;
	run_mutations(enum_cases, ARRAY_LEN(enum_cases));
	run_app_cases(app_enum_cases, ARRAY_LEN(app_enum_cases));
}

static void
test_bad_ids(void **state)
{
	(void)state;
	run_mutations(id_cases, ARRAY_LEN(id_cases));
	run_app_cases(app_id_cases, ARRAY_LEN(app_id_cases));
}

static void
test_alarm_errors(void **state)
{
	(void)state;
	run_mutations(alarm_cases, ARRAY_LEN(alarm_cases));
}

static void
test_recipe_errors(void **state)
{
	(void)state;
	run_mutations(recipe_cases, ARRAY_LEN(recipe_cases));
}

/* The most windows a file may hold is what a console keeps. */
static char *
app_with_windows(size_t n)
{
	size_t len = 128 + n * 128, used;
	char *app = xmalloc(len);

	used = (size_t)snprintf(app, len, "{'site': 'Plant', 'console_id': "
	    "'c-1',\n 'maintenance': [");
	for (size_t k = 0; k < n; k++)
		used += (size_t)snprintf(app + used, len - used, "%s\n  {'id': "
		    "'w%zu', 'start': '2026-11-22T06:00:00Z', 'end': "
		    "'2026-11-22T10:00:00Z', 'reason': 'R'}", k ? "," : "", k);
	snprintf(app + used, len - used, "]}");
	return app;
}

static void
test_maintenance_windows(void **state)
{
	static const char app[] = "{'site': 'Plant', 'console_id': 'c-1',\n"
	    " 'maintenance': [\n"
	    "  {'id': 'mw-1', 'start': '2026-11-22T06:00:00Z',"
	    " 'end': '2026-11-22T10:00:00Z', 'reason': 'Column repacking'},\n"
	    "  {'start': '2026-12-01T22:00:00.5Z', 'end': '2026-12-02T04:30:00Z',"
	    " 'reason': 'Pump skid service, line 1'}]}";
	const struct maint_window *w;
	char id[MAINT_ID_MAX], *big;
	struct run r;

	(void)state;
	run_app_cases(app_maintenance_cases, ARRAY_LEN(app_maintenance_cases));

	assert_loads(app, base_devices, &r);
	assert_int_equal(r.m->nmaintenance, 2);
	w = &r.m->maintenance[0];
	assert_string_equal(w->id, "mw-1");
	assert_int_equal(w->start_us, INT64_C(1795327200) * 1000000);
	assert_int_equal(w->end_us, INT64_C(1795341600) * 1000000);
	assert_string_equal(w->reason, "Column repacking");
	assert_string_equal(w->announced_by, "");
	assert_int_equal(w->source, MAINT_SRC_CONFIG);
	assert_false(w->cancelled);
	w = &r.m->maintenance[1];
	assert_int_equal(w->start_us, INT64_C(1796162400) * 1000000 + 500000);
	assert_int_equal(w->end_us, INT64_C(1796185800) * 1000000);
	/* No id: the stable one, the same at every load and console. */
	maint_config_id(w->start_us, w->end_us, w->reason, id);
	assert_string_equal(w->id, id);
	assert_int_equal(strncmp(w->id, "cfg-", 4), 0);
	assert_int_equal(w->source, MAINT_SRC_CONFIG);
	unload(&r);

	/* An empty list is none; MAINT_SET_CAP windows is the most. */
	assert_loads("{'site': 'Plant', 'console_id': 'c-1', 'maintenance': []}",
	    base_devices, &r);
	assert_int_equal(r.m->nmaintenance, 0);
	unload(&r);
	big = app_with_windows(MAINT_SET_CAP);
	assert_loads(big, base_devices, &r);
	assert_int_equal(r.m->nmaintenance, MAINT_SET_CAP);
	unload(&r);
	free(big);
	big = app_with_windows(MAINT_SET_CAP + 1);
	load(&r, big, base_devices);
	assert_one_error(&r, "app.json", 2, 17, "$.maintenance",
	    "too many maintenance windows: 65 (at most 64)");
	unload(&r);
	free(big);
}

static void
test_historian_password(void **state)
{
	static const char *const bad[] = {
		"host=db password=secret",
		"host=db PASSWORD = secret",
		"host=db sslpassword=secret",
		"postgresql://jope:secret@db/jope",
		"postgres://db/jope?password=secret",
	};
	static const char *const good[] = {
		"host=db user=jope passfile=/etc/jope/pgpass",
		"postgresql://jope@db:5432/jope",
		"postgresql://db/jope?options=a:b@c",
		"",
	};
	char app[512];
	struct run r;
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_LEN(bad); k++) {
		snprintf(app, sizeof(app), "{'site': 'P', 'console_id': 'c',\n"
		    "  'historian': {'conninfo': '%s'}}", bad[k]);
		load(&r, app, base_devices);
		assert_one_error(&r, "app.json", 2, 29, "$.historian.conninfo",
		    PWMSG);
		unload(&r);
	}
	for (k = 0; k < ARRAY_LEN(good); k++) {
		snprintf(app, sizeof(app), "{'site': 'P', 'console_id': 'c',\n"
		    "  'historian': {'conninfo': '%s'}}", good[k]);
		assert_loads(app, base_devices, &r);
		assert_string_equal(r.m->app.historian_conninfo, good[k]);
		unload(&r);
	}
}

static void
test_syntax_errors(void **state)
{
	struct run r;
	char *dev;

	(void)state;
	/* A missing comma: jansson's position, jsonpos's path. */
	dev = replace_once(base_devices, "'unit_id': 1},\n    {'id': 'tic1'",
	    "'unit_id': 1}\n    {'id': 'tic1'");
	load(&r, app_ok, dev);
	assert_one_error(&r, "devices.json", 8, 5, "$.devices",
	    "syntax error: ']' expected near '{'");
	unload(&r);
	free(dev);

	/* A token the scanner skips: the path of the value it starts. */
	dev = replace_once(base_devices, "'address': 0,", "'address': 01,");
	load(&r, app_ok, dev);
	assert_one_error(&r, "devices.json", 12, 76, "$.points[0].address",
	    "syntax error: invalid token near '0'");
	unload(&r);
	free(dev);

	/* Truncated file; devices.json is still checked in full. */
	dev = replace_once(base_devices, "'port': 502", "'port': '502'");
	load(&r, "{'site': 'Plant',\n 'console_id': 'c-1'", dev);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.errs.n, 2);
	assert_error(&r.errs, 0, "app.json", 2, 20, "$",
	    "syntax error: '}' expected near end of file");
	assert_error(&r.errs, 1, "devices.json", 3, 63, "$.connectors[0].port",
	    "expected an integer, got a string");
	unload(&r);
	free(dev);
}

/* A byte order mark is skipped and not counted as a column. */
static void
test_byte_order_mark(void **state)
{
	struct run r;
	char *dev;

	(void)state;
	dev = replace_once(base_devices, "{\n  'connectors'",
	    "\xef\xbb\xbf{'connectors': 1,\n  'connectors'");
	load(&r, "\xef\xbb\xbf{'site': 'Plant', 'console_id': 'c-1'}", dev);
	assert_one_error(&r, "devices.json", 2, 3, "$.connectors",
	    "duplicate key (first at line 1, column 2)");
	unload(&r);
	free(dev);
}

static void
test_missing_files(void **state)
{
	struct run r;

	(void)state;
	load(&r, NULL, NULL);
	assert_int_equal(r.rc, -1);
	assert_null(r.m);
	assert_int_equal(r.errs.n, 2);
	assert_error(&r.errs, 0, "app.json", 0, 0, "$",
	    "cannot read: No such file or directory");
	assert_error(&r.errs, 1, "devices.json", 0, 0, "$",
	    "cannot read: No such file or directory");
	unload(&r);

	load(&r, app_ok, NULL);
	assert_one_error(&r, "devices.json", 0, 0, "$",
	    "cannot read: No such file or directory");
	unload(&r);
}

/* One load lists every problem of both files, in file order. */
static void
test_all_errors_reported(void **state)
{
	static const char app[] = "{'site': '', 'console_id': 'c-1',\n"
	    " 'theme': 'pink'}";
	struct run r;
	char *d1, *d2, *d3, *d4;

	(void)state;
	d1 = replace_once(base_devices, "'port': 502", "'port': 0");
	d2 = replace_once(d1, "'connector': 'tcp1'", "'connector': 'tcp9'");
	d3 = replace_once(d2, "{'id': 'run', 'device': 'pump', 'table': 'coil', ",
	    "{'id': 'run', 'device': 'pump', ");
	d4 = replace_once(d3, "['flow', 'run']", "['flow', 'walk']");
	load(&r, app, d4);
	assert_int_equal(r.rc, -1);
	assert_null(r.m);
	if (r.errs.n != 6) {
		dump_errors(&r.errs);
		fail_msg("want 6 errors, got %zu", r.errs.n);
	}
	assert_error(&r.errs, 0, "app.json", 1, 10, "$.site",
	    "must not be empty");
	assert_error(&r.errs, 1, "app.json", 2, 11, "$.theme",
	    "\"pink\" is not one of \"dark\", \"light\", \"mono\"");
	assert_error(&r.errs, 2, "devices.json", 3, 63, "$.connectors[0].port",
	    "0 is out of range (1..65535)");
	assert_error(&r.errs, 3, "devices.json", 7, 33,
	    "$.devices[0].connector", "unknown connector \"tcp9\"");
	assert_error(&r.errs, 4, "devices.json", 15, 5, "$.points[3]",
	    "missing required key \"table\"");
	assert_error(&r.errs, 5, "devices.json", 18, 58,
	    "$.events[0].points[1]", "unknown point \"walk\"");
	unload(&r);
	free(d1);
	free(d2);
	free(d3);
	free(d4);
}

static void
test_errors_print(void **state)
{
	struct config_errors errs;
	struct config_error e[2];
	char buf[512];
	FILE *fp;
	size_t n;

	(void)state;
	memset(e, 0, sizeof(e));
	str_copy(e[0].file, "etc/app.json", sizeof(e[0].file));
	e[0].line = 3;
	e[0].column = 7;
	str_copy(e[0].path, "$.theme", sizeof(e[0].path));
	str_copy(e[0].message, "bad", sizeof(e[0].message));
	str_copy(e[1].file, "etc/devices.json", sizeof(e[1].file));
	str_copy(e[1].path, "$", sizeof(e[1].path));
	str_copy(e[1].message, "cannot read: gone", sizeof(e[1].message));
	errs.v = e;
	errs.n = errs.cap = 2;
	fp = tmpfile();
	assert_non_null(fp);
	config_errors_print(&errs, fp);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, "etc/app.json:3:7: $.theme: bad\n"
	    "etc/devices.json:0:0: $: cannot read: gone\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonpos_nested),
		cmocka_unit_test(test_jsonpos_escapes_and_utf8),
		cmocka_unit_test(test_jsonpos_duplicate_keys),
		cmocka_unit_test(test_jsonpos_malformed),
		cmocka_unit_test(test_jsonpos_paths),
		cmocka_unit_test(test_valid_model),
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_valid_extended),
		cmocka_unit_test(test_valid_alarms_recipes),
		cmocka_unit_test(test_shipped_configs),
		cmocka_unit_test(test_demo_alarm_cycle),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_dangling_references),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_invalid_enums),
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_alarm_errors),
		cmocka_unit_test(test_recipe_errors),
		cmocka_unit_test(test_maintenance_windows),
		cmocka_unit_test(test_historian_password),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_byte_order_mark),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_errors_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
