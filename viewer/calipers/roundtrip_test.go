package calipers_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"pulsedesk/viewer"
	"pulsedesk/viewer/calipers"
	"pulsedesk/viewer/ecgpaper"
	"pulsedesk/viewer/geometry"
)

// rPeaks finds the R peaks of a lead with upright QRS complexes (lead II in
// sinus rhythm): the baseline (mean over ±100 ms) is taken out, each run of
// samples above half the largest deflection is one beat, and its highest
// sample is the R peak. Beats closer than 250 ms keep the taller one.
func rPeaks(mv []float64, fs float64) []int {
	n := len(mv)
	if n == 0 {
		return nil
	}
	prefix := make([]float64, n+1)
	for i, v := range mv {
		if math.IsNaN(v) {
			v = 0
		}
		prefix[i+1] = prefix[i] + v
	}
	half := int(0.1 * fs)
	y := make([]float64, n)
	top := 0.0
	for i := range mv {
		lo, hi := max(0, i-half), min(n, i+half+1)
		y[i] = mv[i] - (prefix[hi]-prefix[lo])/float64(hi-lo)
		top = math.Max(top, y[i])
	}
	thr := top / 2
	refractory := int(0.25 * fs)
	var peaks []int
	for i := 0; i < n; i++ {
		if y[i] <= thr {
			continue
		}
		best := i
		for ; i < n && y[i] > thr; i++ {
			if mv[i] > mv[best] {
				best = i
			}
		}
		if k := len(peaks); k > 0 && best-peaks[k-1] < refractory {
			if mv[best] > mv[peaks[k-1]] {
				peaks[k-1] = best
			}
			continue
		}
		peaks = append(peaks, best)
	}
	return peaks
}

func TestRPeaksOfTheRecording(t *testing.T) {
	rec, err := ecgpaper.ReadRecord(filepath.Join("testdata", "HR06004.hea"))
	if err != nil {
		t.Fatal(err)
	}
	ii, ok := rec.Lead("II")
	if !ok {
		t.Fatal("HR06004 has no lead II")
	}
	peaks := rPeaks(ii.MV, rec.Fs)
	// Sinus rhythm over 10 s: between 5 and 20 beats, RR steady within 25 %.
	if len(peaks) < 5 || len(peaks) > 20 {
		t.Fatalf("%d R peaks in 10 s: %v", len(peaks), peaks)
	}
	var rr []float64
	for k := 1; k < len(peaks); k++ {
		rr = append(rr, float64(peaks[k]-peaks[k-1])/rec.Fs*1000)
	}
	mean := calipers.Mean(rr)
	for _, v := range rr {
		if math.Abs(v-mean) > 0.25*mean {
			t.Errorf("RR %.0f ms far from the mean %.0f ms: %v", v, mean, rr)
		}
	}
	// Each peak is the top of its QRS: higher than everything within 100 ms.
	for _, p := range peaks {
		for d := -50; d <= 50; d++ {
			if q := p + d; q >= 0 && q < len(ii.MV) && ii.MV[q] > ii.MV[p] {
				t.Errorf("sample %d is not the local maximum (sample %d is higher)", p, q)
				break
			}
		}
	}
	// The same beats are found in lead I (same heart, other view).
	if i, ok := rec.Lead("I"); ok {
		if pi := rPeaks(i.MV, rec.Fs); len(pi) != len(peaks) {
			t.Logf("lead I gives %d beats, lead II %d", len(pi), len(peaks))
		}
	}
}

// TestRoundTripOnRenderedPrintout renders a real recording onto ECG paper,
// saves it as JPEG turned by a few degrees, straightens it with the measured
// skew and calibrates from the detected grid. Calipers on R peaks found in
// the recording must give its true RR within 1 %, and an amplitude caliper on
// the calibration pulse 1.0 mV within 2 %.
func TestRoundTripOnRenderedPrintout(t *testing.T) {
	rec, err := ecgpaper.ReadRecord(filepath.Join("testdata", "HR06004.hea"))
	if err != nil {
		t.Fatal(err)
	}
	ii, ok := rec.Lead("II")
	if !ok {
		t.Fatal("HR06004 has no lead II")
	}
	peaks := rPeaks(ii.MV, rec.Fs)
	turns := []float64{3, -4.5}
	if raceEnabled {
		turns = turns[:1]
	}
	for _, turn := range turns {
		page, truth, err := ecgpaper.Render(rec, ecgpaper.Options{DPI: 200})
		if err != nil {
			t.Fatal(err)
		}
		turned, dt, err := ecgpaper.Degrade(page, ecgpaper.Degradation{RotateDeg: turn, Noise: 4, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		// Save as a JPEG file and open it as a user would.
		path := filepath.Join(t.TempDir(), "turned.jpg")
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, turned, &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		src := openFirstPage(t, path)
		sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
		if sw != dt.Width || sh != dt.Height {
			t.Fatalf("opened %dx%d, degraded truth says %dx%d", sw, sh, dt.Width, dt.Height)
		}

		skew, conf := geometry.Skew(src)
		if math.Abs(skew-turn) > 0.5 {
			t.Fatalf("turn %.1f°: skew measured %.2f° (confidence %.2f)", turn, skew, conf)
		}
		edits := viewer.NewEdits()
		edits.Rotation = -skew
		straight := viewer.Apply(src, edits)
		fw, fh := viewer.StraightSize(sw, sh, edits)
		if b := straight.Bounds(); b.Dx() != fw || b.Dy() != fh {
			t.Fatalf("straight image %v, StraightSize %dx%d", b, fw, fh)
		}
		grid := geometry.DetectGrid(straight)
		if !grid.Found {
			t.Fatalf("turn %.1f°: no grid found on the straightened page", turn)
		}
		scale := calipers.NewScale(grid.Calibration(), fw, fh)
		t.Logf("turn %.1f°: skew %.3f°, %s (truth %.3f px/mm)", turn, skew, calipers.Describe(scale.Calibration), truth.PxPerMM)

		// page pixels → degraded pixels → straight frame (normalised)
		toStraight := func(x, y float64) viewer.Point {
			dx, dy := dt.Map(x, y)
			p, ok := viewer.SourceToStraight(viewer.Point{X: dx / float64(sw), Y: dy / float64(sh)}, sw, sh, edits)
			if !ok {
				t.Fatalf("(%.1f, %.1f) has no place in the straight frame", x, y)
			}
			return p
		}

		// RR between neighbouring R peaks on the lead II rhythm strip.
		strip := truth.RhythmPanel()
		if strip < 0 {
			t.Fatal("the printout has no rhythm strip")
		}
		panel := truth.Panels[strip]
		measured, worstRR, worstPulse := 0, 0.0, 0.0
		for k := 1; k < len(peaks); k++ {
			s0, s1 := peaks[k-1], peaks[k]
			if s0 < panel.StartSample || s1 >= panel.EndSample {
				continue
			}
			x0, y0 := truth.PanelPoint(strip, float64(s0)/rec.Fs, ii.MV[s0])
			x1, y1 := truth.PanelPoint(strip, float64(s1)/rec.Fs, ii.MV[s1])
			rr, err := scale.Interval(calipers.KindRR, toStraight(x0, y0), toStraight(x1, y1), 1)
			if err != nil {
				t.Fatal(err)
			}
			want := float64(s1-s0) / rec.Fs * 1000
			rel := math.Abs(rr.Value-want) / want
			worstRR = math.Max(worstRR, rel)
			if rel > 0.01 {
				t.Errorf("turn %.1f°: RR caliper %.1f ms, true %.1f ms (%.2f %% off)", turn, rr.Value, want, rel*100)
			}
			if !rr.Confirmed {
				t.Errorf("turn %.1f°: grid calibration (confidence %.2f) is unconfirmed", turn, scale.Confidence)
			}
			measured++
		}
		if measured < 3 {
			t.Fatalf("turn %.1f°: only %d RR intervals on the rhythm strip", turn, measured)
		}

		// The 1 mV calibration pulses: baseline to top in the middle of the pulse.
		if len(truth.Pulses) == 0 {
			t.Fatal("the printout has no calibration pulse")
		}
		for _, pulse := range truth.Pulses {
			x := (pulse.RiseX + pulse.FallX) / 2
			amp, err := scale.Amplitude("calibration pulse", toStraight(x, pulse.BaselineY), toStraight(x, pulse.TopY))
			if err != nil {
				t.Fatal(err)
			}
			worstPulse = math.Max(worstPulse, math.Abs(amp.Value-1))
			if math.Abs(amp.Value-1) > 0.02 {
				t.Errorf("turn %.1f°: pulse of row %d reads %.3f mV, want 1.0 ± 2 %%", turn, pulse.Row, amp.Value)
			}
		}
		t.Logf("turn %.1f°: %d RR calipers within %.3f %% of the truth, %d pulses within %.3f %% of 1 mV",
			turn, measured, worstRR*100, len(truth.Pulses), worstPulse*100)

		// The same calipers placed by eye on the straightened image: each
		// leg snapped to the R apex (the highest trace pixel near where the
		// beat is drawn), one caliper over all the strip's beats (mean of N),
		// and the pulse measured from the middle of its baseline to the
		// middle of its top line.
		var first, last viewer.Point
		var s0, s1, n int
		for _, s := range peaks {
			if s < panel.StartSample || s >= panel.EndSample {
				continue
			}
			x, y := truth.PanelPoint(strip, float64(s)/rec.Fs, ii.MV[s])
			apex, ok := snapApex(straight, toStraight(x, y))
			if !ok {
				t.Fatalf("turn %.1f°: no trace at the R peak of sample %d", turn, s)
			}
			if n == 0 {
				first, s0 = apex, s
			}
			last, s1 = apex, s
			n++
		}
		mean, err := scale.Interval(calipers.KindRR, first, last, n-1)
		if err != nil {
			t.Fatal(err)
		}
		want := float64(s1-s0) / rec.Fs * 1000 / float64(n-1)
		if rel := math.Abs(mean.Value-want) / want; rel > 0.01 {
			t.Errorf("turn %.1f°: mean RR over %d beats snapped on the image %.1f ms, true %.1f ms (%.2f %% off)", turn, n-1, mean.Value, want, rel*100)
		} else {
			t.Logf("turn %.1f°: mean RR of %d intervals snapped on the image %.2f ms, true %.2f ms (%.3f %% off)", turn, n-1, mean.Value, want, rel*100)
		}
		for _, pulse := range truth.Pulses {
			base, okB := snapLine(straight, toStraight((pulse.X0+pulse.RiseX)/2, pulse.BaselineY))
			top, okT := snapLine(straight, toStraight((pulse.RiseX+pulse.FallX)/2, pulse.TopY))
			if !okB || !okT {
				t.Fatalf("turn %.1f°: pulse of row %d not found on the image", turn, pulse.Row)
			}
			amp, err := scale.AmplitudeMV(base, top)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(amp-1) > 0.02 {
				t.Errorf("turn %.1f°: pulse of row %d snapped on the image reads %.3f mV, want 1.0 ± 2 %%", turn, pulse.Row, amp)
			} else {
				t.Logf("turn %.1f°: pulse of row %d snapped on the image reads %.3f mV", turn, pulse.Row, amp)
			}
		}
	}
}

// dark reports whether a pixel is trace ink: dark in every channel (a red,
// pink or grey grid is bright in at least one).
func dark(img image.Image, x, y int) bool {
	if !(image.Point{x, y}.In(img.Bounds())) {
		return false
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return max(r, g, b)>>8 < 110
}

// snapApex moves a straight-frame point to the apex of the trace near it:
// the highest dark pixels within ±6 px across and ±15 px up and down, their
// horizontal centre.
func snapApex(img image.Image, p viewer.Point) (viewer.Point, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	x0, y0 := int(p.X*float64(w))+b.Min.X, int(p.Y*float64(h))+b.Min.Y
	for y := y0 - 15; y <= y0+15; y++ {
		var sum, cnt float64
		for x := x0 - 6; x <= x0+6; x++ {
			if dark(img, x, y) {
				sum += float64(x) + 0.5
				cnt++
			}
		}
		if cnt > 0 {
			return viewer.Point{X: (sum/cnt - float64(b.Min.X)) / float64(w), Y: (float64(y) + 0.5 - float64(b.Min.Y)) / float64(h)}, true
		}
	}
	return viewer.Point{}, false
}

// snapLine moves a straight-frame point to the middle of the horizontal
// trace line near it: the mean height of the dark pixels within ±2 px across
// and ±8 px up and down.
func snapLine(img image.Image, p viewer.Point) (viewer.Point, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	x0, y0 := int(p.X*float64(w))+b.Min.X, int(p.Y*float64(h))+b.Min.Y
	var sum, cnt float64
	for y := y0 - 8; y <= y0+8; y++ {
		for x := x0 - 2; x <= x0+2; x++ {
			if dark(img, x, y) {
				sum += float64(y) + 0.5
				cnt++
			}
		}
	}
	if cnt == 0 {
		return viewer.Point{}, false
	}
	return viewer.Point{X: p.X, Y: (sum/cnt - float64(b.Min.Y)) / float64(h)}, true
}

// openFirstPage opens a file the way the app does and renders its first page.
func openFirstPage(t *testing.T, path string) image.Image {
	t.Helper()
	doc, err := viewer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	img, err := doc.Render(0, 0)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
