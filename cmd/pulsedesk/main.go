// Command pulsedesk is the PULSE Desk desktop app.
//
//	pulsedesk [--data DIR] [FILE]
package main

import (
	"flag"
	"fmt"
	"os"

	"fyne.io/fyne/v2/app"

	"pulsedesk/storage"
	"pulsedesk/ui"
	"pulsedesk/viewer"
)

func main() {
	// A PDF or TIFF page is rendered in a child process (this binary again), so
	// a document that crashes the renderer costs the page, not the app.
	viewer.ServeIsolatedRender()
	fs := flag.NewFlagSet("pulsedesk", flag.ContinueOnError)
	data := fs.String("data", "", "folder for the case log (default: the setting, else "+defaultDataDir()+")")
	dpi := fs.Float64("dpi", 0, "render PDF and TIFF pages at this DPI (default: the setting, 200)")
	screen := fs.String("screen", "", "")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: pulsedesk [--data DIR] [--dpi N] [FILE]")
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() > 1 {
		fs.Usage()
		os.Exit(2)
	}
	a := app.NewWithID("org.pulsedesk.app")
	if *data == "" {
		*data = ui.LoadSettings(a.Preferences()).DataDir
	}
	if *data == "" {
		*data = defaultDataDir()
	}
	opts := ui.Options{DataDir: *data, File: fs.Arg(0), Screen: *screen, DPI: *dpi}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		fmt.Fprintf(os.Stderr, "pulsedesk: data folder %s: %v\n", opts.DataDir, err)
		os.Exit(1)
	}
	st, err := storage.OpenDir(opts.DataDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulsedesk: %v\n", err)
		os.Exit(1)
	}
	defer st.Close()
	opts.Store = st
	w := ui.New(a, opts)
	w.ShowAndRun()
	w.Close()
}

// defaultDataDir is the case log's folder when neither --data nor the setting
// names one: the same folder pulsectl uses.
func defaultDataDir() string {
	d, err := storage.DefaultDir()
	if err != nil {
		return "pulsedesk-data"
	}
	return d
}
