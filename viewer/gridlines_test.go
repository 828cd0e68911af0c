package viewer

import (
	"image"
	"image/color"
	"math"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// darkGridPage draws a black-and-white grid as dark as a photocopy's —
// minor lines every 10 px (1 px, value 100), major lines every 50 px (2 px,
// value 40) — under a black sine trace 3 px thick. It returns the page and
// the class of every pixel: 1 grid line more than 4 px from the trace, 2
// trace core, 0 other.
func darkGridPage(w, h int) (*image.NRGBA, []uint8) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	class := make([]uint8, w*h)
	traceY := func(x float64) float64 { return float64(h)/2 + float64(h)/5*math.Sin(2*math.Pi*x/270) }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(250)
			onLine := false
			switch {
			case x%50 < 2 || y%50 < 2:
				v, onLine = 40, true
			case x%10 == 0 || y%10 == 0:
				v, onLine = 100, true
			}
			// distance to the trace, measured along the normal
			cy := traceY(float64(x) + 0.5)
			slope := (traceY(float64(x)+1) - traceY(float64(x))) / 1
			d := math.Abs(float64(y)+0.5-cy) / math.Sqrt(1+slope*slope)
			switch {
			case d <= 1.5:
				v = 0
				if d <= 1 {
					class[y*w+x] = 2
				}
			case onLine && d > 4:
				class[y*w+x] = 1
			}
			img.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	return img, class
}

func TestGridSuppressionDarkLinesSynthetic(t *testing.T) {
	const w, h = 1200, 600
	page, class := darkGridPage(w, h)
	// inside a larger canvas, so that Bounds().Min is not the origin
	canvas := image.NewNRGBA(image.Rect(-7, 13, w+20, h+30))
	for y := 0; y < h; y++ {
		copy(canvas.Pix[(y+8)*canvas.Stride+4*11:], page.Pix[y*page.Stride:y*page.Stride+4*w])
	}
	src := canvas.SubImage(image.Rect(4, 21, 4+w, 21+h))
	out := Apply(src, Edits{GridSuppression: 1})
	if out.Rect.Dx() != w || out.Rect.Dy() != h {
		t.Fatalf("output %v, want %dx%d", out.Rect, w, h)
	}
	var nGrid, gridLight, nTrace, traceDark int
	var gridSum, traceSum float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := out.Pix[y*out.Stride+4*x:]
			l := lumaOf(o[0], o[1], o[2])
			switch class[y*w+x] {
			case 1:
				nGrid++
				gridSum += float64(l)
				if l > 200 {
					gridLight++
				}
			case 2:
				nTrace++
				traceSum += float64(l)
				if l < 100 {
					traceDark++
				}
			}
		}
	}
	t.Logf("grid %d px: %.1f %% > 200, mean %.0f; trace %d px: %.1f %% < 100, mean %.0f",
		nGrid, 100*float64(gridLight)/float64(nGrid), gridSum/float64(nGrid),
		nTrace, 100*float64(traceDark)/float64(nTrace), traceSum/float64(nTrace))
	if float64(gridLight) < 0.98*float64(nGrid) {
		t.Errorf("only %d of %d grid pixels became light (> 200)", gridLight, nGrid)
	}
	if float64(traceDark) < 0.98*float64(nTrace) {
		t.Errorf("only %d of %d trace pixels stayed dark (< 100)", traceDark, nTrace)
	}
	// the input is untouched
	if v := canvas.Pix[(8+0)*canvas.Stride+4*11]; v != 40 {
		t.Errorf("input changed: corner %d, want 40", v)
	}
}

func TestGridSuppressionKeepsTraceWithoutGrid(t *testing.T) {
	// a trace on plain paper: whatever its strokes' periodicity, it stays
	const w, h = 800, 400
	page, _ := darkGridPage(w, h)
	for i := 0; i < len(page.Pix); i += 4 {
		if page.Pix[i] != 0 {
			page.Pix[i], page.Pix[i+1], page.Pix[i+2] = 250, 250, 250
		}
	}
	out := Apply(page, Edits{GridSuppression: 1})
	dark, n := 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if page.Pix[y*page.Stride+4*x] == 0 {
				n++
				if out.Pix[y*out.Stride+4*x] < 100 {
					dark++
				}
			}
		}
	}
	if n < 1000 || dark < n {
		t.Errorf("%d of %d trace pixels stayed dark", dark, n)
	}
}

func TestGridSuppressionDarkPhotocopyLines(t *testing.T) {
	page := toNRGBA(renderPage(t, sample(t, "eik_ecg00020.jpg"), 0, 0))
	// as scanned (grid period 4.9 px), and scaled 3.2× as a 300 dpi scan
	// of the same page would be (period 15.7 px, lines 3–7 px wide)
	big := image.NewNRGBA(image.Rect(0, 0, 3776, 1632))
	xdraw.BiLinear.Scale(big, big.Rect, page, page.Rect, xdraw.Src, nil)
	for _, c := range []struct {
		name string
		img  *image.NRGBA
	}{{"1x", page}, {"3.2x", big}} {
		t.Run(c.name, func(t *testing.T) { checkDarkLinesRemoved(t, c.img) })
	}
}

func checkDarkLinesRemoved(t *testing.T, n *image.NRGBA) {
	if !achromatic(n) {
		t.Fatal("the photocopy was not taken for achromatic")
	}
	g, ok := findGridLines(n)
	if !ok || g.v == nil || g.h == nil {
		t.Fatalf("grid lines not found both ways (vertical %v, horizontal %v)", g.v != nil, g.h != nil)
	}
	out := Apply(n, Edits{GridSuppression: 1})
	w, h := n.Rect.Dx(), n.Rect.Dy()
	// line pixels: on a detected line; off-line ink: dark and on no line
	// (the trace and the lead labels)
	var lineN, inkN int
	var lineBefore, lineAfter, inkBefore, inkAfter float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			onV := g.v[y/g.vBand].on(x)
			onH := g.h[x/g.hBand].on(y)
			a, b := n.Pix[y*n.Stride+4*x:], out.Pix[y*out.Stride+4*x:]
			db := 255 - float64(lumaOf(a[0], a[1], a[2]))
			da := 255 - float64(lumaOf(b[0], b[1], b[2]))
			switch {
			case onV || onH:
				lineN++
				lineBefore += db
				lineAfter += da
			case db > 150:
				inkN++
				inkBefore += db
				inkAfter += da
			}
		}
	}
	lineBefore /= float64(lineN)
	lineAfter /= float64(lineN)
	inkBefore /= float64(inkN)
	inkAfter /= float64(inkN)
	t.Logf("line pixels %d (%.0f %% of the page): darkness %.1f → %.1f; off-line ink %d px: %.1f → %.1f",
		lineN, 100*float64(lineN)/float64(w*h), lineBefore, lineAfter, inkN, inkBefore, inkAfter)
	if lineAfter*5 > lineBefore {
		t.Errorf("grid-line darkness %.1f → %.1f, want at least 5 times less", lineBefore, lineAfter)
	}
	if inkAfter < inkBefore-15 {
		t.Errorf("off-line ink darkness %.1f → %.1f, want kept", inkBefore, inkAfter)
	}
}

func TestGridSuppressionDarkLinesOddSizes(t *testing.T) {
	// thin strips, tiny pages and sides just past a band boundary must
	// neither panic nor change size
	for _, sz := range [][2]int{{1, 1}, {31, 31}, {33, 700}, {700, 33}, {513, 1025}, {1000, 257}} {
		page, _ := darkGridPage(sz[0], sz[1])
		out := Apply(page, Edits{GridSuppression: 1})
		if out.Rect.Dx() != sz[0] || out.Rect.Dy() != sz[1] {
			t.Errorf("%dx%d: output %v", sz[0], sz[1], out.Rect)
		}
	}
}
