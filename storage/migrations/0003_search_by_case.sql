-- Migration 3: cases get a sort key, the creation time in milliseconds times 1000 plus a
-- counter (unique; the order of the case list, newest first), and the full-text index gets one
-- row per case whose rowid is that key. A search then walks the index newest first and stops
-- after one page, however common the word (fast at 100,000 cases).

DROP TRIGGER search_case_insert;
DROP TRIGGER search_case_update;
DROP TRIGGER search_case_delete;
DROP TRIGGER search_run_insert;
DROP TRIGGER search_run_update;
DROP TRIGGER search_run_delete;
DROP TRIGGER search_report_insert;
DROP TRIGGER search_report_delete;
DROP TABLE search_index;

ALTER TABLE cases ADD COLUMN sort_key INTEGER;
UPDATE cases SET sort_key = created_at * 1000
	+ (SELECT count(*) FROM cases c2 WHERE c2.created_at = cases.created_at AND c2.id < cases.id);
CREATE UNIQUE INDEX cases_sort ON cases (sort_key);

DROP TRIGGER cases_identity;
CREATE TRIGGER cases_identity BEFORE UPDATE ON cases
WHEN NEW.id IS NOT OLD.id OR NEW.uid IS NOT OLD.uid OR NEW.created_at IS NOT OLD.created_at
	OR (OLD.sort_key IS NOT NULL AND NEW.sort_key IS NOT OLD.sort_key)
BEGIN SELECT RAISE(ABORT, 'cases: uid, creation time and sort key never change'); END;

CREATE TRIGGER cases_sort_key AFTER INSERT ON cases WHEN NEW.sort_key IS NULL BEGIN
	UPDATE cases SET sort_key = (
		SELECT coalesce(max(sort_key) + 1, NEW.created_at * 1000) FROM cases
		WHERE sort_key BETWEEN NEW.created_at * 1000 AND NEW.created_at * 1000 + 999)
	WHERE id = NEW.id;
END;

CREATE VIRTUAL TABLE search_index USING fts5 (
	text,
	tokenize = 'unicode61 remove_diacritics 2'
);

-- search_text is what a case's index row is made of.
CREATE VIEW search_text (sort_key, case_id, text) AS
SELECT c.sort_key, c.id,
	c.patient_ref || char(10) || c.context
	|| char(10) || coalesce((SELECT group_concat(answer, char(10)) FROM runs WHERE case_id = c.id), '')
	|| char(10) || coalesce((SELECT group_concat(body, char(10)) FROM reports WHERE case_id = c.id), '')
FROM cases c;

INSERT INTO search_index (rowid, text) SELECT sort_key, text FROM search_text;

CREATE TRIGGER search_case_keyed AFTER UPDATE OF sort_key ON cases WHEN OLD.sort_key IS NULL BEGIN
	INSERT INTO search_index (rowid, text) SELECT sort_key, text FROM search_text WHERE case_id = NEW.id;
END;
CREATE TRIGGER search_case_insert AFTER INSERT ON cases WHEN NEW.sort_key IS NOT NULL BEGIN
	INSERT INTO search_index (rowid, text) SELECT sort_key, text FROM search_text WHERE case_id = NEW.id;
END;
CREATE TRIGGER search_case_update AFTER UPDATE OF patient_ref, context ON cases WHEN OLD.sort_key IS NOT NULL BEGIN
	DELETE FROM search_index WHERE rowid = OLD.sort_key;
	INSERT INTO search_index (rowid, text) SELECT sort_key, text FROM search_text WHERE case_id = NEW.id;
END;
CREATE TRIGGER search_case_delete AFTER DELETE ON cases BEGIN
	DELETE FROM search_index WHERE rowid = OLD.sort_key;
END;

CREATE TRIGGER search_run_insert AFTER INSERT ON runs WHEN NEW.answer <> '' BEGIN
	DELETE FROM search_index WHERE rowid = (SELECT sort_key FROM cases WHERE id = NEW.case_id);
	INSERT INTO search_index (rowid, text) SELECT sort_key, text FROM search_text WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER search_run_update AFTER UPDATE OF answer ON runs WHEN NEW.answer IS NOT OLD.answer BEGIN
	DELETE FROM search_index WHERE rowid = (SELECT sort_key FROM cases WHERE id = NEW.case_id);
	INSERT INTO search_index (rowid, text) SELECT sort_key, text FROM search_text WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER search_run_delete AFTER DELETE ON runs BEGIN
	DELETE FROM search_index WHERE rowid = (SELECT sort_key FROM cases WHERE id = OLD.case_id);
	INSERT INTO search_index (rowid, text) SELECT sort_key, text FROM search_text WHERE case_id = OLD.case_id;
END;

CREATE TRIGGER search_report_insert AFTER INSERT ON reports BEGIN
	DELETE FROM search_index WHERE rowid = (SELECT sort_key FROM cases WHERE id = NEW.case_id);
	INSERT INTO search_index (rowid, text) SELECT sort_key, text FROM search_text WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER search_report_delete AFTER DELETE ON reports BEGIN
	DELETE FROM search_index WHERE rowid = (SELECT sort_key FROM cases WHERE id = OLD.case_id);
	INSERT INTO search_index (rowid, text) SELECT sort_key, text FROM search_text WHERE case_id = OLD.case_id;
END;

-- The index's vocabulary, to turn a typed prefix into the words it stands for.
CREATE VIRTUAL TABLE search_vocab USING fts5vocab (search_index, 'row');
