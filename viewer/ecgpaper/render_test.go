package ecgpaper

import (
	"pulsedesk/internal/gridmeasure"

	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func lum(img *image.NRGBA, x, y int) float64 {
	if x < 0 || y < 0 || x >= img.Rect.Dx() || y >= img.Rect.Dy() {
		return 255
	}
	p := img.Pix[y*img.Stride+4*x:]
	return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
}

// darkNear reports whether a dark pixel lies within r pixels of (x, y).
func darkNear(img *image.NRGBA, x, y float64, r int, thr float64) bool {
	cx, cy := int(math.Floor(x)), int(math.Floor(y))
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if lum(img, cx+dx, cy+dy) < thr {
				return true
			}
		}
	}
	return false
}

func TestRenderTruthPointsAreOnTheTrace(t *testing.T) {
	rec := mustRead(t, filepath.Join("testdata", "HR06004.hea"))
	for _, c := range []struct {
		lay Layout
		dpi float64
	}{{Layout3x4, 100}, {Layout3x4, 300}, {Layout6x2, 200}, {Layout12x1, 150}} {
		{
			lay, dpi := c.lay, c.dpi
			img, tr, err := Render(rec, Options{Layout: lay, DPI: dpi, Grid: GridNone})
			if err != nil {
				t.Fatal(err)
			}
			wantPanels := map[Layout]int{Layout3x4: 13, Layout6x2: 12, Layout12x1: 12}[lay]
			if len(tr.Panels) != wantPanels {
				t.Fatalf("%s: %d panels, want %d", lay, len(tr.Panels), wantPanels)
			}
			if !near(tr.PxPerMM, dpi/25.4, 1e-12) || tr.Width != PagePixels(297, dpi) {
				t.Fatalf("px/mm %g width %d", tr.PxPerMM, tr.Width)
			}
			miss, n := 0, 0
			for i, p := range tr.Panels {
				mv := rec.Leads[p.LeadIndex].MV
				for s := p.StartSample; s < p.EndSample; s += 7 {
					x, y, ok := tr.SamplePoint(i, s, mv[s])
					if !ok {
						t.Fatalf("sample %d not in panel %d", s, i)
					}
					n++
					if lum(img, int(x), int(y)) > 200 {
						miss++
					}
				}
			}
			if miss > 0 {
				t.Errorf("%s at %g DPI: %d of %d truth points are not on a dark pixel", lay, dpi, miss, n)
			}
			// And the Point helper agrees for the lead's own panel.
			v2 := -1
			for i, p := range tr.Panels {
				if p.Lead == "V2" {
					v2 = i
					break
				}
			}
			x1, y1, ok := tr.Point("v2", tr.Panels[v2].T0+0.1, 0.5)
			x2, y2 := tr.PanelPoint(v2, tr.Panels[v2].T0+0.1, 0.5)
			if !ok || x1 != x2 || y1 != y2 {
				t.Errorf("Point(V2) = %g,%g,%v; panel %d %g,%g", x1, y1, ok, v2, x2, y2)
			}
			if _, _, ok := tr.Point("V2", tr.Panels[v2].T1+3, 0); ok && lay != Layout12x1 {
				t.Errorf("V2 found outside its time span")
			}
		}
	}
}

func TestRenderTraceBoxHoldsEveryTracePixel(t *testing.T) {
	rec := mustRead(t, filepath.Join("testdata", "JS20005.hea"))
	img, tr, err := Render(rec, Options{Grid: GridNone, NoHeader: true, DPI: 150})
	if err != nil {
		t.Fatal(err)
	}
	tb := tr.TraceBox.Image()
	inLabel := func(x, y int) bool {
		for _, p := range tr.Panels {
			if image.Pt(x, y).In(p.LabelBox.Image()) {
				return true
			}
		}
		return false
	}
	touch := map[string]bool{}
	for y := 0; y < tr.Height; y++ {
		for x := 0; x < tr.Width; x++ {
			if lum(img, x, y) >= 254.5 || inLabel(x, y) {
				continue
			}
			if !image.Pt(x, y).In(tb) {
				t.Fatalf("ink at %d,%d outside the trace box %v", x, y, tb)
			}
			if x == tb.Min.X {
				touch["left"] = true
			}
			if x == tb.Max.X-1 {
				touch["right"] = true
			}
			if y == tb.Min.Y {
				touch["top"] = true
			}
			if y == tb.Max.Y-1 {
				touch["bottom"] = true
			}
		}
	}
	ib := tr.InkBox.Image()
	for y := 0; y < tr.Height; y++ {
		for x := 0; x < tr.Width; x++ {
			if lum(img, x, y) < 254.5 && !image.Pt(x, y).In(ib) {
				t.Fatalf("ink at %d,%d outside the ink box %v", x, y, ib)
			}
		}
	}
	if len(touch) != 4 {
		t.Errorf("trace box %v is not tight: ink touches %v", tb, touch)
	}
	if !tr.SignalBox.Empty() && tr.SignalBox.X0 <= tr.TraceBox.X0 {
		t.Errorf("signal box %v should start right of the calibration pulses (%v)", tr.SignalBox, tr.TraceBox)
	}
}

func TestRenderGridPeriodAndPulse(t *testing.T) {
	rec := mustRead(t, filepath.Join("testdata", "E07500.hea"))
	for _, dpi := range []float64{100, 200, 300} {
		styles := map[float64][]GridStyle{100: {GridLines, GridMajor}, 200: {GridLines, GridDots}, 300: {GridLines}}[dpi]
		for _, style := range styles {
			img, tr, err := Render(rec, Options{DPI: dpi, GridStyle: style, NoHeader: true})
			if err != nil {
				t.Fatal(err)
			}
			// A band of rows above the first row of traces holds only grid.
			y0 := int(tr.GridBox.Y0) + 2
			y1 := int(tr.TraceBox.Y0) - 2
			ppm := dpi / 25.4
			lo, hi, want := ppm*0.6, ppm*1.6, ppm
			if style == GridMajor {
				lo, hi, want = ppm*3, ppm*8, 5*ppm
			}
			got := gridmeasure.PeriodX(img, y0, y1, lo, hi)
			if math.Abs(got-want)/want > 0.005 {
				t.Errorf("%g DPI %s: grid period %.3f px, want %.3f", dpi, style, got, want)
			}
		}
		// The 1 mV pulse: 10 mm tall, 5 mm (0.2 s) wide at 25 mm/s.
		img, tr, err := Render(rec, Options{DPI: dpi, Grid: GridNone})
		if err != nil {
			t.Fatal(err)
		}
		ppm := dpi / 25.4
		for _, p := range tr.Pulses {
			if !near(p.BaselineY-p.TopY, 10*ppm, 1e-9) || !near(p.FallX-p.RiseX, 5*ppm, 1e-9) {
				t.Errorf("pulse %+v", p)
			}
			if !darkNear(img, (p.RiseX+p.FallX)/2, p.TopY, 0, 100) || !darkNear(img, p.RiseX, (p.TopY+p.BaselineY)/2, 0, 100) {
				t.Errorf("%g DPI: no ink on pulse %+v", dpi, p)
			}
			if darkNear(img, (p.RiseX+p.FallX)/2, (p.TopY+p.BaselineY)/2, 2, 200) {
				t.Errorf("%g DPI: ink inside pulse %+v", dpi, p)
			}
		}
	}
}

func TestRenderOptions(t *testing.T) {
	rec := mustRead(t, filepath.Join("testdata", "HR06004.hea"))
	_, tr, err := Render(rec, Options{Paper: PaperLetter, SpeedMMPerS: 50, GainMMPerMV: 5})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Width != int(math.Ceil(279.4*200/25.4)) || tr.Height != int(math.Ceil(215.9*200/25.4)) {
		t.Errorf("letter page %dx%d", tr.Width, tr.Height)
	}
	if !near(tr.Panels[0].T1-tr.Panels[0].T0, 1.25, 1e-9) {
		t.Errorf("at 50 mm/s a 3x4 column spans %g s", tr.Panels[0].T1-tr.Panels[0].T0)
	}
	if !near(tr.Pulses[0].BaselineY-tr.Pulses[0].TopY, 5*tr.PxPerMM, 1e-9) {
		t.Errorf("5 mm/mV pulse height %g", tr.Pulses[0].BaselineY-tr.Pulses[0].TopY)
	}
	for _, bad := range []Options{{DPI: 5000}, {Layout: "2x2"}, {Grid: "pink"}, {GridStyle: "waves"}, {SpeedMMPerS: -1}, {Paper: "a0"}, {StartSec: 10}} {
		if _, _, err := Render(rec, bad); err == nil {
			t.Errorf("options %+v accepted", bad)
		}
	}
	if _, _, err := Render(&Record{Name: "empty", Fs: 500}, Options{}); err == nil {
		t.Error("a record without leads rendered")
	}
	// A two-lead record: one strip per lead.
	m := mustRead(t, filepath.Join(sharedSignals(t), "100.hea"))
	_, tr, err = Render(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Layout != "2x1" || len(tr.Panels) != 2 || tr.Panels[0].Lead != "MLII" {
		t.Errorf("100: layout %s, %d panels", tr.Layout, len(tr.Panels))
	}
}

func TestRhythmStripSamples(t *testing.T) {
	rec := mustRead(t, filepath.Join("testdata", "HR06004.hea"))
	img, tr, err := Render(rec, Options{Grid: GridNone})
	if err != nil {
		t.Fatal(err)
	}
	ri := tr.RhythmPanel()
	if ri < 0 || tr.Panels[ri].Lead != "II" || tr.Panels[ri].StartSample != 0 || tr.Panels[ri].EndSample != 5000 {
		t.Fatalf("rhythm panel %d %+v", ri, tr.Panels)
	}
	ii, _ := rec.Lead("II")
	// R peaks: local maxima of lead II above 60 % of the 10 s maximum.
	mx := math.Inf(-1)
	for _, v := range ii.MV {
		mx = math.Max(mx, v)
	}
	found := 0
	for s := 100; s < len(ii.MV)-100; s++ {
		v := ii.MV[s]
		if v < mx*0.6 || v < ii.MV[s-1] || v < ii.MV[s+1] {
			continue
		}
		isMax := true
		for k := s - 100; k <= s+100; k++ { // ±200 ms
			if ii.MV[k] > v {
				isMax = false
			}
		}
		if !isMax {
			continue
		}
		found++
		x, y, ok := tr.SamplePoint(ri, s, v)
		if !ok || !darkNear(img, x, y, 1, 100) {
			t.Errorf("R peak at sample %d maps to %g,%g with no ink", s, x, y)
		}
		// Nothing drawn above the R peak in its column.
		if darkNear(img, x, y-tr.TraceWPx-3, 0, 200) {
			t.Errorf("ink above the R peak at sample %d", s)
		}
		if ts, mv := tr.PixelToTime(ri, x, y); !near(ts, float64(s)/rec.Fs, 1e-9) || !near(mv, v, 1e-9) {
			t.Errorf("PixelToTime gives %g s %g mV", ts, mv)
		}
	}
	if found < 8 || found > 16 {
		t.Errorf("found %d R peaks in 10 s", found)
	}
}

func TestDegradeMapsTruth(t *testing.T) {
	rec := mustRead(t, filepath.Join("testdata", "HR06004.hea"))
	img, tr, err := Render(rec, Options{DPI: 120, Grid: GridNone})
	if err != nil {
		t.Fatal(err)
	}
	orig := append([]uint8(nil), img.Pix...)
	for _, d := range []Degradation{
		{RotateDeg: 7},
		{RotateDeg: -4, Perspective: 0.04, Seed: 9},
		{RotateDeg: 2, Noise: 6, Blur: 0.7, JPEGQuality: 70, PaperTint: 0.8, Seed: 2},
		{Gray: true, Noise: 4, Seed: 5},
	} {
		out, dt, err := Degrade(img, d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(orig, img.Pix) {
			t.Fatal("Degrade changed its input")
		}
		if out.Rect.Dx() != dt.Width || out.Rect.Dy() != dt.Height {
			t.Fatalf("size %v vs truth %dx%d", out.Rect, dt.Width, dt.Height)
		}
		miss, n := 0, 0
		for i, p := range tr.Panels {
			mv := rec.Leads[p.LeadIndex].MV
			for s := p.StartSample; s < p.EndSample; s += 25 {
				x, y, _ := tr.SamplePoint(i, s, mv[s])
				X, Y := dt.Map(x, y)
				n++
				if !darkNear(out, X, Y, 1, 150) {
					miss++
				}
			}
		}
		if float64(miss) > 0.01*float64(n) {
			t.Errorf("%+v: %d of %d mapped points have no ink", d, miss, n)
		}
		// Positive angles turn the content counter-clockwise: the pulse of
		// the top row (left) rises relative to the right end of row one.
		if d.Perspective == 0 {
			xl, yl := dt.Map(tr.Pulses[0].X0, tr.Pulses[0].BaselineY)
			xr, yr := dt.Map(tr.Panels[9].Box.X1, tr.Pulses[0].BaselineY)
			if (d.RotateDeg > 0) != (yr < yl) {
				t.Errorf("rotation %g: left end y %g, right end y %g", d.RotateDeg, yl, yr)
			}
			ang := math.Atan2(yl-yr, xr-xl) * 180 / math.Pi
			if !near(ang, d.RotateDeg, 1e-9) {
				t.Errorf("measured angle %g, want %g", ang, d.RotateDeg)
			}
		}
		if d.Gray {
			for i := 0; i < len(out.Pix); i += 4 {
				if out.Pix[i] != out.Pix[i+1] || out.Pix[i] != out.Pix[i+2] {
					t.Fatalf("gray copy has colour at byte %d", i)
				}
			}
			if !dt.Identity() {
				t.Errorf("gray copy moved the page: %+v", dt)
			}
		}
		if d.Perspective > 0 {
			again, _, _ := Degrade(img, d)
			if !bytes.Equal(again.Pix, out.Pix) {
				t.Errorf("%+v is not deterministic", d)
			}
		}
	}
}

func TestPDFMatchesTruth(t *testing.T) {
	if _, err := exec.LookPath("mutool"); err != nil {
		t.Fatal("mutool (mupdf-tools) is needed: ", err)
	}
	rec := mustRead(t, filepath.Join("testdata", "HR06004.hea"))
	dir := t.TempDir()
	pdf := filepath.Join(dir, "p.pdf")
	f, err := os.Create(pdf)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := RenderPDF(f, rec, Options{DPI: 150})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p.png")
	if b, err := exec.Command("mutool", "draw", "-r", "150", "-o", out, pdf).CombinedOutput(); err != nil {
		t.Fatalf("mutool: %v %s", err, b)
	}
	pf, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	im, err := png.Decode(pf)
	pf.Close()
	if err != nil {
		t.Fatal(err)
	}
	img := toNRGBA(im)
	if img.Rect.Dx() != tr.Width || img.Rect.Dy() != tr.Height {
		t.Errorf("MuPDF page %v, truth %dx%d", img.Rect, tr.Width, tr.Height)
	}
	miss, n := 0, 0
	for i, p := range tr.Panels {
		mv := rec.Leads[p.LeadIndex].MV
		for s := p.StartSample; s < p.EndSample; s += 11 {
			x, y, _ := tr.SamplePoint(i, s, mv[s])
			n++
			if !darkNear(img, x, y, 1, 110) {
				miss++
			}
		}
	}
	if miss > 0 {
		t.Errorf("%d of %d truth points have no ink in the PDF raster", miss, n)
	}
	got := gridmeasure.PeriodX(img, int(tr.GridBox.Y0)+2, int(tr.TraceBox.Y0)-40, tr.PxPerMM*0.6, tr.PxPerMM*1.6)
	if math.Abs(got-tr.PxPerMM)/tr.PxPerMM > 0.005 {
		t.Errorf("PDF grid period %.3f, want %.3f", got, tr.PxPerMM)
	}
}

func BenchmarkRender3x4(b *testing.B) {
	rec := mustRead(b, filepath.Join("testdata", "HR06004.hea"))
	for _, dpi := range []float64{200, 300} {
		b.Run(map[float64]string{200: "200dpi", 300: "300dpi"}[dpi], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Render(rec, Options{DPI: dpi}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestPalettedKeepsThePage(t *testing.T) {
	rec := mustRead(t, filepath.Join("testdata", "HR06004.hea"))
	img, _, err := Render(rec, Options{DPI: 100})
	if err != nil {
		t.Fatal(err)
	}
	p := Paletted(img)
	if len(p.Palette) > 256 || p.Rect != img.Rect {
		t.Fatalf("palette of %d, rect %v", len(p.Palette), p.Rect)
	}
	worst := 0.0
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			r0, g0, b0, _ := img.At(x, y).RGBA()
			r1, g1, b1, _ := p.At(x, y).RGBA()
			d := math.Abs(float64(r0)-float64(r1)) + math.Abs(float64(g0)-float64(g1)) + math.Abs(float64(b0)-float64(b1))
			worst = math.Max(worst, d/257)
		}
	}
	if worst > 60 {
		t.Errorf("a pixel moved by %g levels", worst)
	}
	var a, b bytes.Buffer
	png.Encode(&a, img)
	png.Encode(&b, p)
	if b.Len()*2 > a.Len() {
		t.Errorf("palette PNG %d bytes, RGB %d", b.Len(), a.Len())
	}
}
