package export

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gen2brain/go-fitz"

	"pulsedesk/assets"
	"pulsedesk/storage"
)

// signedCase stores a case with the sample ECG as model input, a complete
// run, a measurement and two report versions (the second signed).
func signedCase(t *testing.T, st *storage.Store, ref string, input []byte) storage.CaseDetail {
	t.Helper()
	ctx := context.Background()
	age := 61
	c, err := st.CreateCase(ctx, storage.Case{PatientRef: ref, Age: &age, Sex: "M", Context: "Палпитации, syncope"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := st.AddModelInput(ctx, storage.ModelInput{CaseUID: c.UID, PNG: input, Edits: []byte(`{"version":1}`), DPI: 200, PxPerMMX: 7.87, PxPerMMY: 7.87, Scale: 0.45})
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.StartRun(ctx, storage.Run{CaseUID: c.UID, ModelInputUID: in.UID, Model: "pulse", ModelDigest: "sha256:6f1a2b3c4d5e", Prompt: "Please write a clinical report based on this ECG image."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseRun(ctx, r.UID, storage.RunResult{Outcome: storage.OutcomeComplete, Answer: "Sinus rhythm with first degree AV block."}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMeasurement(ctx, storage.Measurement{CaseUID: c.UID, ModelInputUID: in.UID, Kind: "PR", Value: 236, Unit: "ms", Confirmed: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveReportVersion(ctx, c.UID, "First degree AV block.", "Dr Olga Petrova"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SignOff(ctx, c.UID, "First degree AV block, otherwise normal.", "Dr Olga Petrova"); err != nil {
		t.Fatal(err)
	}
	d, err := st.CaseDetail(ctx, c.UID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func render(t *testing.T, pdf []byte) (string, int) {
	t.Helper()
	doc, err := fitz.NewFromMemory(pdf)
	if err != nil {
		t.Fatalf("MuPDF cannot open the report: %v", err)
	}
	defer doc.Close()
	var text strings.Builder
	dark := 0
	for p := 0; p < doc.NumPage(); p++ {
		s, err := doc.Text(p)
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(s)
		img, err := doc.ImageDPI(p, 50)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := img.RGBAAt(x, y)
				if c.R < 235 || c.G < 235 || c.B < 235 { // not white: ink, trace or grid
					dark++
				}
			}
		}
	}
	return text.String(), dark
}

func TestPDFReport(t *testing.T) {
	st, err := storage.Open(filepath.Join(t.TempDir(), storage.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, ref := range []string{"ZEBRA-14", "Иванов Пётр Сергеевич", "Παπαδόπουλος"} {
		t.Run(ref, func(t *testing.T) {
			d := signedCase(t, st, ref, assets.SampleECG)
			var buf bytes.Buffer
			if err := CasePDF(context.Background(), st, d.Case.UID, &buf, Options{}); err != nil {
				t.Fatal(err)
			}
			text, dark := render(t, buf.Bytes())
			flat := strings.Join(strings.Fields(text), " ")
			for _, want := range []string{ref, "sha256:6f1a2b3c4d5e", "report version 2", Disclaimer, "Sinus rhythm with first degree AV block.", "Палпитации", "PR: 236 ms", "Dr Olga Petrova", "pulse"} {
				if !strings.Contains(flat, want) {
					t.Errorf("report text lacks %q:\n%s", want, flat)
				}
			}
			// The ECG image is drawn: the text-only report has about 11000
			// non-white pixels at 50 DPI, the image area about 100000.
			if dark < 25000 {
				t.Errorf("only %d non-white pixels: is the ECG image missing?", dark)
			}
		})
	}
}

func TestPDFWithoutImageHasLessInk(t *testing.T) {
	st, err := storage.Open(filepath.Join(t.TempDir(), storage.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	c, err := st.CreateCase(ctx, storage.Case{PatientRef: "TEXT-ONLY"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := CasePDF(ctx, st, c.UID, &buf, Options{}); err != nil {
		t.Fatal(err)
	}
	text, darkText := render(t, buf.Bytes())
	if !strings.Contains(text, "TEXT-ONLY") || !strings.Contains(text, "No report saved.") {
		t.Errorf("text: %s", text)
	}
	d := signedCase(t, st, "WITH-IMAGE", assets.SampleECG)
	buf.Reset()
	if err := PDF(&buf, d, Options{}); err != nil {
		t.Fatal(err)
	}
	_, darkImage := render(t, buf.Bytes())
	t.Logf("non-white pixels: with image %d, text only %d", darkImage, darkText)
	if darkImage < darkText+10000 {
		t.Errorf("report with the ECG has %d non-white pixels, without %d", darkImage, darkText)
	}
}

func TestPDFTakes16BitPNG(t *testing.T) {
	st, err := storage.Open(filepath.Join(t.TempDir(), storage.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	img := image.NewNRGBA64(image.Rect(0, 0, 300, 120))
	for y := 0; y < 120; y++ {
		for x := 0; x < 300; x++ {
			if (x/10+y/10)%2 == 0 {
				img.Set(x, y, color.NRGBA64{0, 0, 0, 0xffff})
			} else {
				img.Set(x, y, color.NRGBA64{0xffff, 0xffff, 0xffff, 0xffff})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	d := signedCase(t, st, "DEEP-16", b.Bytes())
	var out bytes.Buffer
	if err := PDF(&out, d, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, dark := render(t, out.Bytes()); dark < 40000 { // text alone gives about 11000, the checkerboard about 48000
		t.Errorf("16-bit image not drawn (%d non-white pixels)", dark)
	}
}
