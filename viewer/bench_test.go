package viewer

import (
	"bytes"
	"fmt"
	xdraw "golang.org/x/image/draw"
	"image"
	"image/jpeg"
	stdpng "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// go test -tags sqlite_fts5 -run '^$' -bench . -benchmem ./viewer

func BenchmarkOpenRenderPDF200(b *testing.B) {
	path := sample(b, "dcmplot_anonymous_ecg_3x4_1.pdf")
	for b.Loop() {
		d, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Render(0, 200); err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
}

func BenchmarkDecodeJPEG3776x1898(b *testing.B) {
	path := sample(b, "eik_ecg00012.jpg")
	b.Run("Open+Render", func(b *testing.B) {
		for b.Loop() {
			d, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.Render(0, 0); err != nil {
				b.Fatal(err)
			}
			d.Close()
		}
	})
	b.Run("image/jpeg", func(b *testing.B) {
		for b.Loop() {
			f, _ := os.Open(path)
			if _, err := jpeg.Decode(f); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
}

// fullPipeline is the benchmark's edit set: rotate 3.5°, crop, levels,
// gamma, sharpen, grayscale.
func fullPipeline() Edits {
	return Edits{Rotation: 3.5, Crop: &Rect{0.05, 0.05, 0.95, 0.95}, AutoLevels: true, Gamma: 1.2, Sharpen: 0.5, Grayscale: true}
}

func BenchmarkApplyFullPipeline(b *testing.B) {
	b.Run("JPEG-3776x1898", func(b *testing.B) {
		img := renderPage(b, sample(b, "eik_ecg00012.jpg"), 0, 0)
		b.ResetTimer()
		for b.Loop() {
			Apply(img, fullPipeline())
		}
	})
	b.Run("PDF-300dpi-3507x2481", func(b *testing.B) {
		img := renderPage(b, sample(b, "dcmplot_anonymous_ecg_3x4_1.pdf"), 0, 300)
		b.ResetTimer()
		for b.Loop() {
			Apply(img, fullPipeline())
		}
	})
}

// BenchmarkPreviewToneUpdate is a slider move: tone only, on a proxy for a
// 1366×768 canvas whose geometry (3.5° rotation and crop) is cached.
func BenchmarkPreviewToneUpdate1366x768(b *testing.B) {
	img := renderPage(b, sample(b, "eik_ecg00012.jpg"), 0, 0)
	p := NewPreview(img, 1366, 768)
	e := fullPipeline()
	p.Render(e, true)
	i := 0
	for b.Loop() {
		i++
		e.Brightness = float64(i%100)/200 - 0.25
		e.Contrast = float64(i%37) / 100
		p.Render(e, true)
	}
	b.ReportMetric(float64(p.Proxy().Bounds().Dx()*p.Proxy().Bounds().Dy())/1e6, "proxy-MP")
}

// BenchmarkPeakMemoryLargestSample measures the peak resident memory of a
// fresh process that opens and renders the largest sample page (by pixels;
// the PDF at 300 DPI) and applies the full pipeline.
func BenchmarkPeakMemoryLargestSample(b *testing.B) {
	for _, c := range []struct{ name, file string }{
		{"JPEG-2721x2967", "eik_ecg00005.jpg"},
		{"PDF-at-300dpi", "dcmplot_anonymous_ecg_3x4_1.pdf"},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := sample(b, c.file)
			var rss int64
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestPeakMemoryChild$")
				cmd.Env = append(os.Environ(), "PULSEDESK_PEAK_CHILD="+path)
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				// the child's own high-water mark (rusage would include the
				// parent's memory, shared until exec)
				i := bytes.Index(out, []byte("VmHWM:"))
				if i < 0 {
					b.Fatalf("no VmHWM in %s", out)
				}
				if _, err := fmt.Sscanf(string(out[i:]), "VmHWM: %d kB", &rss); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
		})
	}
}

// TestPeakMemoryChild is the child process of the peak memory benchmark; it
// does nothing in a normal test run.
func TestPeakMemoryChild(t *testing.T) {
	path := os.Getenv("PULSEDESK_PEAK_CHILD")
	if path == "" {
		return
	}
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := d.Render(0, 300)
	if err != nil {
		t.Fatal(err)
	}
	out := Apply(img, fullPipeline())
	runtime.KeepAlive(out)
	d.Close()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(strings.Join(strings.Fields(line), " "))
		}
	}
}

func BenchmarkRenderPDF200(b *testing.B) {
	d, err := Open(sample(b, "dcmplot_anonymous_ecg_3x4_1.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.Run("in-process", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.Render(0, 200); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("isolated", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.RenderIsolated(0, 200); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The same steps as BenchmarkApplyFullPipeline/PDF-300dpi done by
// ImageMagick (read from its memory-mapped cache format, written nowhere), for
// comparison. ImageMagick's -rotate is clockwise.
func BenchmarkImageMagickSamePipeline300dpi(b *testing.B) {
	img := renderPage(b, sample(b, "dcmplot_anonymous_ecg_3x4_1.pdf"), 0, 300)
	dir := b.TempDir()
	png := filepath.Join(dir, "page.png")
	f, err := os.Create(png)
	if err != nil {
		b.Fatal(err)
	}
	if err := stdpng.Encode(f, img); err != nil {
		b.Fatal(err)
	}
	f.Close()
	mpc := filepath.Join(dir, "page.mpc")
	tool(b, "convert", png, mpc)
	b.ResetTimer()
	for b.Loop() {
		tool(b, "convert", mpc, "-background", "white", "-rotate", "-3.5", "-gravity", "center",
			"-crop", "90%x90%+0+0", "+repage", "-auto-level", "-gamma", "1.2", "-unsharp", "0x1+1.0",
			"-colorspace", "Gray", "null:")
	}
}

// mutool draw of the same page at 200 DPI, for comparison with
// BenchmarkOpenRenderPDF200 (this one includes starting the process).
func BenchmarkMutoolDraw200(b *testing.B) {
	path := sample(b, "dcmplot_anonymous_ecg_3x4_1.pdf")
	out := filepath.Join(b.TempDir(), "page.pam")
	for b.Loop() {
		tool(b, "mutool", "draw", "-q", "-r", "200", "-o", out, path)
	}
}

// BenchmarkGridSuppressionDarkLines3776x1898: the black-and-white photocopy
// scaled to the size of the largest sample page, through Apply: grid
// suppression (line dropout + value dropout), and for comparison value
// dropout alone (the same page taken for a coloured one is not possible,
// so a brightness edit stands for a plain one-pass tone step).
func BenchmarkGridSuppressionDarkLines3776x1898(b *testing.B) {
	src := toNRGBA(renderPage(b, sample(b, "eik_ecg00020.jpg"), 0, 0))
	big := image.NewNRGBA(image.Rect(0, 0, 3776, 1898))
	xdraw.BiLinear.Scale(big, big.Rect, src, src.Rect, xdraw.Src, nil)
	b.Run("suppression", func(b *testing.B) {
		for b.Loop() {
			Apply(big, Edits{GridSuppression: 1})
		}
	})
	b.Run("brightness", func(b *testing.B) {
		for b.Loop() {
			Apply(big, Edits{Brightness: 0.1})
		}
	})
	b.Run("find-lines", func(b *testing.B) {
		for b.Loop() {
			if _, ok := findGridLines(big); !ok {
				b.Fatal("no grid lines found")
			}
		}
	})
}
