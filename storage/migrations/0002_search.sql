-- Migration 2: full-text search over patient references, context, answers and reports.
-- One FTS5 row per source; its rowid says which: -cases.id for a case's reference and
-- context, 2*runs.id for a run's answer, 2*reports.id+1 for a report version.

CREATE VIRTUAL TABLE search_index USING fts5 (
	text,
	case_id UNINDEXED,
	tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO search_index (rowid, text, case_id) SELECT -id, patient_ref || ' ' || context, id FROM cases;
INSERT INTO search_index (rowid, text, case_id) SELECT 2 * id, answer, case_id FROM runs WHERE answer <> '';
INSERT INTO search_index (rowid, text, case_id) SELECT 2 * id + 1, body, case_id FROM reports;

CREATE TRIGGER search_case_insert AFTER INSERT ON cases BEGIN
	INSERT INTO search_index (rowid, text, case_id) VALUES (-NEW.id, NEW.patient_ref || ' ' || NEW.context, NEW.id);
END;
CREATE TRIGGER search_case_update AFTER UPDATE OF patient_ref, context ON cases BEGIN
	DELETE FROM search_index WHERE rowid = -OLD.id;
	INSERT INTO search_index (rowid, text, case_id) VALUES (-NEW.id, NEW.patient_ref || ' ' || NEW.context, NEW.id);
END;
CREATE TRIGGER search_case_delete AFTER DELETE ON cases BEGIN
	DELETE FROM search_index WHERE rowid = -OLD.id;
END;

CREATE TRIGGER search_run_insert AFTER INSERT ON runs WHEN NEW.answer <> '' BEGIN
	INSERT INTO search_index (rowid, text, case_id) VALUES (2 * NEW.id, NEW.answer, NEW.case_id);
END;
CREATE TRIGGER search_run_update AFTER UPDATE OF answer ON runs WHEN NEW.answer IS NOT OLD.answer BEGIN
	DELETE FROM search_index WHERE rowid = 2 * OLD.id;
	INSERT INTO search_index (rowid, text, case_id) VALUES (2 * NEW.id, NEW.answer, NEW.case_id);
END;
CREATE TRIGGER search_run_delete AFTER DELETE ON runs BEGIN
	DELETE FROM search_index WHERE rowid = 2 * OLD.id;
END;

CREATE TRIGGER search_report_insert AFTER INSERT ON reports BEGIN
	INSERT INTO search_index (rowid, text, case_id) VALUES (2 * NEW.id + 1, NEW.body, NEW.case_id);
END;
CREATE TRIGGER search_report_delete AFTER DELETE ON reports BEGIN
	DELETE FROM search_index WHERE rowid = 2 * OLD.id + 1;
END;
