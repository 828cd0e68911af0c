-- Migration 1: the core case log.
-- Times are INTEGER milliseconds since 1970-01-01 UTC; durations are INTEGER nanoseconds.
-- Uids are 32 lower-case hex digits (128 random bits); blobs are keyed by their SHA-256 (hex).

CREATE TABLE cases (
	id          INTEGER PRIMARY KEY,
	uid         TEXT    NOT NULL UNIQUE CHECK (length(uid) = 32),
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	recorded_at INTEGER,
	patient_ref TEXT    NOT NULL DEFAULT '',
	age         INTEGER CHECK (age IS NULL OR age BETWEEN 0 AND 150),
	sex         TEXT    NOT NULL DEFAULT '' CHECK (sex IN ('', 'F', 'M')),
	context     TEXT    NOT NULL DEFAULT '',
	status      TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed'))
);
CREATE INDEX cases_created ON cases (created_at, id);

CREATE TABLE case_tags (
	tag     TEXT    NOT NULL,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	PRIMARY KEY (tag, case_id)
) WITHOUT ROWID;
CREATE INDEX case_tags_case ON case_tags (case_id);

CREATE TABLE blobs (
	sha256 TEXT    PRIMARY KEY CHECK (length(sha256) = 64),
	size   INTEGER NOT NULL,
	data   BLOB    NOT NULL
);

CREATE TABLE documents (
	id         INTEGER PRIMARY KEY,
	uid        TEXT    NOT NULL UNIQUE,
	case_id    INTEGER NOT NULL REFERENCES cases (id),
	sha256     TEXT    NOT NULL REFERENCES blobs (sha256),
	name       TEXT    NOT NULL DEFAULT '',
	media_type TEXT    NOT NULL DEFAULT '',
	pages      INTEGER NOT NULL DEFAULT 1,
	size       INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (case_id, sha256)
);
CREATE INDEX documents_sha ON documents (sha256);

CREATE TABLE model_inputs (
	id          INTEGER PRIMARY KEY,
	uid         TEXT    NOT NULL UNIQUE,
	case_id     INTEGER NOT NULL REFERENCES cases (id),
	document_id INTEGER REFERENCES documents (id),
	sha256      TEXT    NOT NULL REFERENCES blobs (sha256),
	width       INTEGER NOT NULL,
	height      INTEGER NOT NULL,
	edits       TEXT    NOT NULL DEFAULT '{}',
	page        INTEGER NOT NULL DEFAULT 0,
	dpi         REAL    NOT NULL DEFAULT 0,
	px_per_mm_x REAL    NOT NULL DEFAULT 0,
	px_per_mm_y REAL    NOT NULL DEFAULT 0,
	scale       REAL    NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
);
CREATE INDEX model_inputs_case ON model_inputs (case_id);
CREATE INDEX model_inputs_sha ON model_inputs (sha256);
CREATE INDEX model_inputs_document ON model_inputs (document_id);

CREATE TABLE runs (
	id              INTEGER PRIMARY KEY,
	uid             TEXT    NOT NULL UNIQUE,
	case_id         INTEGER NOT NULL REFERENCES cases (id),
	model_input_id  INTEGER REFERENCES model_inputs (id),
	parent_id       INTEGER REFERENCES runs (id),
	model           TEXT    NOT NULL,
	model_digest    TEXT    NOT NULL DEFAULT '',
	task            TEXT    NOT NULL DEFAULT '',
	prompt          TEXT    NOT NULL DEFAULT '',
	options         TEXT    NOT NULL DEFAULT '{}',
	answer          TEXT    NOT NULL DEFAULT '',
	outcome         TEXT    NOT NULL DEFAULT 'running'
	                CHECK (outcome IN ('running', 'complete', 'cancelled', 'failed', 'interrupted')),
	error           TEXT    NOT NULL DEFAULT '',
	done_reason     TEXT    NOT NULL DEFAULT '',
	prompt_tokens   INTEGER NOT NULL DEFAULT 0,
	answer_tokens   INTEGER NOT NULL DEFAULT 0,
	load_ns         INTEGER NOT NULL DEFAULT 0,
	prefill_ns      INTEGER NOT NULL DEFAULT 0,
	generation_ns   INTEGER NOT NULL DEFAULT 0,
	started_at      INTEGER NOT NULL,
	checkpointed_at INTEGER,
	finished_at     INTEGER,
	owner           TEXT    NOT NULL DEFAULT '',
	CHECK ((outcome = 'running') = (finished_at IS NULL))
);
CREATE INDEX runs_case ON runs (case_id);
CREATE INDEX runs_model ON runs (model, case_id);
CREATE INDEX runs_parent ON runs (parent_id);
CREATE INDEX runs_input ON runs (model_input_id);
CREATE INDEX runs_running ON runs (owner) WHERE outcome = 'running';

CREATE TABLE reports (
	id         INTEGER PRIMARY KEY,
	uid        TEXT    NOT NULL UNIQUE,
	case_id    INTEGER NOT NULL REFERENCES cases (id),
	version    INTEGER NOT NULL CHECK (version >= 1),
	body       TEXT    NOT NULL,
	author     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	signed     INTEGER NOT NULL DEFAULT 0 CHECK (signed IN (0, 1)),
	amendment  INTEGER NOT NULL DEFAULT 0 CHECK (amendment IN (0, 1)),
	UNIQUE (case_id, version)
);

CREATE TABLE report_drafts (
	case_id    INTEGER PRIMARY KEY REFERENCES cases (id),
	body       TEXT    NOT NULL,
	author     TEXT    NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL
);

CREATE TABLE measurements (
	id                    INTEGER PRIMARY KEY,
	uid                   TEXT    NOT NULL UNIQUE,
	case_id               INTEGER NOT NULL REFERENCES cases (id),
	model_input_id        INTEGER REFERENCES model_inputs (id),
	kind                  TEXT    NOT NULL,
	value                 REAL    NOT NULL,
	unit                  TEXT    NOT NULL DEFAULT '',
	points                TEXT    NOT NULL DEFAULT '[]',
	calibration           TEXT    NOT NULL DEFAULT '{}',
	calibration_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (calibration_confirmed IN (0, 1)),
	note                  TEXT    NOT NULL DEFAULT '',
	author                TEXT    NOT NULL DEFAULT '',
	created_at            INTEGER NOT NULL
);
CREATE INDEX measurements_case ON measurements (case_id);
CREATE INDEX measurements_input ON measurements (model_input_id);

CREATE TABLE tombstones (
	id         INTEGER PRIMARY KEY,
	case_uid   TEXT    NOT NULL UNIQUE,
	deleted_at INTEGER NOT NULL,
	deleted_by TEXT    NOT NULL CHECK (deleted_by <> ''),
	reason     TEXT    NOT NULL CHECK (reason <> '')
);

-- Rules. A closed run never changes; a running one changes only its answer,
-- counters and, once, its outcome. Documents, model inputs, report versions,
-- measurements and tombstones never change. Rows go away only with a case
-- that has a tombstone; blobs only when nothing refers to them.

CREATE TRIGGER cases_no_revive BEFORE INSERT ON cases
WHEN EXISTS (SELECT 1 FROM tombstones WHERE case_uid = NEW.uid)
BEGIN SELECT RAISE(ABORT, 'cases: this case was deleted (tombstone) and cannot come back'); END;

CREATE TRIGGER cases_identity BEFORE UPDATE ON cases
WHEN NEW.id IS NOT OLD.id OR NEW.uid IS NOT OLD.uid OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'cases: uid and creation time never change'); END;

CREATE TRIGGER cases_stay_signed BEFORE UPDATE ON cases
WHEN OLD.status = 'signed' AND NEW.status <> 'signed'
BEGIN SELECT RAISE(ABORT, 'cases: a signed case stays signed (amend it with a new report version)'); END;

CREATE TRIGGER cases_delete BEFORE DELETE ON cases
WHEN NOT EXISTS (SELECT 1 FROM tombstones WHERE case_uid = OLD.uid)
BEGIN SELECT RAISE(ABORT, 'cases: a case is deleted only after its tombstone is written'); END;

CREATE TRIGGER blobs_no_update BEFORE UPDATE ON blobs
BEGIN SELECT RAISE(ABORT, 'blobs: stored bytes never change'); END;

CREATE TRIGGER blobs_delete BEFORE DELETE ON blobs
WHEN EXISTS (SELECT 1 FROM documents WHERE sha256 = OLD.sha256)
  OR EXISTS (SELECT 1 FROM model_inputs WHERE sha256 = OLD.sha256)
BEGIN SELECT RAISE(ABORT, 'blobs: still in use'); END;

CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'documents: a stored document never changes'); END;

CREATE TRIGGER documents_delete BEFORE DELETE ON documents
WHEN NOT EXISTS (SELECT 1 FROM tombstones t JOIN cases c ON c.uid = t.case_uid WHERE c.id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'documents: deleted only with their case, after a tombstone'); END;

CREATE TRIGGER model_inputs_no_update BEFORE UPDATE ON model_inputs
BEGIN SELECT RAISE(ABORT, 'model_inputs: a model input never changes'); END;

CREATE TRIGGER model_inputs_delete BEFORE DELETE ON model_inputs
WHEN NOT EXISTS (SELECT 1 FROM tombstones t JOIN cases c ON c.uid = t.case_uid WHERE c.id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'model_inputs: deleted only with their case, after a tombstone'); END;

CREATE TRIGGER runs_closed BEFORE UPDATE ON runs
WHEN OLD.outcome <> 'running'
BEGIN SELECT RAISE(ABORT, 'runs: a closed run never changes'); END;

CREATE TRIGGER runs_identity BEFORE UPDATE ON runs
WHEN OLD.outcome = 'running' AND (
	NEW.id IS NOT OLD.id OR NEW.uid IS NOT OLD.uid OR NEW.case_id IS NOT OLD.case_id
	OR NEW.model_input_id IS NOT OLD.model_input_id OR NEW.parent_id IS NOT OLD.parent_id
	OR NEW.model IS NOT OLD.model OR NEW.model_digest IS NOT OLD.model_digest
	OR NEW.task IS NOT OLD.task OR NEW.prompt IS NOT OLD.prompt OR NEW.options IS NOT OLD.options
	OR NEW.started_at IS NOT OLD.started_at OR NEW.owner IS NOT OLD.owner)
BEGIN SELECT RAISE(ABORT, 'runs: only the answer and the outcome of a running run may change'); END;

CREATE TRIGGER runs_delete BEFORE DELETE ON runs
WHEN NOT EXISTS (SELECT 1 FROM tombstones t JOIN cases c ON c.uid = t.case_uid WHERE c.id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'runs: deleted only with their case, after a tombstone'); END;

CREATE TRIGGER reports_no_update BEFORE UPDATE ON reports
BEGIN SELECT RAISE(ABORT, 'reports: a report version never changes (save a new version)'); END;

CREATE TRIGGER reports_delete BEFORE DELETE ON reports
WHEN NOT EXISTS (SELECT 1 FROM tombstones t JOIN cases c ON c.uid = t.case_uid WHERE c.id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'reports: deleted only with their case, after a tombstone'); END;

CREATE TRIGGER measurements_no_update BEFORE UPDATE ON measurements
BEGIN SELECT RAISE(ABORT, 'measurements: a measurement never changes (add a new one)'); END;

CREATE TRIGGER measurements_delete BEFORE DELETE ON measurements
WHEN NOT EXISTS (SELECT 1 FROM tombstones t JOIN cases c ON c.uid = t.case_uid WHERE c.id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'measurements: deleted only with their case, after a tombstone'); END;

CREATE TRIGGER tombstones_no_update BEFORE UPDATE ON tombstones
BEGIN SELECT RAISE(ABORT, 'tombstones: never change'); END;

CREATE TRIGGER tombstones_no_delete BEFORE DELETE ON tombstones
BEGIN SELECT RAISE(ABORT, 'tombstones: never deleted'); END;
