package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"pulsedesk/viewer/ecgpaper"
)

func init() {
	register(command{
		name:    "synth",
		summary: "draw a recording (WFDB .hea or DICOM ECG) on ECG paper, with known geometry",
		run:     runSynth,
	})
}

// synthTruth is the ground truth written by --truth.
type synthTruth struct {
	// Page is the geometry of the clean page (pixels of the clean render).
	Page *ecgpaper.Truth `json:"page"`
	// Degradation is what was applied; Transform maps clean-page pixels to
	// the output image (identity without rotation or perspective).
	Degradation ecgpaper.Degradation  `json:"degradation"`
	Transform   ecgpaper.DegradeTruth `json:"transform"`
	// Output size, and the trace box and angle as they are in the output.
	Width       int           `json:"width"`
	Height      int           `json:"height"`
	TraceBox    ecgpaper.Rect `json:"trace_box"`
	SkewDegrees float64       `json:"skew_degrees"`
	PxPerMM     float64       `json:"px_per_mm"`
	Output      string        `json:"output"`
}

func runSynth(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("synth", stderr)
	layout := fs.String("layout", "3x4", "lead layout: 3x4 (with a lead II rhythm strip), 6x2 or 12x1")
	dpi := fs.Float64("dpi", 200, "resolution, 100-600 DPI")
	paper := fs.String("paper", "a4", "paper: a4 or letter (landscape)")
	speed := fs.Float64("speed", 25, "paper speed, mm/s")
	gain := fs.Float64("gain", 10, "gain, mm/mV")
	rotate := fs.Float64("rotate", 0, "turn the content by DEG degrees, positive = counter-clockwise on screen")
	persp := fs.Float64("perspective", 0, "move each page corner by up to this fraction of the short side (0-0.25)")
	noise := fs.Float64("noise", 0, "Gaussian noise sigma, 0-255 levels")
	blur := fs.Float64("blur", 0, "Gaussian blur sigma, pixels")
	jpegQ := fs.Int("jpeg", 0, "pass the page through JPEG at quality Q (1-100); also the quality of a .jpg output")
	grid := fs.String("grid", "red", "grid colour: red, green, blue, gray or none")
	gridStyle := fs.String("grid-style", "lines", "grid style: lines (1 and 5 mm), dots (1 mm dots, 5 mm lines) or major (5 mm only)")
	tint := fs.Bool("tint", false, "tone the paper cream, like aged thermal paper")
	grayCopy := fs.Bool("gray", false, "make a black-and-white copy (colour becomes luminance)")
	seed := fs.Uint64("seed", 1, "seed of the noise and perspective")
	start := fs.Float64("start", 0, "first second of the recording drawn")
	palette := fs.Bool("palette", false, "write a 256-colour PNG (several times smaller, near-identical)")
	truthPath := fs.String("truth", "", "write the ground truth (geometry of every lead, pulse and box) as JSON to this file")
	out := fs.String("o", "", "output file: .png, .jpg or .pdf (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pulsectl synth RECORD.hea|ECG.dcm [--layout 3x4|6x2|12x1] [--dpi D] [--rotate DEG] [--perspective F]")
		fmt.Fprintln(stderr, "         [--noise S] [--blur S] [--jpeg Q] [--grid red|green|blue|gray|none] [--grid-style lines|dots|major]")
		fmt.Fprintln(stderr, "         [--tint] [--gray] [--seed N] [--palette] [--truth TRUTH.json] -o OUT.png|OUT.jpg|OUT.pdf")
		fmt.Fprintln(stderr, "A PDF without degradations is vector; at D DPI it has D/25.4 px/mm.")
		fs.PrintDefaults()
	}
	arg, err := parseOne(fs, args, "RECORD")
	if err != nil {
		return err
	}
	ext := strings.ToLower(filepath.Ext(*out))
	switch {
	case *out == "":
		return usagef("-o OUT.png|OUT.jpg|OUT.pdf is required")
	case ext != ".png" && ext != ".jpg" && ext != ".jpeg" && ext != ".pdf":
		return usagef("output %s: the extension must be .png, .jpg or .pdf", *out)
	case *dpi < 100 || *dpi > 600:
		return usagef("--dpi %g: must be 100-600", *dpi)
	case *jpegQ < 0 || *jpegQ > 100:
		return usagef("--jpeg %d: must be 1-100", *jpegQ)
	case *persp < 0 || *persp > 0.25:
		return usagef("--perspective %g: must be 0-0.25", *persp)
	case *noise < 0 || *noise > 255:
		return usagef("--noise %g: must be 0-255", *noise)
	case *blur < 0 || *blur > 50:
		return usagef("--blur %g: must be 0-50", *blur)
	case *rotate < -90 || *rotate > 90:
		return usagef("--rotate %g: must be -90..90", *rotate)
	}
	opt := ecgpaper.Options{
		DPI: *dpi, Layout: ecgpaper.Layout(*layout), Paper: ecgpaper.Paper(*paper),
		SpeedMMPerS: *speed, GainMMPerMV: *gain, StartSec: *start,
		Grid: ecgpaper.GridColor(*grid), GridStyle: ecgpaper.GridStyle(*gridStyle),
	}
	// Check the options before reading anything.
	if err := opt.Validate(); err != nil {
		return usagef("%v", err)
	}
	deg := ecgpaper.Degradation{RotateDeg: *rotate, Perspective: *persp, Noise: *noise, Blur: *blur, Seed: *seed}
	if *tint {
		deg.PaperTint = 1
	}
	deg.Gray = *grayCopy
	if ext != ".jpg" && ext != ".jpeg" {
		deg.JPEGQuality = *jpegQ
	}
	rec, err := ecgpaper.ReadRecord(arg)
	if err != nil {
		return err
	}
	img, truth, err := ecgpaper.Render(rec, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", arg, err)
	}
	degraded := deg != (ecgpaper.Degradation{Seed: deg.Seed})
	res := img
	dt := ecgpaper.DegradeTruth{H: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, Width: img.Rect.Dx(), Height: img.Rect.Dy()}
	if degraded {
		if res, dt, err = ecgpaper.Degrade(img, deg); err != nil {
			return fmt.Errorf("%s: %w", arg, err)
		}
	} else {
		w, h := float64(dt.Width), float64(dt.Height)
		dt.Corners = [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	}
	err = writeAtomic(*out, func(w io.Writer) error {
		switch {
		case ext == ".pdf" && !degraded:
			_, err := ecgpaper.RenderPDF(w, rec, opt)
			return err
		case ext == ".pdf":
			return ecgpaper.WritePDFImage(w, res, *dpi)
		case ext == ".png" && *palette:
			return (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(w, ecgpaper.Paletted(res))
		case ext == ".png":
			return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, res)
		default:
			q := *jpegQ
			if q == 0 {
				q = 92
			}
			return jpeg.Encode(w, res, &jpeg.Options{Quality: q})
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d×%d, %s, %.4f px/mm\n", *out, res.Rect.Dx(), res.Rect.Dy(), truth.Layout, truth.PxPerMM)
	if *truthPath == "" {
		return nil
	}
	st := synthTruth{
		Page: truth, Degradation: deg, Transform: dt, Width: res.Rect.Dx(), Height: res.Rect.Dy(),
		TraceBox: dt.MapRect(truth.TraceBox), SkewDegrees: deg.RotateDeg, PxPerMM: truth.PxPerMM, Output: *out,
	}
	return writeAtomic(*truthPath, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	})
}

// writeAtomic writes a file through a temporary file beside it, so a failed
// write never leaves half a file behind.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pulsectl-*")
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		tmp.Close()
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	return nil
}
