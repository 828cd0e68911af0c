package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"pulsedesk/interpret"
	"pulsedesk/storage"
	"pulsedesk/viewer"
)

func init() {
	register(command{
		name:    "add",
		summary: "add a document to the case log as a new case; prints the case uid",
		run:     runAdd,
	})
}

func runAdd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("add", stderr)
	page := fs.Int("page", 1, "page the model input is made from (1-based)")
	dpi := fs.Float64("dpi", viewer.DefaultDPI, "resolution for PDF and TIFF pages")
	editsPath := fs.String("edits", "", "edits JSON file")
	patient := fs.String("patient", "", "patient reference (no names: a code)")
	age := fs.Int("age", 0, "age in years")
	sex := fs.String("sex", "", "F or M")
	clinical := fs.String("context", "", "clinical context")
	data := fs.String("data", "", "case log folder (default: the app's data folder)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pulsectl add FILE [--page N] [--edits E.json] [--patient REF] [--age N] [--sex F|M] [--context TEXT] [--data DIR]")
		fs.PrintDefaults()
	}
	arg, err := parseOne(fs, args, "FILE")
	if err != nil {
		return err
	}
	if *page < 1 {
		return usagef("--page must be 1 or more")
	}
	if *age < 0 || *age > 130 {
		return usagef("--age %d is not a plausible age", *age)
	}
	s := strings.ToUpper(*sex)
	if s != "" && s != "F" && s != "M" {
		return usagef("--sex must be F or M")
	}
	edits, err := readEdits(*editsPath)
	if err != nil {
		return err
	}
	dir, err := dataDir(*data)
	if err != nil {
		return err
	}
	st, err := storage.OpenDir(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	c := storage.Case{PatientRef: *patient, Sex: s, Context: *clinical}
	if *age > 0 {
		c.Age = age
	}
	ctx := context.Background()
	wf := &interpret.Workflow{Store: st, DPI: *dpi}
	sess, err := wf.OpenNew(ctx, arg, c)
	if err != nil {
		return err
	}
	defer sess.Close()
	if err := sess.SetPage(*page - 1); err != nil {
		return err
	}
	if err := sess.SetEdits(edits); err != nil {
		return err
	}
	// The model input (with the edits) is stored now at the default size,
	// so the case keeps what the clinician prepared.
	if _, _, err := sess.Prepare(ctx, interpret.FallbackLongSide); err != nil {
		return err
	}
	fmt.Fprintln(stdout, sess.Case().UID)
	return nil
}
