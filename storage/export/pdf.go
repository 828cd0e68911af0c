// Package export writes a case of the case log as a printable PDF report.
// The report carries the image the model saw (redacted as it was sent),
// never the original document.
package export

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"pulsedesk/assets"
	"pulsedesk/storage"
)

// Disclaimer is printed on every page of every report.
const Disclaimer = "Decision support only. Not a diagnosis."

// Options choose what the report shows. The zero value shows the model
// input and answer of the newest run and the newest signed report version.
type Options struct {
	// RunUID picks the run whose answer is printed ("" = the newest complete
	// run, or the newest run when none completed).
	RunUID string
	// ModelInputUID picks the image ("" = the chosen run's image, or the
	// newest model input).
	ModelInputUID string
	// PrintedAt is the time printed on the report (zero = now).
	PrintedAt time.Time
}

// CasePDF writes the report of case uid from st to w.
func CasePDF(ctx context.Context, st *storage.Store, uid string, w io.Writer, opt Options) error {
	d, err := st.CaseDetail(ctx, uid)
	if err != nil {
		return err
	}
	return PDF(w, d, opt)
}

const (
	fontFamily = "report"
	margin     = 15.0
	bodySize   = 10.0
	lineH      = 5.0
)

// PDF writes the report of one case (A4, portrait) to w.
func PDF(w io.Writer, d storage.CaseDetail, opt Options) error {
	run, err := pickRun(d, opt.RunUID)
	if err != nil {
		return err
	}
	input, err := pickInput(d, opt.ModelInputUID, run)
	if err != nil {
		return err
	}
	printed := opt.PrintedAt
	if printed.IsZero() {
		printed = time.Now()
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(printed)
	pdf.SetModificationDate(printed)
	pdf.SetCreator("PULSE Desk", true)
	pdf.SetTitle("ECG case report "+d.Case.PatientRef, true)
	pdf.AddUTF8FontFromBytes(fontFamily, "", assets.ReportFont)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin+8)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-margin - 3)
		pdf.SetFont(fontFamily, "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 4, fmt.Sprintf("%s   ·   case %s   ·   printed %s   ·   page %d", Disclaimer, d.Case.UID, stamp(printed), pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	// Title and disclaimer.
	pdf.SetFont(fontFamily, "", 16)
	pdf.CellFormat(0, 8, "ECG case report", "", 1, "L", false, 0, "")
	pdf.SetFont(fontFamily, "", 11)
	pdf.SetFillColor(255, 240, 200)
	pdf.CellFormat(0, 7, Disclaimer, "1", 1, "C", true, 0, "")
	pdf.Ln(2)

	// Patient and case.
	c := d.Case
	heading(pdf, "Patient")
	field(pdf, "Reference", orDash(c.PatientRef))
	age := "—"
	if c.Age != nil {
		age = fmt.Sprintf("%d years", *c.Age)
	}
	sex := map[string]string{"F": "female", "M": "male"}[c.Sex]
	field(pdf, "Age, sex", age+", "+orDash(sex))
	if !c.RecordedAt.IsZero() {
		field(pdf, "ECG recorded", stamp(c.RecordedAt))
	}
	field(pdf, "Case", fmt.Sprintf("%s (created %s, %s)", c.UID, stamp(c.CreatedAt), c.Status))
	if len(c.Tags) > 0 {
		field(pdf, "Tags", strings.Join(c.Tags, ", "))
	}
	if strings.TrimSpace(c.Context) != "" {
		field(pdf, "Clinical context", c.Context)
	}

	// The image the model saw.
	if input != nil {
		heading(pdf, "Image given to the model")
		if err := putImage(pdf, input); err != nil {
			return fmt.Errorf("case %s: model input %s: %w", c.UID, input.UID, err)
		}
		small(pdf, fmt.Sprintf("%d × %d px, SHA-256 %s, stored %s", input.Width, input.Height, input.SHA256, stamp(input.CreatedAt)))
		if input.PxPerMMX > 0 {
			small(pdf, fmt.Sprintf("Calibration %.2f px/mm at %.0f DPI (straight frame)", input.PxPerMMX, input.DPI))
		}
	}

	// Measurements.
	if len(d.Measurements) > 0 {
		heading(pdf, "Measurements (calipers)")
		for _, m := range d.Measurements {
			conf := "calibration confirmed"
			if !m.Confirmed {
				conf = "calibration NOT confirmed"
			}
			line := fmt.Sprintf("%s: %s %s (%s)", m.Kind, trimFloat(m.Value), m.Unit, conf)
			if m.Note != "" {
				line += " — " + m.Note
			}
			body(pdf, line)
		}
	}

	// The model's answer.
	heading(pdf, "Model answer (decision support)")
	if run == nil {
		body(pdf, "The model was not asked about this case.")
	} else {
		field(pdf, "Model", run.Model)
		field(pdf, "Model digest", orDash(run.ModelDigest))
		field(pdf, "Asked", fmt.Sprintf("%s (run %s)", stamp(run.StartedAt), run.UID))
		outcome := string(run.Outcome)
		if run.Outcome != storage.OutcomeComplete {
			outcome += " — the answer below is partial"
			if run.Error != "" {
				outcome += ": " + run.Error
			}
		}
		field(pdf, "Outcome", outcome)
		if run.Prompt != "" {
			field(pdf, "Question", run.Prompt)
		}
		pdf.Ln(1)
		body(pdf, orDash(strings.TrimSpace(run.Answer)))
	}

	// The clinician's report.
	heading(pdf, "Clinician's report")
	if rep := d.SignedReport(); rep != nil {
		kind := "signed"
		if rep.Amendment {
			kind = "signed amendment"
		}
		field(pdf, "Version", fmt.Sprintf("report version %d, %s by %s, %s", rep.Version, kind, rep.Author, stamp(rep.CreatedAt)))
		if last := d.LatestReport(); last != nil && last.Version != rep.Version {
			small(pdf, fmt.Sprintf("A later unsigned version exists (report version %d, %s).", last.Version, stamp(last.CreatedAt)))
		}
		pdf.Ln(1)
		body(pdf, rep.Body)
	} else if rep := d.LatestReport(); rep != nil {
		field(pdf, "Version", fmt.Sprintf("report version %d by %s, %s — NOT SIGNED", rep.Version, rep.Author, stamp(rep.CreatedAt)))
		pdf.Ln(1)
		body(pdf, rep.Body)
	} else {
		body(pdf, "No report saved.")
	}
	pdf.Ln(4)
	pdf.SetFont(fontFamily, "", 11)
	pdf.CellFormat(0, 7, Disclaimer, "1", 1, "C", false, 0, "")

	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("case %s: writing the PDF report: %w", c.UID, err)
	}
	return nil
}

func pickRun(d storage.CaseDetail, uid string) (*storage.Run, error) {
	if uid != "" {
		for i := range d.Runs {
			if d.Runs[i].UID == uid {
				return &d.Runs[i], nil
			}
		}
		return nil, fmt.Errorf("case %s: run %s: %w", d.Case.UID, uid, storage.ErrNotFound)
	}
	for i := len(d.Runs) - 1; i >= 0; i-- {
		if d.Runs[i].Outcome == storage.OutcomeComplete {
			return &d.Runs[i], nil
		}
	}
	if len(d.Runs) > 0 {
		return &d.Runs[len(d.Runs)-1], nil
	}
	return nil, nil
}

func pickInput(d storage.CaseDetail, uid string, run *storage.Run) (*storage.ModelInput, error) {
	if uid == "" && run != nil {
		uid = run.ModelInputUID
	}
	if uid != "" {
		if m := d.ModelInput(uid); m != nil {
			return m, nil
		}
		return nil, fmt.Errorf("case %s: model input %s: %w", d.Case.UID, uid, storage.ErrNotFound)
	}
	if n := len(d.ModelInputs); n > 0 {
		return &d.ModelInputs[n-1], nil
	}
	return nil, nil
}

// putImage places the model input across the page width (at most 110 mm
// high), re-encoding PNG forms the PDF library cannot take (16-bit,
// interlaced) as plain 8-bit PNG.
func putImage(pdf *fpdf.Fpdf, in *storage.ModelInput) error {
	data := in.PNG
	if !simplePNG(data) {
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return err
		}
		rgba := image.NewNRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
		var b bytes.Buffer
		if err := png.Encode(&b, rgba); err != nil {
			return err
		}
		data = b.Bytes()
	}
	name := "input-" + in.SHA256
	info := pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(data))
	if err := pdf.Error(); err != nil {
		return err
	}
	maxW := 210 - 2*margin
	maxH := 110.0
	w, h := info.Width(), info.Height()
	if w <= 0 || h <= 0 {
		return fmt.Errorf("image without size")
	}
	scale := min(maxW/w, maxH/h)
	w, h = w*scale, h*scale
	if pdf.GetY()+h > 297-margin-10 {
		pdf.AddPage()
	}
	x := margin + (maxW-w)/2
	pdf.ImageOptions(name, x, pdf.GetY(), w, h, true, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.Ln(1)
	return pdf.Error()
}

// simplePNG reports whether a PNG is 8-bit and not interlaced.
func simplePNG(b []byte) bool {
	return len(b) > 28 && string(b[12:16]) == "IHDR" && b[24] == 8 && b[28] == 0
}

func heading(pdf *fpdf.Fpdf, s string) {
	if pdf.GetY() > 297-margin-8-25 { // keep a heading with its first lines
		pdf.AddPage()
	}
	pdf.Ln(3)
	pdf.SetFont(fontFamily, "", 12.5)
	pdf.SetTextColor(20, 40, 110)
	pdf.CellFormat(0, 7, s, "B", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.Ln(1)
}

func field(pdf *fpdf.Fpdf, label, value string) {
	pdf.SetFont(fontFamily, "", bodySize)
	pdf.SetTextColor(90, 90, 90)
	pdf.CellFormat(38, lineH, label, "", 0, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.MultiCell(0, lineH, value, "", "L", false)
}

func body(pdf *fpdf.Fpdf, s string) {
	pdf.SetFont(fontFamily, "", bodySize)
	pdf.MultiCell(0, lineH, s, "", "L", false)
}

func small(pdf *fpdf.Fpdf, s string) {
	pdf.SetFont(fontFamily, "", 8)
	pdf.SetTextColor(90, 90, 90)
	pdf.MultiCell(0, 4, s, "", "L", false)
	pdf.SetTextColor(0, 0, 0)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
