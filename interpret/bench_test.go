package interpret

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"pulsedesk/interpret/ollamatest/realserver"
	"pulsedesk/viewer"
)

// page300 renders the real vector PDF printout at 300 DPI (A4 landscape:
// about 3507×2481 px), the size a 300 DPI scan of a page has.
func page300(b *testing.B) image.Image {
	b.Helper()
	doc, err := viewer.Open("testdata/dcmplot_anonymous_ecg_3x4_1.pdf")
	if err != nil {
		b.Fatal(err)
	}
	defer doc.Close()
	img, err := doc.Render(0, 300)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// BenchmarkPrepare300DPI: the model input (1008 px long side, area
// filter, PNG, SHA-256) from a 300 DPI page; reports the bytes sent and
// the bytes of the naive full-resolution PNG.
func BenchmarkPrepare300DPI(b *testing.B) {
	img := page300(b)
	var naive bytes.Buffer
	if err := png.Encode(&naive, img); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.ReportAllocs()
	var in ModelInput
	for i := 0; i < b.N; i++ {
		var err error
		if in, err = Prepare(img, 1008); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sz := img.Bounds().Size()
	b.ReportMetric(float64(sz.X*sz.Y)/1e6, "src-MP")
	b.ReportMetric(float64(len(in.PNG)), "bytes-sent")
	b.ReportMetric(float64(naive.Len()), "bytes-naive-png")
	b.ReportMetric(float64(naive.Len())/float64(len(in.PNG)), "x-smaller")
}

// BenchmarkNaiveFullResolutionPNG is the PNG of the whole 300 DPI page,
// what sending the page as it is would cost to encode.
func BenchmarkNaiveFullResolutionPNG(b *testing.B) {
	img := page300(b)
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := png.Encode(io.Discard, img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientOverhead is the time from Ask to the request arriving at
// the server (its first byte on the wire: the handler runs when the
// headers are in), with a prepared 1008 px model input in the first turn.
// The server answers at once, so the rest of each iteration is the
// round trip, reported apart.
func BenchmarkClientOverhead(b *testing.B) {
	img := page300(b)
	in, err := Prepare(img, 1008)
	if err != nil {
		b.Fatal(err)
	}
	var arrived atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/chat":
			arrived.Store(time.Now().UnixNano())
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-ndjson")
			io.WriteString(w, `{"model":"pulse","message":{"role":"assistant","content":"ok"},"done":false}`+"\n")
			io.WriteString(w, `{"model":"pulse","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":2900,"eval_count":1}`+"\n")
		case "/api/ps":
			io.WriteString(w, `{"models":[]}`)
		}
	}))
	defer srv.Close()
	c, err := New(Config{Server: srv.URL, Getenv: func(string) string { return "" }})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	m := Model{Name: "pulse", Digest: "d"}
	var toWire time.Duration
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cv := c.NewConversation(m, &in, Settings{})
		start := time.Now()
		res, err := cv.Ask(context.Background(), "Please write a clinical report based on this ECG image.", RunOptions{})
		if err != nil || res.Outcome != OutcomeComplete {
			b.Fatal(err, res.Err)
		}
		toWire += time.Duration(arrived.Load() - start.UnixNano())
	}
	b.ReportMetric(float64(toWire.Microseconds())/float64(b.N), "µs-call-to-wire")
	b.ReportMetric(float64(len(in.PNG)), "png-bytes")
}

// BenchmarkFirstTokenRealServer: time from Ask to the first streamed
// piece on the real Ollama server with the tiny vision model, the model
// unloaded before each run ("cold") or preloaded with Preload ("preloaded").
// The difference is the load time the preload takes off the user's wait.
func BenchmarkFirstTokenRealServer(b *testing.B) {
	srv := realserver.Start(b)
	name := srv.AddVisionModel(b)
	ctx := context.Background()
	c, err := New(Config{Server: srv.URL, Getenv: func(string) string { return "" }})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	m, err := c.RequireVision(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	in, err := Prepare(page300(b), m.ImageLongSide)
	if err != nil {
		b.Fatal(err)
	}
	for _, preload := range []bool{false, true} {
		label := "cold"
		if preload {
			label = "preloaded"
		}
		b.Run(label, func(b *testing.B) {
			var first time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if err := c.Unload(ctx, name); err != nil {
					b.Fatal(err)
				}
				if preload {
					if err := c.Preload(ctx, name, time.Minute); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				cv := c.NewConversation(m, &in, Settings{NumPredict: 4})
				res, err := cv.Ask(ctx, "Please write a clinical report based on this ECG image.", RunOptions{})
				if err != nil || res.FirstToken == 0 {
					b.Fatalf("%v %+v", err, res)
				}
				first += res.FirstToken
			}
			b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms-first-token")
		})
	}
}
