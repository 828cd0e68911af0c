package ui

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"pulsedesk/assets"
)

// Disclaimer is shown wherever a model answer is.
const Disclaimer = "Decision support only. Not a diagnosis."

// IntendedUse is the About box's statement of purpose.
const IntendedUse = "PULSE Desk helps clinicians prepare ECG printouts and ask a locally hosted " +
	"multimodal model for a reading. The model's answer is decision support for a qualified clinician, " +
	"who reads the ECG and decides. The model (PULSE-7B) was trained on adult 12-lead printouts; it has " +
	"not been evaluated on children, on single-lead strips or on other models' output."

// shortcutHelp lists the keyboard shortcuts shown in Help.
var shortcutHelp = [][2]string{
	{"Ctrl+O", "Open a file"},
	{"Ctrl+S", "Save the case"},
	{"Ctrl+Enter", "Run the interpretation"},
	{"Esc", "Stop the running interpretation"},
	{"Ctrl+F", "Search cases"},
	{"Ctrl+Z", "Undo an edit"},
	{"Ctrl+Shift+Z", "Redo"},
	{"0", "Fit the page to the window"},
	{"1", "Show the page at 1:1"},
	{"+ / -", "Zoom in / out"},
	{"Ctrl+wheel", "Zoom around the pointer"},
	{"Middle drag, Space+drag", "Pan"},
	{"Ctrl+,", "Settings"},
}

// moduleVersions lists the versions of the main libraries in this build.
func moduleVersions() string {
	want := map[string]string{
		"fyne.io/fyne/v2":                   "Fyne",
		"github.com/ollama/ollama":          "Ollama client",
		"github.com/gen2brain/go-fitz":      "go-fitz (MuPDF)",
		"github.com/mattn/go-sqlite3":       "go-sqlite3 (SQLite)",
		"github.com/disintegration/imaging": "imaging",
		"github.com/go-pdf/fpdf":            "fpdf",
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Go %s\n", strings.TrimPrefix(runtime.Version(), "go"))
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if name, ok := want[m.Path]; ok {
				fmt.Fprintf(&b, "%s %s\n", name, m.Version)
			}
		}
	}
	return strings.TrimSpace(b.String())
}

func (a *App) showAbout() {
	md := a.fyne.Metadata()
	ver := md.Version
	if ver == "" {
		ver = "development build"
	}
	title := widget.NewLabelWithStyle("PULSE Desk "+ver, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	disc := widget.NewLabelWithStyle(Disclaimer, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	disc.Importance = widget.DangerImportance
	use := widget.NewLabel(IntendedUse)
	use.Wrapping = fyne.TextWrapWord
	lic := widget.NewLabel("Licence: GNU Affero General Public License v3.0 (AGPL-3.0), because it links MuPDF " +
		"through go-fitz (AGPL-3.0). Other libraries: Fyne (BSD-3-Clause), Ollama client (MIT), go-sqlite3 (MIT), " +
		"imaging (MIT), fpdf (MIT), x/image (BSD-3-Clause).")
	lic.Wrapping = fyne.TextWrapWord
	vers := widget.NewLabel(moduleVersions())
	attr := widget.NewRichTextFromMarkdown(assets.Attribution)
	attr.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(title, disc, use, widget.NewSeparator(), lic, widget.NewSeparator(),
		widget.NewLabelWithStyle("Versions", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), vers,
		widget.NewSeparator(), attr)
	d := dialog.NewCustom("About PULSE Desk", "Close", container.NewVScroll(body), a.win)
	d.Resize(fyne.NewSize(760, 600))
	d.Show()
}

func (a *App) showHelp() {
	grid := container.NewGridWithColumns(2)
	for _, s := range shortcutHelp {
		grid.Add(widget.NewLabelWithStyle(s[0], fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}))
		grid.Add(widget.NewLabel(s[1]))
	}
	d := dialog.NewCustom("Keyboard shortcuts", "Close", container.NewVScroll(grid), a.win)
	d.Resize(fyne.NewSize(560, 520))
	d.Show()
}
