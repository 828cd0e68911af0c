package ui

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pulsedesk/interpret/ollamatest"
)

func TestAutoCropAndChecksOnARealPrintout(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, smallECG)
	if a.checkBlocks {
		t.Fatalf("a real printout is blocked: %q", a.adjust.checks.Text)
	}
	if strings.Contains(a.adjust.checks.Text, "Checking") || a.adjust.checks.Text == "" {
		t.Fatalf("checks not shown: %q", a.adjust.checks.Text)
	}
	a.autoCrop()
	waitIdle(t, a)
	c := a.doc.edits.Crop
	if c == nil {
		t.Fatal("Auto crop set no crop on a printout")
	}
	if c.X1-c.X0 >= 1 && c.Y1-c.Y0 >= 1 {
		t.Fatalf("Auto crop kept the whole page: %+v", *c)
	}
	a.undo()
	waitIdle(t, a)
	if a.doc.edits.Crop != nil {
		t.Fatal("undo did not remove the automatic crop")
	}
}

func TestBlankPageNeedsOverrideWithReason(t *testing.T) {
	srv := ollamatest.New(t)
	a := newTestAppServer(t, srv.URL)
	// a blank page: neither grid nor trace
	img := image.NewNRGBA(image.Rect(0, 0, 800, 600))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.Set(10, 10, color.Black)
	path := filepath.Join(t.TempDir(), "blank.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	a.OpenFile(path)
	waitIdle(t, a)
	if !a.checkBlocks || a.interp.overBox.Hidden {
		t.Fatalf("a blank page is not blocked; checks say %q", a.adjust.checks.Text)
	}
	a.runInterpretation()
	waitIdle(t, a)
	uid := a.doc.sess.Case().UID
	if n := len(caseRuns(t, a, uid)); n != 0 {
		t.Fatalf("a blank page was sent without an override (%d runs)", n)
	}
	a.interp.override.SetChecked(true)
	a.interp.reason.SetText("scan of a strip the checks cannot read")
	a.runInterpretation()
	waitIdle(t, a)
	if n := len(caseRuns(t, a, uid)); n != 1 {
		t.Fatalf("%d runs after the override, want 1", n)
	}
	c, err := a.store.GetCase(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(c.Tags, "|"), "scan of a strip the checks cannot read") {
		t.Fatalf("the override reason is not saved with the case: tags %q", c.Tags)
	}
}
