package viewer

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRenderIsolatedMatchesInProcess(t *testing.T) {
	d, err := Open(sample(t, "dcmplot_anonymous_ecg_3x4_1.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	iso, err := d.RenderIsolated(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	in, err := d.Render(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	a, b := toNRGBA(iso), toNRGBA(in)
	if a.Rect != b.Rect || !bytes.Equal(a.Pix, b.Pix) {
		t.Errorf("isolated render %v differs from in-process %v", a.Rect, b.Rect)
	}
	if _, err := d.RenderIsolated(3, 100); !errors.Is(err, ErrPageRange) {
		t.Errorf("page 4: %v", err)
	}
}

func TestRenderIsolatedSurvivesACrash(t *testing.T) {
	d, err := Open(sample(t, "dcmplot_anonymous_ecg_3x4_1.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	t.Setenv(isolateCrashEnv, "1")
	_, err = d.RenderIsolated(0, 100)
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "crashed") || !strings.Contains(err.Error(), d.Path()) {
		t.Fatalf("got %v, want a crash reported as an error naming the file", err)
	}
}

func TestRenderIsolatedReportsTheChildsError(t *testing.T) {
	dir := t.TempDir()
	makePDF(t, dir+"/a.pdf", "[0 0 200 200]", 1, "0 0 m 10 10 l S")
	d, err := Open(dir + "/a.pdf")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, _, ok := d.PageSizePt(0); !ok { // checked here, now known
		t.Fatal("no page size")
	}
	// the file changes under the document: the child sees a text file
	if err := writeFile(dir+"/a.pdf", "not a pdf any more\n"); err != nil {
		t.Fatal(err)
	}
	_, err = d.RenderIsolated(0, 72)
	if !errors.Is(err, ErrNotDocument) {
		t.Fatalf("got %v, want ErrNotDocument from the child", err)
	}
}
