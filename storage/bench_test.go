package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// benchPNG makes a PNG of about size bytes (noise compresses badly).
func benchPNG(b *testing.B, size int) []byte {
	rng := rand.New(rand.NewPCG(7, 7))
	side := 16
	for {
		img := image.NewNRGBA(image.Rect(0, 0, side*4/3, side))
		for i := range img.Pix {
			img.Pix[i] = byte(rng.IntN(256))
			if i%4 == 3 {
				img.Pix[i] = 255
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			b.Fatal(err)
		}
		if buf.Len() >= size {
			return buf.Bytes()
		}
		side = side * 11 / 10
	}
}

// withText inserts a tEXt chunk after IHDR so every saved image is distinct.
func withText(p []byte, text string) []byte {
	data := []byte("Comment\x00" + text)
	var chunk bytes.Buffer
	binary.Write(&chunk, binary.BigEndian, uint32(len(data)))
	chunk.WriteString("tEXt")
	chunk.Write(data)
	binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("tEXt"), data...)))
	const ihdrEnd = 8 + 25
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, chunk.Bytes()...)
	return append(out, p[ihdrEnd:]...)
}

func BenchmarkSaveCase300KB(b *testing.B) {
	s, err := OpenWith(filepath.Join(b.TempDir(), FileName), Options{SkipBackgroundCheck: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	img := benchPNG(b, 300<<10)
	ctx := context.Background()
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		c, err := s.CreateCase(ctx, Case{PatientRef: fmt.Sprintf("B-%d", i), Context: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.AddModelInput(ctx, ModelInput{CaseUID: c.UID, PNG: withText(img, fmt.Sprint(i)), Edits: []byte(`{"version":1}`)}); err != nil {
			b.Fatal(err)
		}
	}
}

var benchPhrases = []string{
	"Sinus rhythm.", "Sinus rhythm.", "Sinus rhythm.", "Sinus tachycardia.", "Sinus bradycardia.",
	"Atrial fibrillation with rapid ventricular response.", "First degree AV block.",
	"Left bundle branch block.", "Right bundle branch block.", "Left axis deviation.",
	"Left ventricular hypertrophy.", "ST elevation in the inferior leads.", "T wave inversion in V1-V3.",
	"Premature ventricular complexes.", "Normal ECG.", "Borderline ECG.", "Prolonged QT interval.",
	"Brugada pattern.", "Wolff-Parkinson-White pattern.", "Low QRS voltage.", "Atrial flutter.",
}

const benchCases = 100_000

// bench100k returns a log of 100,000 cases (each with a run and a report
// version), generated once into the temporary folder and reused.
func bench100k(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("pulsedesk-bench-100k-v%d.db", SchemaVersion()))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("generating %s (once)", path)
	start := time.Now()
	tmp := path + ".gen"
	for _, sfx := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + sfx)
	}
	s, err := OpenWith(tmp, Options{SkipBackgroundCheck: true})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(100, 100))
	ctx := context.Background()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	const batch = 5000
	for lo := 0; lo < benchCases; lo += batch {
		err := s.write(ctx, "generate", func(tx *sql.Tx) error {
			for i := lo; i < lo+batch; i++ {
				at := t0 + int64(i)*9*60*1000 // a case every 9 minutes: about 21 months
				status := "draft"
				if rng.IntN(3) > 0 {
					status = "signed"
				}
				res, err := tx.ExecContext(ctx, `INSERT INTO cases (uid, created_at, updated_at, patient_ref, age, sex, context, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
					newUID(), at, at, fmt.Sprintf("P-%06d", i), 18+rng.IntN(80), []string{"F", "M"}[rng.IntN(2)],
					[]string{"chest pain", "palpitations", "syncope", "pre-operative", "dyspnoea", "follow-up"}[rng.IntN(6)], status)
				if err != nil {
					return err
				}
				id, _ := res.LastInsertId()
				if rng.IntN(10) == 0 {
					if _, err := tx.ExecContext(ctx, `INSERT INTO case_tags (tag, case_id) VALUES ('ward 3', ?)`, id); err != nil {
						return err
					}
				}
				answer := ""
				for k := 0; k < 2+rng.IntN(3); k++ {
					answer += benchPhrases[rng.IntN(len(benchPhrases))] + " "
				}
				model := "pulse"
				if rng.IntN(20) == 0 {
					model = "llava:13b"
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO runs (uid, case_id, model, model_digest, prompt, answer, outcome, started_at, finished_at)
					VALUES (?, ?, ?, 'sha256:0123', 'Please write a clinical report based on this ECG image.', ?, 'complete', ?, ?)`,
					newUID(), id, model, answer, at+1000, at+120000); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO reports (uid, case_id, version, body, author, created_at, signed) VALUES (?, ?, 1, ?, 'Dr Bench', ?, ?)`,
					newUID(), id, benchPhrases[rng.IntN(len(benchPhrases))]+" Agree with the model.", at+300000, status == "signed"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.Close()
			b.Fatal(err)
		}
	}
	if _, err := s.db.Exec(`INSERT INTO search_index (search_index) VALUES ('optimize')`); err != nil {
		b.Fatal(err)
	}
	if _, err := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	s.Close()
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated in %v", time.Since(start))
	return path
}

func BenchmarkOpen100k(b *testing.B) {
	path := bench100k(b)
	for b.Loop() {
		s, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	if len(d) == 0 {
		return
	}
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(d[len(d)*95/100].Microseconds())/1000, "p95-ms")
}

func BenchmarkSearch100k(b *testing.B) {
	s, err := OpenWith(bench100k(b), Options{SkipBackgroundCheck: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	queries := []string{"P-054321", "sinus", "fibrillation", "brugada", "wolff parkinson", "syncope", "agree", "left bundle", "P-0999", "nothing-matches-this"}
	var d []time.Duration
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		t := time.Now()
		p, err := s.Search(ctx, q, Filter{})
		d = append(d, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		if q == "P-054321" && (len(p.Cases) != 1 || p.Cases[0].PatientRef != "P-054321") {
			b.Fatalf("search %q: %d cases", q, len(p.Cases))
		}
	}
	reportPercentiles(b, d)
}

func BenchmarkListPage100k(b *testing.B) {
	s, err := OpenWith(bench100k(b), Options{SkipBackgroundCheck: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	// Cursors spread over the whole log: first page, and pages deep inside.
	var cursors []string
	f := Filter{Limit: 1000}
	for k := 0; k < 20; k++ {
		p, err := s.ListCases(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		cursors = append(cursors, f.After)
		f.After = p.Next
		for j := 0; j < 4 && f.After != ""; j++ {
			p, _ = s.ListCases(ctx, Filter{Limit: 1000, After: f.After})
			f.After = p.Next
		}
	}
	var d []time.Duration
	i := 0
	for b.Loop() {
		t := time.Now()
		p, err := s.ListCases(ctx, Filter{Limit: 50, After: cursors[i%len(cursors)]})
		d = append(d, time.Since(t))
		i++
		if err != nil || len(p.Cases) != 50 {
			b.Fatalf("page: %d cases, %v", len(p.Cases), err)
		}
	}
	reportPercentiles(b, d)
}

func BenchmarkListFiltered100k(b *testing.B) {
	s, err := OpenWith(bench100k(b), Options{SkipBackgroundCheck: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	filters := []Filter{{Status: StatusDraft}, {Tag: "ward 3"}, {Model: "llava"}, {From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)}}
	var d []time.Duration
	i := 0
	for b.Loop() {
		t := time.Now()
		_, err := s.ListCases(ctx, filters[i%len(filters)])
		d = append(d, time.Since(t))
		i++
		if err != nil {
			b.Fatal(err)
		}
	}
	reportPercentiles(b, d)
}
